#!/usr/bin/env bash
# Provides the pinned Pulumi CLI, its Python, Node.js, Go and YAML language hosts and Pulumi's own
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

# The language hosts are part of "the Pulumi install" a user has: INSTALL_BIN holds what a user's PATH would (the CLI,
# its Python executor and dynamic-provider launcher, the YAML host) and launchers that run the stand-in hosts on
# their own Python (a venv with Pulumi's SDK, for the gRPC protocol) and their own copy of the hosts' code, so they
# need neither a checkout nor any Python of the user's. A program still runs on its own interpreter (the project's
# virtualenv, else PULUMI_PYTHON_CMD or python3), as with Pulumi's hosts. BIN_DIR, the development PATH, runs the
# same hosts on PULUMI_PYTHON_CMD (the checkout's venv, where devtools/ is), so a checkout's tests run its own code.
INSTALL_BIN="$ENGINE_DIR/install/bin"
HOSTS_DIR="$ENGINE_DIR/language-hosts"
HOSTS_SDK_VERSION="${STRIPE_APPS_HOSTS_SDK_VERSION:-3.272.0}"
HOST_SOURCES=("$HERE/../devtools/stripe_apps_devtools" "$HERE/../provider/pulumi_stripe_apps/__init__.py"
  "$HERE/../provider/pulumi_stripe_apps/enginewatch.py")
INSTALLED_TOOLS=(pulumi-language-python-exec pulumi-resource-pulumi-python pulumi-language-yaml)

ensure_language_hosts() {
  local venv="$HOSTS_DIR/venv-$HOSTS_SDK_VERSION"
  if [ ! -f "$venv/.installed" ]; then
    log "installing the language hosts' Python (pulumi==$HOSTS_SDK_VERSION) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install -q "pulumi==$HOSTS_SDK_VERSION" >&2
    touch "$venv/.installed"
  fi
  local digest
  digest="$(find "${HOST_SOURCES[@]}" -name '*.py' -type f -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16)"
  local code="$HOSTS_DIR/code-$digest"
  if [ ! -d "$code" ]; then
    local staged="$HOSTS_DIR/.staging-$$"
    rm -rf "$staged" && mkdir -p "$staged/pulumi_stripe_apps"
    cp -R "${HOST_SOURCES[0]}" "$staged/stripe_apps_devtools"
    rm -rf "$staged/stripe_apps_devtools/__pycache__"
    cp "${HOST_SOURCES[1]}" "${HOST_SOURCES[2]}" "$staged/pulumi_stripe_apps/"
    # The code and the SDK reach the hosts' Python through a .pth in a venv of its own: PYTHONPATH would reach the
    # programs the hosts start.
    python3 -m venv --without-pip "$staged/venv" >&2
    local site sdk_site
    site="$("$staged/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    sdk_site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    printf '%s\nimport site; site.addsitedir(%s)\n' "$code" "'$sdk_site'" >"$site/stripe-apps-language-hosts.pth"
    mv -T "$staged" "$code" 2>/dev/null || rm -rf "$staged"  # another checkout may have copied the same code
  fi
  mkdir -p "$INSTALL_BIN"
  # Replaced only when they differ: other checkouts' tests may be running these.
  for tool in "${INSTALLED_TOOLS[@]}"; do
    [ "$BIN_DIR/$tool" -ef "$INSTALL_BIN/$tool" ] || ln -sfn "$BIN_DIR/$tool" "$INSTALL_BIN/$tool"
  done
  # `pulumi` itself is a hard link (a copy across file systems): the CLI looks for its language hosts beside its own
  # resolved path first, which must be this directory, not BIN_DIR.
  if [ -L "$INSTALL_BIN/pulumi" ] || ! [ "$BIN_DIR/pulumi" -ef "$INSTALL_BIN/pulumi" ]; then
    ln -f "$BIN_DIR/pulumi" "$INSTALL_BIN/pulumi.new" 2>/dev/null || cp -f "$BIN_DIR/pulumi" "$INSTALL_BIN/pulumi.new"
    mv -f "$INSTALL_BIN/pulumi.new" "$INSTALL_BIN/pulumi"
  fi
  write_launchers "$INSTALL_BIN" "$code/venv/bin/python"
}

# One launcher per stand-in host: `write_launcher DIR PYTHON NAME MODULE [VAR=VALUE...]` (the host's settings).
write_launcher() {
  local dir="$1" python="$2" name="$3" module="$4"
  shift 4
  {
    echo '#!/bin/sh'
    echo "# $name: a stand-in language host (see scripts/ensure-engine.sh)."
    for setting in "$@"; do echo "export $setting"; done
    echo "export STRIPE_APPS_PULUMI_VERSION=\"${PULUMI_VERSION#v}\""
    echo "exec $python -u -m $module \"\$@\""
  } >"$dir/$name.new"
  chmod +x "$dir/$name.new"
  mv -f "$dir/$name.new" "$dir/$name"
}

# write_launchers DIR PYTHON: the stand-in hosts in DIR, run by PYTHON (a path, or a shell expression).
write_launchers() {
  # The engine runs dynamic providers through `pulumi-resource-pulumi-python`: that is the launcher
  # Pulumi ships (copied from the sdk module by build_engine.py), so tests run what users run.
  # The proxy serves no Go Python language host (see README, Troubleshooting): ours speaks its protocol.
  write_launcher "$1" "$2" pulumi-language-python stripe_apps_devtools.language_host \
    "STRIPE_APPS_PYTHON_EXECUTOR=\"$BIN_DIR/pulumi-language-python-exec\""
  # Nor a Node.js host: ours runs programs with @pulumi/pulumi's own `cmd/run`, from the project's node_modules.
  write_launcher "$1" "$2" pulumi-language-nodejs stripe_apps_devtools.nodejs_host
  # Nor a Go host: ours builds the program with the `go` on PATH and runs it as Pulumi's does.
  write_launcher "$1" "$2" pulumi-language-go stripe_apps_devtools.go_host
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
write_launchers "$BIN_DIR" '"${PULUMI_PYTHON_CMD:-python3}"'
ensure_language_hosts
if [ "${1:-}" = "--install" ]; then echo "$INSTALL_BIN"; else echo "$BIN_DIR"; fi
