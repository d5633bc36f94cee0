#!/usr/bin/env bash
# Provides Debian's `chromium` for the Dashboard page's browser test (tests/dashboard): Playwright drives it
# because Playwright's own browser download cannot work offline.
#
# Does nothing when `chromium` is on PATH. Otherwise, as root, installs it quietly with apt-get (its output
# goes to a log whose tail is printed on failure); as anyone else, fails naming the command to run.
set -euo pipefail

log() { echo "ensure-browser: $*" >&2; }

command -v chromium >/dev/null && exit 0

INSTALL="apt-get update && apt-get install -y chromium"
if [ "$(id -u)" -ne 0 ]; then
  log "Debian's chromium is missing; the Dashboard browser test needs it. Install it with:"
  log "  sudo sh -c '$INSTALL'"
  log "then run `make test` again."
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  log "chromium is missing and there is no apt-get here: install Chromium so that \`chromium\` is on PATH."
  exit 1
fi

CACHE_ROOT="${STRIPE_APPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-stripe-apps}"
LOG="$CACHE_ROOT/apt-chromium.log"
mkdir -p "$CACHE_ROOT"
log "installing Debian's chromium for the browser test (first time only; log: $LOG)..."
if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
  >"$LOG" 2>&1 || ! command -v chromium >/dev/null; then
  log "installing chromium failed (\`$INSTALL\`); full log: $LOG; its last 30 lines:"
  tail -n 30 "$LOG" | sed 's/^/  | /' >&2
  exit 1
fi
log "installed $(command -v chromium)"
