"""A stand-in for `stripe apps upload`, as the real Stripe CLI behaves (../shared/docs/stripe-apps.md section 5).

It asks the real confirmation prompt on stdin, packages the app directory, uploads it to the
emulator's internal address (which the provider is never given) and prints the real transcript:
no `app_...` id on success (the Dashboard URL names the manifest id, which may contain `app_`), and a
"Failed to register" transcript on a refused upload. Run through the `stripe` wrapper that
`install_stripe_cli` writes.

What Stripe does not document is selectable (`set_cli_behaviour`, a file beside the CLI read on every
run), so tests cover each choice instead of a guess; the defaults are the transcripts above:
`refused_exit` the exit code of a refused upload (0 or 1), `exists_wording` how a refusal of an
existing version reads (`request_failed`: Stripe's `Request failed, status=400, body={...}`; `plain`:
`Error: version 1.0.0 of com.example.billing has already been uploaded`), `prompt_default` the answer an
empty line gives the prompt (`yes`: `[Y/n]` proceeds; `no`: `[y/N]` cancels).

Seeded failure modes (`set_cli_faults`, for the reliability suite): `crash_before` dies before the upload
is sent, `crash_after` dies once the upload has landed, `double` sends the upload twice (an uploader that
double-creates). Each run draws once per rule from `random.Random(f"{seed}:{run}")`, the run number
counted under a lock in the CLI's directory; every draw is logged there (`cli_fault_log`).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import io
import json
import random
import sys
import tarfile
from pathlib import Path
from typing import Any

import httpx

SKIPPED = {"node_modules", ".git", ".build", "dist"}
FAILURE_MARK = "\u00d7"  # the apps plugin's failure mark, a multiplication sign
CLI_FAULT_KINDS = ("crash_before", "crash_after", "double")
FAULTS_FILE, FAULT_LOG, FAULT_RUNS = "faults.json", "faults.log", "faults.runs"
BEHAVIOUR_FILE = "behaviour.json"
# Each undocumented behaviour: its choices, the first being the default.
BEHAVIOURS: dict[str, tuple[Any, ...]] = {
    "refused_exit": (0, 1),
    "exists_wording": ("request_failed", "plain"),
    "prompt_default": ("yes", "no"),
}


def package(app_dir: Path) -> bytes:
    """The app directory as the CLI packages it (dependencies and build output left out)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(app_dir.rglob("*")):
            relative = path.relative_to(app_dir)
            if path.is_file() and not SKIPPED.intersection(relative.parts):
                archive.add(path, arcname=str(relative))
    return buffer.getvalue()


def set_cli_faults(cli: Path, seed: int, rules: list[dict[str, Any]]) -> None:
    """Seeded failure modes for the stand-in at `cli` (the `stripe` executable): [{"kind", "probability"}]."""
    for rule in rules:
        if rule.get("kind") not in CLI_FAULT_KINDS or not 0 <= float(rule.get("probability", 1)) <= 1:
            raise ValueError(f"a CLI fault rule needs a kind of {', '.join(CLI_FAULT_KINDS)} and a probability")
    (cli.parent / FAULTS_FILE).write_text(json.dumps({"seed": seed, "rules": rules}))
    (cli.parent / FAULT_LOG).write_text("")
    (cli.parent / FAULT_RUNS).write_text("0")


def set_cli_behaviour(cli: Path, **choices: Any) -> None:
    """Picks undocumented behaviours of the stand-in at `cli` (see BEHAVIOURS); the rest keep their defaults."""
    for name, value in choices.items():
        if value not in BEHAVIOURS.get(name, ()):
            raise ValueError(f"{name}={value!r}: the stand-in's behaviours are {BEHAVIOURS}")
    (cli.parent / BEHAVIOUR_FILE).write_text(json.dumps(choices))


def _behaviour(directory: Path) -> dict[str, Any]:
    path = directory / BEHAVIOUR_FILE
    chosen = json.loads(path.read_text()) if path.exists() else {}
    return {name: chosen.get(name, choices[0]) for name, choices in BEHAVIOURS.items()}


def clear_cli_faults(cli: Path) -> None:
    (cli.parent / FAULTS_FILE).unlink(missing_ok=True)


def cli_fault_log(cli: Path) -> list[dict[str, Any]]:
    """Every draw since the faults were set: {"run", "kind", "fired"}."""
    log = cli.parent / FAULT_LOG
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _draw(directory: Path) -> str | None:
    """This run's fault, if any: one draw per rule in order, the first that fires decides."""
    config_path = directory / FAULTS_FILE
    if not config_path.exists():
        return None
    config = json.loads(config_path.read_text())
    with (directory / FAULT_RUNS).open("a+") as runs:
        fcntl.flock(runs, fcntl.LOCK_EX)
        runs.seek(0)
        run = int(runs.read().strip() or 0) + 1
        runs.seek(0)
        runs.truncate()
        runs.write(str(run))
        rng = random.Random(f"{config['seed']}:{run}")
        chosen = None
        with (directory / FAULT_LOG).open("a") as log:
            for rule in config["rules"]:
                fired = rng.random() < float(rule.get("probability", 1))
                log.write(json.dumps({"run": run, "kind": rule["kind"], "fired": fired}) + "\n")
                if fired:
                    chosen = rule["kind"]
                    break
    return chosen


def _post(internal_url: str, api_key: str, manifest_text: str, bundle: bytes) -> httpx.Response:
    return httpx.post(
        f"{internal_url}/v1/apps/uploads",
        auth=(api_key, ""),
        files={"manifest": (None, manifest_text), "bundle": ("bundle.tar.gz", bundle, "application/gzip")},
        timeout=60,
    )


def upload(
    internal_url: str,
    api_key: str | None,
    app_dir: Path,
    fault: str | None = None,
    behaviour: dict[str, Any] | None = None,
) -> int:
    chosen = behaviour or {name: choices[0] for name, choices in BEHAVIOURS.items()}
    manifest_path = app_dir / "stripe-app.json"
    if not manifest_path.is_file():
        print("Error: stripe-app.json not found; run this command in the app's directory", file=sys.stderr)
        return 1
    manifest_text = manifest_path.read_text(encoding="utf-8")
    manifest = json.loads(manifest_text)
    name, manifest_id, version = manifest.get("name", "app"), manifest.get("id", ""), manifest.get("version", "")
    if not api_key:
        print("Error: you have not configured API keys yet; run `stripe login` or pass --api-key", file=sys.stderr)
        return 1
    proceed_by_default = chosen["prompt_default"] == "yes"
    options = "[Y/n]" if proceed_by_default else "[y/N]"
    sys.stdout.write(
        f"You are about to upload your Stripe App {name} to your account. Do you want to proceed? {options}: "
    )
    sys.stdout.flush()
    answer = sys.stdin.readline()
    if not answer:
        print("\nError: the prompt could not be answered (no input)", file=sys.stderr)
        return 1
    reply = answer.strip().lower()
    if reply not in ("y", "yes") and (reply or not proceed_by_default):
        print("Upload cancelled.")
        return 0
    print("✔ Built files for production")
    bundle = package(app_dir)
    print("✔ Packaged files for upload")
    if fault == "crash_before":
        print("[ERROR] plugin.child.apps: plugin process exited: signal: killed (injected before the upload)")
        return 1
    try:
        response = _post(internal_url, api_key, manifest_text, bundle)
        if fault == "double":
            with contextlib.suppress(httpx.TransportError):
                _post(internal_url, api_key, manifest_text, bundle)
    except httpx.TransportError as error:
        print(f"[ERROR] plugin.child.apps: plugin process exited: {type(error).__name__}: exit status 2")
        return 1
    if response.status_code >= 400:
        code = None
        with contextlib.suppress(ValueError, AttributeError):
            code = response.json().get("error", {}).get("code")
        if code == "resource_already_exists" and chosen["exists_wording"] == "plain":
            print(f"Error: version {version} of {manifest_id} has already been uploaded", file=sys.stderr)
        else:
            print(f"{FAILURE_MARK} Failed to register {name}")
            print(f"Request failed, status={response.status_code}, body={response.text}")
        return int(chosen["refused_exit"])
    if fault == "crash_after":
        print("[ERROR] plugin.child.apps: plugin process exited: signal: killed (injected after the upload)")
        return 1
    print(f"✔ Uploaded {name}")
    print(f"🌐 Next step, continue on https://dashboard.stripe.com/test/apps/{manifest_id}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stripe")
    parser.add_argument("--internal-url", required=True)
    parser.add_argument("--faults", help="the faults file set_cli_faults writes (absent: no faults)")
    parser.add_argument("plugin")
    parser.add_argument("command")
    parser.add_argument("--api-key")
    args = parser.parse_args(argv)
    if (args.plugin, args.command) != ("apps", "upload"):
        print(f"unknown command {args.plugin} {args.command}", file=sys.stderr)
        return 1
    fault = _draw(Path(args.faults).parent) if args.faults else None
    behaviour = _behaviour(Path(args.faults).parent) if args.faults else None
    return upload(args.internal_url.rstrip("/"), args.api_key, Path.cwd(), fault, behaviour)


def install_stripe_cli(directory: Path, internal_url: str) -> Path:
    """Writes an executable `stripe` that runs this stand-in against `internal_url`; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    executable = directory / "stripe"
    executable.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" --internal-url "{internal_url}" '
        f'--faults "{directory.resolve() / FAULTS_FILE}" "$@"\n'
    )
    executable.chmod(0o755)
    return executable


if __name__ == "__main__":
    raise SystemExit(main())
