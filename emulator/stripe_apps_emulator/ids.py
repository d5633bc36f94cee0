"""Object ids and deterministic key material."""

from __future__ import annotations

import hashlib
import secrets
import string

ALPHABET = string.digits + string.ascii_letters


def random_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


def derived(seed: str, length: int) -> str:
    """Base62 text derived from `seed`: the same seed always gives the same string."""
    out: list[str] = []
    counter = 0
    while len(out) < length:
        digest = hashlib.sha256(f"stripe-apps-emulator:{seed}:{counter}".encode()).digest()
        number = int.from_bytes(digest, "big")
        while number and len(out) < length:
            number, index = divmod(number, 62)
            out.append(ALPHABET[index])
        counter += 1
    return "".join(out)


def public(doc: dict[str, object]) -> dict[str, object]:
    """Drop the emulator's bookkeeping fields (leading underscore) from a stored object."""
    return {key: value for key, value in doc.items() if not key.startswith("_")}
