"""Print the Pulumi package schema to stdout: `make schema` writes it to schema.json."""

from __future__ import annotations

import sys

from pulumi_stripe_apps.schema import render_schema


def main() -> None:
    sys.stdout.write(render_schema())


if __name__ == "__main__":
    main()
