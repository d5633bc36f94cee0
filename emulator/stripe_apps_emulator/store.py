"""SQLite document store: one row per object, JSON data, insertion order kept; thread-safe."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Doc = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_kind ON objects (kind, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# A lookup key per object (an install's account and mode, a secret's store), so finding one among thousands
# reads only its group, not every object of its kind. Added to databases made before it.
_SCOPE = """
ALTER TABLE objects ADD COLUMN scope TEXT;
"""
_SCOPE_INDEX = "CREATE INDEX IF NOT EXISTS objects_scope ON objects (kind, scope, seq);"
Scoper = Callable[[Doc], str]


class Store:
    """Objects keyed by id and grouped by kind; `:memory:` unless a data directory is given."""

    def __init__(self, data_dir: str | Path | None = None) -> None:
        if data_dir is None:
            target = ":memory:"
        else:
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            target = str(Path(data_dir) / "emulator.sqlite3")
        self.path = target
        self.lock = threading.RLock()
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL" if data_dir else "PRAGMA journal_mode=MEMORY")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(objects)")}
        if "scope" not in columns:
            self._db.executescript(_SCOPE)
        self._db.execute(_SCOPE_INDEX)
        self._scopers: dict[str, Scoper] = {}
        self._depth = 0

    def scope_by(self, kind: str, scoper: Scoper) -> None:
        """Objects of `kind` are grouped by `scoper(doc)`; `all(kind, scope=...)` then reads one group.

        Objects stored without this grouping (by an earlier emulator, in a kept data directory) are regrouped now.
        """
        self._scopers[kind] = scoper
        with self.lock:
            rows = self._db.execute("SELECT id, data, scope FROM objects WHERE kind = ?", (kind,)).fetchall()
            for id_, data, scope in rows:
                wanted = scoper(json.loads(data))
                if scope != wanted:
                    self._db.execute("UPDATE objects SET scope = ? WHERE id = ?", (wanted, id_))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Serialise a unit of work; nested use joins the outer transaction."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    def get(self, kind: str, id_: str) -> Doc | None:
        with self.lock:
            row = self._db.execute("SELECT data FROM objects WHERE kind = ? AND id = ?", (kind, id_)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, kind: str, id_: str, data: Doc) -> None:
        scoper = self._scopers.get(kind)
        scope = scoper(data) if scoper is not None else None
        with self.lock:
            self._db.execute(
                "INSERT INTO objects (kind, id, data, scope) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET data = excluded.data, scope = excluded.scope",
                (kind, id_, json.dumps(data, sort_keys=True), scope),
            )

    def delete(self, kind: str, id_: str) -> None:
        with self.lock:
            self._db.execute("DELETE FROM objects WHERE kind = ? AND id = ?", (kind, id_))

    def all(self, kind: str, *, scope: str | None = None) -> list[Doc]:
        """Every object of a kind, or of one of its groups (see `scope_by`), oldest first (insertion order)."""
        with self.lock:
            args: tuple[str, ...]
            if scope is None:
                query, args = "SELECT data FROM objects WHERE kind = ? ORDER BY seq", (kind,)
            else:
                query, args = "SELECT data FROM objects WHERE kind = ? AND scope = ? ORDER BY seq", (kind, scope)
            rows = self._db.execute(query, args).fetchall()
        return [dict(json.loads(row[0])) for row in rows]

    def seq(self, kind: str, id_: str) -> int:
        with self.lock:
            row = self._db.execute("SELECT seq FROM objects WHERE kind = ? AND id = ?", (kind, id_)).fetchone()
        return int(row[0]) if row else 0

    def meta_get(self, key: str, default: Any = None) -> Any:
        with self.lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def meta_set(self, key: str, value: Any) -> None:
        with self.lock:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def kinds(self) -> list[str]:
        with self.lock:
            rows = self._db.execute("SELECT DISTINCT kind FROM objects ORDER BY kind").fetchall()
        return [str(row[0]) for row in rows]

    def clear(self) -> None:
        with self.lock:
            self._db.execute("DELETE FROM objects")
            self._db.execute("DELETE FROM meta")

    def close(self) -> None:
        with self.lock:
            self._db.close()
