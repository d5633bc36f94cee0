"""Store groups: objects are found within their group, and a data directory kept from before groups (or from
another grouping) still works."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from stripe_apps_emulator.store import Store


def test_a_group_holds_only_its_objects() -> None:
    store = Store()
    store.scope_by("install", lambda doc: str(doc["account"]))
    for index, account in enumerate(["acct_a", "acct_b", "acct_a"]):
        store.put("install", f"appinst_{index}", {"account": account})
    assert [doc["account"] for doc in store.all("install", scope="acct_a")] == ["acct_a", "acct_a"]
    assert len(store.all("install")) == 3


def test_objects_stored_before_groups_get_theirs(tmp_path: Path) -> None:
    Store(tmp_path).close()
    with sqlite3.connect(tmp_path / "emulator.sqlite3") as db:  # as an emulator before groups wrote it
        db.execute(
            "INSERT INTO objects (kind, id, data) VALUES ('install', 'appinst_old', ?)",
            (json.dumps({"account": "acct_a"}),),
        )
    store = Store(tmp_path)
    store.scope_by("install", lambda doc: str(doc["account"]))
    assert [doc["account"] for doc in store.all("install", scope="acct_a")] == ["acct_a"]
    store.close()


def test_objects_grouped_by_an_earlier_rule_are_regrouped(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.scope_by("install", lambda doc: str(doc["account"]))  # an earlier emulator's grouping
    store.put("install", "appinst_1", {"account": "acct_a", "app": "app_1"})
    store.close()
    store = Store(tmp_path)
    store.scope_by("install", lambda doc: f"{doc['account']}:{doc['app']}")
    assert [doc["app"] for doc in store.all("install", scope="acct_a:app_1")] == ["app_1"]
    assert store.all("install", scope="acct_a") == []
    store.close()
