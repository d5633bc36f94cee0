"""Content fingerprint of an app (normalized manifest + bundle files) and the matching deterministic tar."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import stat
import tarfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_IGNORES",
    "IGNORE_FILE",
    "Fingerprint",
    "IgnoreRules",
    "fingerprint",
    "iter_bundle_files",
    "normalized_manifest",
    "write_bundle_tar",
]

CHUNK_SIZE = 1 << 20
MANIFEST_FILENAME = "stripe-app.json"
IGNORE_FILE = ".stripeappsignore"
# `dist/` is deliberately absent: it is often the bundle itself.
DEFAULT_IGNORES: tuple[str, ...] = (
    "node_modules/",
    ".git/",
    ".build/",
    ".cache/",
    "__pycache__/",
    ".DS_Store",
    "*.log",
)
# Bumped whenever the framing below changes, so old and new digests never compare equal by accident.
_DOMAIN = b"pulumi-stripe-apps/fingerprint/v1\0"


@dataclass(frozen=True)
class Fingerprint:
    """`digest` is `sha256:<hex>`; counts cover the bundle files (the manifest is not counted)."""

    digest: str
    file_count: int
    total_bytes: int


# ---------------------------------------------------------------------------------------------------
# Ignore rules: a gitignore subset.
#   - blank lines and `#` comments are skipped; a leading `\` escapes `#` or `!`
#   - `name`, `*.ext`: no slash, so matched against the base name at any depth
#   - `dir/`: a trailing slash matches directories only (the whole subtree is pruned)
#   - `path/glob`, `/name`: a slash before the end anchors the pattern to the bundle root
#   - `*` and `?` do not cross `/`; `**` crosses it; `[...]` classes as in fnmatch
#   - `!pattern` re-includes; the last matching pattern wins. As in git, a file under a pruned directory
#     cannot be re-included.
# Not supported: trailing-space escapes, per-directory ignore files (only the app root's file is read).
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    anchored: bool


def _glob_to_regex(glob: str) -> str:
    out, i = "", 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif glob.startswith("**", i):
            out, i = out + ".*", i + 2
        elif c == "*":
            out, i = out + "[^/]*", i + 1
        elif c == "?":
            out, i = out + "[^/]", i + 1
        elif c == "[" and (end := glob.find("]", i + 1)) > i + 1:
            body = glob[i + 1 : end].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            out, i = out + f"[{body}]", end + 1
        else:
            out, i = out + re.escape(c), i + 1
    return out


def _parse(line: str) -> _Pattern | None:
    text = line.rstrip("\n").rstrip()
    if not text or text.startswith("#"):
        return None
    negate = text.startswith("!")
    if negate or text.startswith("\\"):
        text = text[1:]
    dir_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        return None
    anchored = "/" in text
    text = text.lstrip("/")
    return _Pattern(re.compile(f"^{_glob_to_regex(text)}$"), negate, dir_only, anchored)


class IgnoreRules:
    """Ordered ignore patterns; `ignored(rel, is_dir)` applies them gitignore-style (last match wins)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = [p for p in (_parse(line) for line in patterns) if p is not None]

    def ignored(self, rel: str, *, is_dir: bool) -> bool:
        base = rel.rsplit("/", 1)[-1]
        result = False
        for pat in self._patterns:
            if pat.dir_only and not is_dir:
                continue
            if pat.regex.match(rel if pat.anchored else base):
                result = not pat.negate
        return result


def _rules(app_dir: Path, ignore: Sequence[str]) -> IgnoreRules:
    lines: list[str] = list(DEFAULT_IGNORES)
    ignore_file = app_dir / IGNORE_FILE
    if ignore_file.is_file():
        lines += ignore_file.read_text(encoding="utf-8").splitlines()
    lines += ignore
    return IgnoreRules(lines)


# ---------------------------------------------------------------------------------------------------
# File set
# ---------------------------------------------------------------------------------------------------
def iter_bundle_files(app_dir: Path, *, bundle_dir: Path | None = None, ignore: Sequence[str] = ()) -> Iterator[str]:
    """Sorted POSIX paths (relative to the bundle root) of regular files and symlinks after ignores.

    The bundle root's `stripe-app.json` is left out: the fingerprint covers it in normalized form, and
    an uploader that needs it in the archive adds it by name.
    """
    root = Path(bundle_dir) if bundle_dir is not None else Path(app_dir)
    rules = _rules(Path(app_dir), ignore)
    found: list[str] = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(root / prefix if prefix else root) as entries:
            for entry in entries:
                rel = f"{prefix}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    if not rules.ignored(rel, is_dir=True):
                        stack.append(rel + "/")
                    continue
                # Never follow links: a link is content (its target text); following one could leave
                # the bundle, loop, or make the digest depend on files outside the app.
                # Sockets, FIFOs and devices have no content to ship; they are skipped.
                regular = entry.is_symlink() or entry.is_file(follow_symlinks=False)
                if regular and rel != MANIFEST_FILENAME and not rules.ignored(rel, is_dir=False):
                    found.append(rel)
    # Sort the full relative path, so neither creation order nor the OS's walk order matters.
    return iter(sorted(found))


# ---------------------------------------------------------------------------------------------------
# Fingerprint. Framing (all integers unsigned 64-bit big-endian):
#   DOMAIN
#   b"M" len(manifest) manifest               (normalized JSON, UTF-8)
#   per file, in sorted order:
#     b"F" len(path) path  b"x"|b"-"  size  content      (regular file; x = owner-executable)
#     b"L" len(path) path  len(target) target             (symlink; target text, not followed)
# Every variable-length field is length-prefixed, so no path/content boundary can be shifted.
# ---------------------------------------------------------------------------------------------------
def _u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def normalized_manifest(app_dir: Path) -> bytes:
    """`stripe-app.json` re-serialized with sorted keys and compact separators, UTF-8."""
    path = Path(app_dir) / MANIFEST_FILENAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def fingerprint(app_dir: Path, *, bundle_dir: Path | None = None, ignore: Sequence[str] = ()) -> Fingerprint:
    """Hash the normalized manifest and the bundle's files; mtimes and owners never enter the digest."""
    root = Path(bundle_dir) if bundle_dir is not None else Path(app_dir)
    h = hashlib.sha256(_DOMAIN)
    manifest = normalized_manifest(app_dir)
    h.update(b"M" + _u64(len(manifest)) + manifest)
    count = total = 0
    for rel in iter_bundle_files(app_dir, bundle_dir=bundle_dir, ignore=ignore):
        path = root / rel
        name = rel.encode("utf-8", "surrogateescape")
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(path).encode("utf-8", "surrogateescape")
            h.update(b"L" + _u64(len(name)) + name + _u64(len(target)) + target)
        else:
            executable = b"x" if st.st_mode & stat.S_IXUSR else b"-"
            h.update(b"F" + _u64(len(name)) + name + executable + _u64(st.st_size))
            _hash_content(h, path, st.st_size)
            total += st.st_size
        count += 1
    return Fingerprint(digest=f"sha256:{h.hexdigest()}", file_count=count, total_bytes=total)


def _hash_content(h: hashlib._Hash, path: Path, size: int) -> None:
    seen = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            seen += len(chunk)
            h.update(chunk)
    # The size was framed before the content; a file that changed meanwhile would make a lying frame.
    if seen != size:
        raise RuntimeError(f"{path} changed while it was being hashed ({size} bytes expected, {seen} read)")


# ---------------------------------------------------------------------------------------------------
# Deterministic archive
# ---------------------------------------------------------------------------------------------------
def write_bundle_tar(files: Iterable[str], root: Path, out: BinaryIO) -> None:
    """Stream a gzip tar of `files` (relative to `root`) to `out`: sorted, mtime 0, uid/gid 0, modes
    0755/0644 from the owner-exec bit, symlinks as links; the same input always gives the same bytes."""
    root = Path(root)
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        for rel in sorted(set(files)):
            path = root / rel
            st = path.lstat()
            info = tarfile.TarInfo(rel)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if stat.S_ISLNK(st.st_mode):
                info.type = tarfile.SYMTYPE
                info.linkname = os.readlink(path)
                info.mode = 0o777
                tar.addfile(info)
                continue
            info.size = st.st_size
            info.mode = 0o755 if st.st_mode & stat.S_IXUSR else 0o644
            with open(path, "rb") as f:
                tar.addfile(info, f)
