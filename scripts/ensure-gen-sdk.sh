#!/usr/bin/env bash
# Provides scripts/gen_sdk (the SDK generator: Pulumi's code generators at the pkg/v3 version its go.mod
# requires) built with go, cached under the cache root by that version and a hash of its source, so a
# changed generator is rebuilt and an unchanged one is reused by every clone. Prints the binary's path as its
# only line on stdout; progress goes to stderr (one line per step), go's own output to build.log beside it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE="$HERE/gen_sdk"
CACHE_ROOT="${STRIPE_APPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-stripe-apps}"
CODEGEN_VERSION="$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2; exit }' "$SOURCE/go.mod")"
SOURCE_HASH="$(cat "$SOURCE/go.mod" "$SOURCE/go.sum" "$SOURCE/main.go" | sha256sum | cut -c1-12)"
TOOL_DIR="$CACHE_ROOT/gen-sdk/$CODEGEN_VERSION-$SOURCE_HASH"

log() { echo "ensure-gen-sdk: $*" >&2; }

if [ ! -x "$TOOL_DIR/gen-sdk" ]; then
  command -v go >/dev/null || { log "Go is needed to build scripts/gen_sdk and none is on PATH"; exit 1; }
  started=$(date +%s)
  log "building gen_sdk (codegen $CODEGEN_VERSION) into $TOOL_DIR (first time only; log: $TOOL_DIR/build.log)"
  GOTOOLCHAIN=local CGO_ENABLED=0 python3 "$HERE/build_go_tools.py" gen-sdk --source "$SOURCE" \
    --output "$TOOL_DIR/gen-sdk" --log "$TOOL_DIR/build.log" >&2
  log "built in $(( $(date +%s) - started ))s"
fi
echo "$TOOL_DIR/gen-sdk"
