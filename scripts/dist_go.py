"""`make dist-go`: the Go SDK module at the release's version, in the file layout of a Go module proxy.

    python scripts/dist_go.py [--out dist]

Writes OUT/goproxy/MODULE/@v/{list, vVERSION.info, vVERSION.mod, vVERSION.zip} for the module
`github.com/pulumi-stripe-apps/pulumi-stripe-apps/sdk` (sdk/go.mod; its package is sdk/go/stripeapps), as the tag
`sdk/vVERSION` would serve it: the zip holds the files a commit of sdk/ holds (tracked, or new and not ignored), each
under `MODULE@vVERSION/`. A user's `GOPROXY=file://.../goproxy,<their usual proxy>` then resolves the SDK from it
and everything else as before (README, Install). `make dist` writes the same module through `build_goproxy`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from pulumi_stripe_apps import __version__

ROOT = Path(__file__).resolve().parents[1]
SDK = ROOT / "sdk"
# A module's hash covers its files' names and contents only: one constant time keeps the zip itself reproducible.
ZIP_TIME = (2019, 1, 1, 0, 0, 0)


def module_path() -> str:
    """The module path sdk/go.mod declares."""
    for line in (SDK / "go.mod").read_text().splitlines():
        if line.startswith("module "):
            return line.split()[1]
    raise SystemExit("make dist-go: sdk/go.mod declares no module: run `make sdk`")


def escaped(path: str) -> str:
    """A module path as a proxy's directory names it: each capital letter as `!` and the letter in lower case."""
    return "".join(f"!{char.lower()}" if char.isupper() else char for char in path)


def module_files() -> list[str]:
    """sdk/'s files as a commit would hold them (tracked, or new and not ignored), relative to sdk/, sorted."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
        cwd=SDK,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(name for name in set(listed.split("\0")) if name and (SDK / name).is_file())


def commit_time() -> str:
    """When the checkout's HEAD was committed (RFC 3339, UTC): the version's time in `.info`."""
    stamp = subprocess.run(
        ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    return datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_goproxy(out: Path, version: str) -> Path:
    """The module at vVERSION under OUT/goproxy; returns the zip."""
    module, tag = module_path(), f"v{version}"
    versions = out / "goproxy" / escaped(module) / "@v"
    versions.mkdir(parents=True, exist_ok=True)
    archive = versions / f"{tag}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name in module_files():
            entry = zipfile.ZipInfo(f"{module}@{tag}/{name}", date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(entry, (SDK / name).read_bytes())
    (versions / f"{tag}.mod").write_bytes((SDK / "go.mod").read_bytes())
    (versions / f"{tag}.info").write_text(json.dumps({"Version": tag, "Time": commit_time()}) + "\n")
    known = set((versions / "list").read_text().split()) if (versions / "list").is_file() else set()
    (versions / "list").write_text("".join(f"{line}\n" for line in sorted(known | {tag})))
    return archive


def main() -> None:
    from dist import DistError, check_stamps  # noqa: PLC0415 (dist.py imports this module)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    try:
        check_stamps(__version__)
    except DistError as error:
        raise SystemExit(f"make dist-go: {error}") from None
    print(build_goproxy(args.out, __version__))


if __name__ == "__main__":
    main()
