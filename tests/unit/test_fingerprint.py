"""Fingerprint: deterministic, sensitive to what ships, blind to mtimes/order, streamed; and the tar."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_stripe_apps import fingerprint as fp_module
from pulumi_stripe_apps.fingerprint import (
    CHUNK_SIZE,
    Fingerprint,
    IgnoreRules,
    fingerprint,
    iter_bundle_files,
    write_bundle_tar,
)

MANIFEST = {"id": "com.example.app", "version": "1.0.0", "name": "Example", "permissions": []}
FILES: dict[str, bytes] = {
    "src/views/App.tsx": b"export const App = () => null;\n",
    "src/views/Settings.tsx": b"export const Settings = () => null;\n",
    "icon.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "bin/build.sh": b"#!/bin/sh\necho build\n",
    "dist/bundle.js": b"console.log(1)",
    "empty.txt": b"",
}
EXECUTABLE = {"bin/build.sh"}


def make_app(root: Path, order: Callable[[list[str]], list[str]] = sorted, mtime: int = 1_000_000) -> Path:
    root.mkdir(parents=True)
    (root / "stripe-app.json").write_text(json.dumps(MANIFEST, indent=2), encoding="utf-8")
    for rel in order(list(FILES)):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(FILES[rel])
        os.chmod(path, 0o755 if rel in EXECUTABLE else 0o644)
        os.utime(path, (mtime, mtime))
    return root


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return make_app(tmp_path / "app")


# ---------------------------------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------------------------------
def test_same_tree_built_differently_has_same_digest(tmp_path: Path) -> None:
    forward = make_app(tmp_path / "a", order=sorted, mtime=1_000_000)
    backward = make_app(tmp_path / "b", order=lambda xs: sorted(xs, reverse=True), mtime=2_000_000_000)
    assert fingerprint(forward) == fingerprint(backward)


def test_walk_order_does_not_matter(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = fingerprint(app)
    real_scandir = os.scandir

    class ReversedScandir:
        def __init__(self, path: Any) -> None:
            self._it = real_scandir(path)

        def __enter__(self) -> list[os.DirEntry[str]]:
            return sorted(self._it, key=lambda e: e.name, reverse=True)

        def __exit__(self, *exc: object) -> None:
            self._it.close()

    monkeypatch.setattr(os, "scandir", ReversedScandir)
    assert fingerprint(app) == expected


def test_separate_copies_and_mtimes_agree(app: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(app, copy)  # copytree gives new mtimes/inodes
    os.utime(copy / "icon.png", (5, 5))
    assert fingerprint(copy) == fingerprint(app)


def test_counts(app: Path) -> None:
    result = fingerprint(app)
    assert isinstance(result, Fingerprint)
    assert result.digest.startswith("sha256:") and len(result.digest) == 7 + 64
    assert result.file_count == len(FILES)
    assert result.total_bytes == sum(len(b) for b in FILES.values())


# ---------------------------------------------------------------------------------------------------
# Sensitivity
# ---------------------------------------------------------------------------------------------------
def _byte_changed(app: Path) -> None:
    (app / "icon.png").write_bytes(FILES["icon.png"][:-1] + b"\x00")


def _renamed(app: Path) -> None:
    (app / "src/views/App.tsx").rename(app / "src/views/Main.tsx")


def _exec_flipped(app: Path) -> None:
    os.chmod(app / "dist/bundle.js", 0o755)


def _empty_added(app: Path) -> None:
    (app / "src/new.txt").write_bytes(b"")


def _manifest_changed(app: Path) -> None:
    (app / "stripe-app.json").write_text(json.dumps({**MANIFEST, "version": "1.0.1"}), encoding="utf-8")


def _moved_between_dirs(app: Path) -> None:
    (app / "bin/build.sh").rename(app / "src/build.sh")


def _content_across_boundary(app: Path) -> None:
    # Same concatenated bytes, different split between two files: framing must tell them apart.
    (app / "src/views/App.tsx").write_bytes(FILES["src/views/App.tsx"] + b"export")
    (app / "src/views/Settings.tsx").write_bytes(FILES["src/views/Settings.tsx"][len(b"export") :])


@pytest.mark.parametrize(
    "change",
    [
        _byte_changed,
        _renamed,
        _exec_flipped,
        _empty_added,
        _manifest_changed,
        _moved_between_dirs,
        _content_across_boundary,
    ],
)
def test_digest_changes_when_what_ships_changes(app: Path, change: Callable[[Path], None]) -> None:
    before = fingerprint(app)
    change(app)
    assert fingerprint(app).digest != before.digest


def test_manifest_whitespace_and_key_order_do_not_matter(app: Path) -> None:
    before = fingerprint(app)
    reordered = dict(reversed(list(MANIFEST.items())))
    (app / "stripe-app.json").write_text(json.dumps(reordered, indent=7) + "\n\n", encoding="utf-8")
    assert fingerprint(app) == before


def test_manifest_hashed_only_in_normalized_form(app: Path) -> None:
    assert "stripe-app.json" not in list(iter_bundle_files(app))


def test_symlink_hashes_target_text_not_content(app: Path) -> None:
    (app / "link").symlink_to("icon.png")
    with_link = fingerprint(app)
    assert with_link.file_count == len(FILES) + 1
    (app / "icon.png").write_bytes(b"changed")
    (app / "other.png").write_bytes(b"changed")
    after_target_change = fingerprint(app)
    (app / "link").unlink()
    (app / "link").symlink_to("other.png")
    assert fingerprint(app).digest != after_target_change.digest
    # a link to a directory is not followed: nothing under it is listed
    (app / "dirlink").symlink_to("src")
    assert [f for f in iter_bundle_files(app) if f.startswith("dirlink")] == ["dirlink"]


def test_bundle_dir_separate_from_app_dir(app: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "main.js").write_bytes(b"x")
    (bundle / "stripe-app.json").write_text("{}", encoding="utf-8")  # a copy the build left; not hashed
    result = fingerprint(app, bundle_dir=bundle)
    assert (result.file_count, result.total_bytes) == (1, 1)
    assert list(iter_bundle_files(app, bundle_dir=bundle)) == ["main.js"]


# ---------------------------------------------------------------------------------------------------
# Ignores
# ---------------------------------------------------------------------------------------------------
def test_default_ignores_but_not_dist(app: Path) -> None:
    before = fingerprint(app)
    for rel in [
        "node_modules/react/index.js",
        ".git/HEAD",
        ".build/out.js",
        ".cache/x",
        "src/__pycache__/a.pyc",
    ]:
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_bytes(b"noise")
    (app / "src/.DS_Store").write_bytes(b"noise")
    (app / "debug.log").write_bytes(b"noise")
    assert fingerprint(app) == before
    assert "dist/bundle.js" in list(iter_bundle_files(app))


def test_stripeappsignore_and_extra_patterns(app: Path) -> None:
    (app / ".stripeappsignore").write_text(
        "# comment\n\nsrc/views/Set*.tsx\n*.png\n!icon.png\nbin/\n", encoding="utf-8"
    )
    (app / "src/logo.png").write_bytes(b"png")
    files = list(iter_bundle_files(app, ignore=["empty.txt"]))
    assert files == [".stripeappsignore", "dist/bundle.js", "icon.png", "src/views/App.tsx"]
    result = fingerprint(app, ignore=["empty.txt"])
    assert result.file_count == len(files)


@pytest.mark.parametrize(
    ("patterns", "path", "is_dir", "ignored"),
    [
        (["dir/"], "a/dir", True, True),
        (["dir/"], "a/dir", False, False),
        (["*.ext"], "deep/x/file.ext", False, True),
        (["src/*.js"], "src/a.js", False, True),
        (["src/*.js"], "src/sub/a.js", False, False),
        (["src/**/*.js"], "src/sub/a.js", False, True),
        (["/top.txt"], "top.txt", False, True),
        (["/top.txt"], "sub/top.txt", False, False),
        (["*.md", "!README.md"], "README.md", False, False),
        (["*.md", "!README.md"], "CHANGES.md", False, True),
        (["file[0-9].txt"], "file7.txt", False, True),
        (["\\#hash"], "#hash", False, True),
    ],
)
def test_ignore_pattern_subset(patterns: list[str], path: str, is_dir: bool, ignored: bool) -> None:
    assert IgnoreRules(patterns).ignored(path, is_dir=is_dir) is ignored


# ---------------------------------------------------------------------------------------------------
# Streaming and framing
# ---------------------------------------------------------------------------------------------------
def _u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def test_large_file_is_read_in_bounded_chunks_and_matches_the_framing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    manifest = {"version": "1", "id": "x", "name": "X"}
    (app / "stripe-app.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    big = os.urandom(CHUNK_SIZE) * 2 + b"tail"
    (app / "big.bin").write_bytes(big)
    os.chmod(app / "big.bin", 0o644)

    reads: list[int] = []

    class SpyFile(io.FileIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(-1 if size is None else size)
            return super().read(size)

    def spy_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        assert mode == "rb"
        return SpyFile(path, "r")

    monkeypatch.setattr(fp_module, "open", spy_open, raising=False)
    result = fingerprint(app)

    assert reads and all(0 < size <= CHUNK_SIZE for size in reads)
    assert len(reads) >= 3  # 2 full chunks + tail (+ the final empty read)
    normalized = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    expected = hashlib.sha256(b"pulumi-stripe-apps/fingerprint/v1\0")
    expected.update(b"M" + _u64(len(normalized)) + normalized)
    expected.update(b"F" + _u64(len(b"big.bin")) + b"big.bin" + b"-" + _u64(len(big)) + big)
    assert result.digest == f"sha256:{expected.hexdigest()}"
    assert (result.file_count, result.total_bytes) == (1, len(big))


def test_invalid_manifest_is_reported(tmp_path: Path) -> None:
    (tmp_path / "stripe-app.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        fingerprint(tmp_path)


# ---------------------------------------------------------------------------------------------------
# Tar
# ---------------------------------------------------------------------------------------------------
def _tar(app: Path) -> bytes:
    out = io.BytesIO()
    write_bundle_tar(iter_bundle_files(app), app, out)
    return out.getvalue()


def test_tar_is_byte_identical_across_builds(tmp_path: Path) -> None:
    a = make_app(tmp_path / "a", mtime=1)
    b = make_app(tmp_path / "b", order=lambda xs: sorted(xs, reverse=True), mtime=2_000_000_000)
    assert _tar(a) == _tar(b)
    assert _tar(a) == _tar(a)


def test_tar_members_are_normalized(app: Path) -> None:
    (app / "link").symlink_to("icon.png")
    with tarfile.open(fileobj=io.BytesIO(_tar(app)), mode="r:gz") as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == sorted([*FILES, "link"])
        for m in members:
            assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
            if m.name == "link":
                assert m.issym() and m.linkname == "icon.png"
            else:
                assert m.mode == (0o755 if m.name in EXECUTABLE else 0o644)
                extracted = tar.extractfile(m)
                assert extracted is not None and extracted.read() == FILES[m.name]


def test_tar_gzip_header_has_no_time_or_name(app: Path) -> None:
    data = _tar(app)
    assert data[:2] == b"\x1f\x8b"
    assert data[4:8] == b"\x00\x00\x00\x00"  # MTIME
    assert data[3] & 0x08 == 0  # no FNAME
