"""The pack as the engine runs it (`python -m pulumi.policy`), or `python -m pulumi_stripe_apps.policy --path`."""

import sys

if __package__ == "pulumi_stripe_apps.policy":
    from pulumi_stripe_apps.policy import PACK_DIR

    if sys.argv[1:] != ["--path"]:
        sys.exit("usage: python -m pulumi_stripe_apps.policy --path   (prints the directory for --policy-pack)")
    print(PACK_DIR)
else:
    from pulumi_stripe_apps.policy.pack import serve

    serve()
