# Offline engine settings: the one place they are set. Source it from the project root:
#   . scripts/env.sh
# Needs the engine (scripts/ensure-engine.sh) and the virtualenv (.venv) to exist.
STRIPE_APPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export STRIPE_APPS_ROOT
STRIPE_APPS_STATE="${STRIPE_APPS_STATE:-$STRIPE_APPS_ROOT/.state}"
export STRIPE_APPS_STATE
mkdir -p "$STRIPE_APPS_STATE/backend" "$STRIPE_APPS_STATE/pulumi-home"

ENGINE_BIN="$(bash "$STRIPE_APPS_ROOT/scripts/ensure-engine.sh")"
export PATH="$ENGINE_BIN:$STRIPE_APPS_ROOT/.venv/bin:$PATH"
export PULUMI_HOME="$STRIPE_APPS_STATE/pulumi-home"
export PULUMI_BACKEND_URL="file://$STRIPE_APPS_STATE/backend"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_CONFIRMATIONS=true
export PULUMI_PYTHON_CMD="$STRIPE_APPS_ROOT/.venv/bin/python"
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=false
