#!/usr/bin/env bash
# Exits 0 when Stripe matches the stack; otherwise prints a readable drift report and exits 1.
#   usage: check-drift.sh STACK [PROJECT_DIR]
set -uo pipefail
stack="${1:?usage: check-drift.sh STACK [PROJECT_DIR]}"
project="${2:-$(dirname "$0")}"

output="$(cd "$project" && pulumi preview --stack "$stack" --refresh --expect-no-changes \
  --non-interactive --color never 2>&1)"
status=$?
if [ "$status" -eq 0 ]; then
  echo "No drift: stack $stack matches Stripe."
  exit 0
fi

echo "DRIFT in stack $stack: Stripe no longer matches the declared state."
echo
echo "What changed outside this stack:"
grep -E 'drift: ' <<<"$output" | sed -E 's/.*drift: /  - /' | sort -u
echo
echo "What \`pulumi up\` would do to converge:"
grep -E '^ *[-+~]{1,3} +pulumi-python:dynamic/\S+ \S+ +(create|update|replace|delete)' <<<"$output" \
  | sed -E 's|^ *([-+~]+) +pulumi-python:dynamic/stripeapps:(\S+) (\S+) +(\S+).*|  \4 \2 \3|' | sort -u
if grep -q 'error:' <<<"$output"; then
  echo
  echo "Errors:"
  grep -E 'error:' <<<"$output" | sed -E 's/^\s*/  /'
fi
echo
echo "Fix: run \`pulumi up --refresh --stack $stack\` to restore the declared state, or update the program."
exit 1
