#!/usr/bin/env bash
# Provides the pinned Pulumi CLI, its Python, Node.js and YAML language hosts and Pulumi's own
# dynamic-provider launcher.
#
# Uses a `pulumi` on PATH when it is exactly the pinned version; otherwise builds it from the Go
# module proxy into a cache keyed by version, outside the work tree so every clone reuses it.
# Prints the bin directory (to put first on PATH) as its only line on stdout; progress goes to stderr,
# one line per step, and go's own output to $ENGINE_DIR/build.log (its tail is printed if a step fails).
# The YAML language host is built the same way into its own cache keyed by its version ($YAML_DIR, with
# its own build.log) and linked into the bin directory.
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-v3.274.1}"
CACHE_ROOT="${STRIPE_APPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-stripe-apps}"
ENGINE_DIR="$CACHE_ROOT/pulumi/$PULUMI_VERSION"
BIN_DIR="$ENGINE_DIR/bin"
BUILD_LOG="$ENGINE_DIR/build.log"
# pulumi-yaml v1.25.0 builds with its own go.mod (pulumi pkg/sdk v3.206.0), not against v3.274.1: see build_go_tools.py.
YAML_VERSION="${PULUMI_YAML_VERSION:-v1.25.0}"
YAML_DIR="$CACHE_ROOT/pulumi-yaml/$YAML_VERSION"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { echo "ensure-engine: $*" >&2; }
stamped_version() { "$1" version 2>/dev/null | tr -d '[:space:]' || true; }

write_launchers() {
  # The engine runs dynamic providers through `pulumi-resource-pulumi-python`: that is the launcher
  # Pulumi ships (copied from the sdk module by build_engine.py), so tests run what users run.
  # The proxy serves no Go Python language host (see README, Troubleshooting): ours speaks its protocol.
  cat >"$BIN_DIR/pulumi-language-python" <<LAUNCHER
#!/bin/sh
STRIPE_APPS_PYTHON_EXECUTOR="\$(dirname "\$0")/pulumi-language-python-exec" \\
STRIPE_APPS_PULUMI_VERSION="${PULUMI_VERSION#v}" \\
  exec "\${PULUMI_PYTHON_CMD:-python3}" -u -m stripe_apps_devtools.language_host "\$@"
LAUNCHER
  chmod +x "$BIN_DIR/pulumi-language-python"
  # Nor a Node.js host: ours runs programs with @pulumi/pulumi's own `cmd/run`, from the project's node_modules.
  cat >"$BIN_DIR/pulumi-language-nodejs" <<LAUNCHER
#!/bin/sh
STRIPE_APPS_PULUMI_VERSION="${PULUMI_VERSION#v}" \\
  exec "\${PULUMI_PYTHON_CMD:-python3}" -u -m stripe_apps_devtools.nodejs_host "\$@"
LAUNCHER
  chmod +x "$BIN_DIR/pulumi-language-nodejs"
}

build() {
  command -v go >/dev/null || { log "Go is needed to build the Pulumi CLI and none is on PATH"; exit 1; }
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
  python3 "$HERE/build_engine.py" --version "$PULUMI_VERSION" --bin-dir "$BIN_DIR" \
    --work-dir "$ENGINE_DIR/src" --log "$BUILD_LOG" "$@" >&2
}

ensure_yaml_host() {
  if [ ! -x "$YAML_DIR/bin/pulumi-language-yaml" ]; then
    command -v go >/dev/null || { log "Go is needed to build pulumi-language-yaml and none is on PATH"; exit 1; }
    started=$(date +%s)
    log "building pulumi-language-yaml $YAML_VERSION into $YAML_DIR/bin (first time only; log: $YAML_DIR/build.log)"
    GOTOOLCHAIN=local CGO_ENABLED=0 python3 "$HERE/build_go_tools.py" yaml-host --version "$YAML_VERSION" \
      --bin-dir "$YAML_DIR/bin" --log "$YAML_DIR/build.log" >&2
    log "built in $(( $(date +%s) - started ))s"
  fi
  ln -sfn "$YAML_DIR/bin/pulumi-language-yaml" "$BIN_DIR/pulumi-language-yaml"
}

stock_launcher() { grep -qsF -- "-m pulumi.dynamic" "$BIN_DIR/pulumi-resource-pulumi-python"; }

mkdir -p "$BIN_DIR"
if [ -x "$BIN_DIR/pulumi" ] && [ "$(stamped_version "$BIN_DIR/pulumi")" = "$PULUMI_VERSION" ]; then
  if [ ! -x "$BIN_DIR/pulumi-language-python-exec" ] || ! stock_launcher; then
    build --executor-only
  fi
elif on_path="$(command -v pulumi 2>/dev/null)" && [ "$(stamped_version "$on_path")" = "$PULUMI_VERSION" ]; then
  log "using $on_path ($PULUMI_VERSION)"
  ln -sf "$on_path" "$BIN_DIR/pulumi"
  build --executor-only
else
  started=$(date +%s)
  log "building Pulumi $PULUMI_VERSION into $BIN_DIR (first time only: several minutes; log: $BUILD_LOG)"
  build
  log "built in $(( $(date +%s) - started ))s"
fi
ensure_yaml_host
write_launchers
echo "$BIN_DIR"
