"""The Stripe Apps policy pack: `pulumi preview --policy-pack "$(python -m pulumi_stripe_apps.policy --path)"`."""

from __future__ import annotations

from pathlib import Path

# The pack's directory (PulumiPolicy.yaml beside __main__.py): what `--policy-pack` is given.
PACK_DIR = Path(__file__).resolve().parent
