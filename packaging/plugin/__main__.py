"""pulumi-resource-stripe-apps, started by the engine as `python PLUGIN_DIR ENGINE_ADDRESS` in the plugin's venv."""

from pulumi_stripe_apps.native.server import main

main()
