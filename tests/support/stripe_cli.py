"""A stand-in for `stripe apps upload`, as the real Stripe CLI behaves (../shared/docs/stripe-apps.md section 5).

It asks the real confirmation prompt on stdin, packages the app directory, uploads it to the
emulator's internal address (which the provider is never given) and prints the real transcript:
no `app_...` id on success, and a "Failed to register" transcript with exit code 0 on a refused
upload. Run through the `stripe` wrapper that `install_stripe_cli` writes.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

import httpx

SKIPPED = {"node_modules", ".git", ".build", "dist"}
FAILURE_MARK = "\u00d7"  # the apps plugin's failure mark, a multiplication sign


def package(app_dir: Path) -> bytes:
    """The app directory as the CLI packages it (dependencies and build output left out)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(app_dir.rglob("*")):
            relative = path.relative_to(app_dir)
            if path.is_file() and not SKIPPED.intersection(relative.parts):
                archive.add(path, arcname=str(relative))
    return buffer.getvalue()


def upload(internal_url: str, api_key: str | None, app_dir: Path) -> int:
    manifest_path = app_dir / "stripe-app.json"
    if not manifest_path.is_file():
        print("Error: stripe-app.json not found; run this command in the app's directory", file=sys.stderr)
        return 1
    manifest_text = manifest_path.read_text(encoding="utf-8")
    manifest = json.loads(manifest_text)
    name, manifest_id = manifest.get("name", "app"), manifest.get("id", "")
    if not api_key:
        print("Error: you have not configured API keys yet; run `stripe login` or pass --api-key", file=sys.stderr)
        return 1
    sys.stdout.write(f"You are about to upload your Stripe App {name} to your account. Do you want to proceed? [Y/n]: ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    if not answer:
        print("\nError: the prompt could not be answered (no input)", file=sys.stderr)
        return 1
    if answer.strip().lower() not in ("", "y", "yes"):
        print("Upload cancelled.")
        return 0
    print("✔ Built files for production")
    bundle = package(app_dir)
    print("✔ Packaged files for upload")
    try:
        response = httpx.post(
            f"{internal_url}/v1/apps/uploads",
            auth=(api_key, ""),
            files={"manifest": (None, manifest_text), "bundle": ("bundle.tar.gz", bundle, "application/gzip")},
            timeout=60,
        )
    except httpx.TransportError as error:
        print(f"[ERROR] plugin.child.apps: plugin process exited: {type(error).__name__}: exit status 2")
        return 1
    if response.status_code >= 400:
        # The apps plugin reports a refused upload in its transcript and still exits 0.
        print(f"{FAILURE_MARK} Failed to register {name}")
        print(f"Request failed, status={response.status_code}, body={response.text}")
        return 0
    print(f"✔ Uploaded {name}")
    print(f"🌐 Next step, continue on https://dashboard.stripe.com/test/apps/{manifest_id}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stripe")
    parser.add_argument("--internal-url", required=True)
    parser.add_argument("plugin")
    parser.add_argument("command")
    parser.add_argument("--api-key")
    args = parser.parse_args(argv)
    if (args.plugin, args.command) != ("apps", "upload"):
        print(f"unknown command {args.plugin} {args.command}", file=sys.stderr)
        return 1
    return upload(args.internal_url.rstrip("/"), args.api_key, Path.cwd())


def install_stripe_cli(directory: Path, internal_url: str) -> Path:
    """Writes an executable `stripe` that runs this stand-in against `internal_url`; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    executable = directory / "stripe"
    executable.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" --internal-url "{internal_url}" "$@"\n'
    )
    executable.chmod(0o755)
    return executable


if __name__ == "__main__":
    raise SystemExit(main())
