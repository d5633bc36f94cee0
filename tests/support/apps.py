"""Writes app directories for tests: a stripe-app.json and a small bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_app(
    root: Path,
    *,
    app_id: str = "com.example.billing",
    version: str = "1.0.0",
    permissions: tuple[str, ...] = ("customer_read",),
    sandbox: bool = True,
    distribution: str = "private",
    connect_src: tuple[str, ...] = (),
    source: str = "export const View = () => null;\n",
    extra: dict[str, Any] | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    ui: dict[str, Any] = {"views": [{"viewport": "stripe.dashboard.customer.detail", "component": "View"}]}
    if connect_src:
        ui["content_security_policy"] = {"connect-src": list(connect_src), "purpose": "Calls our backend"}
    manifest: dict[str, Any] = {
        "id": app_id,
        "version": version,
        "name": "Billing helper",
        "icon": "./icon.png",
        "permissions": [{"permission": name, "purpose": f"Needs {name}"} for name in permissions],
        "ui_extension": ui,
        "distribution_type": distribution,
        "sandbox_install_compatible": sandbox,
        **(extra or {}),
    }
    (root / "stripe-app.json").write_text(json.dumps(manifest, indent=2))
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "View.tsx").write_text(source)
    (root / "icon.png").write_bytes(b"\x89PNG fake icon")
    return root


def set_manifest(root: Path, **changes: Any) -> None:
    path = root / "stripe-app.json"
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest, indent=2))
