"""What a resource's recorded id names on Stripe's side."""

from __future__ import annotations


def install_object_id(resource_id: str) -> str:
    """The `appinst_...` an install resource's id names, whether the id is that alone (states before the import
    form) or the import form `MODE/[ACCOUNT/]ID[@VERSION]`."""
    return resource_id.rsplit("/", 1)[-1].split("@", 1)[0]
