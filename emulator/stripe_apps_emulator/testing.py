"""Test helpers: `running_emulator` and a small client for the control plane."""

from __future__ import annotations

from typing import Any

import httpx

from .server import RunningEmulator, running_emulator

__all__ = ["ControlClient", "RunningEmulator", "running_emulator"]


class ControlClient:
    """Wraps `/_emulator/...`; raises on any non-2xx answer."""

    def __init__(self, url: str, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=url, timeout=10.0, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, "/_emulator" + path, json=body)
        response.raise_for_status()
        return response.json()

    def reset(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/reset")
        return result

    def keys(self) -> dict[str, dict[str, str]]:
        result: dict[str, dict[str, str]] = self._call("GET", "/keys")
        return result

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/state")
        return result

    def transitions(self, **settings: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/transitions", settings)
        return result

    def release(self) -> int:
        return int(self._call("POST", "/transitions/release")["released"])

    def advance_clock(self, seconds: float) -> float:
        return float(self._call("POST", "/clock/advance", {"seconds": seconds})["now"])

    def set_faults(self, seed: int, rules: list[dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/faults", {"seed": seed, "rules": rules})
        return result

    def fault_log(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/faults/log")["data"]
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/requests")["data"]
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def rate_limits(self, **settings: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/rate_limits", settings)
        return result

    def create_account(self, connected_to: str | None = None) -> dict[str, Any]:
        body = {"connected_to": connected_to} if connected_to else {}
        result: dict[str, Any] = self._call("POST", "/accounts", body)
        return result

    def create_sandbox(self, account: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/accounts/{account}/sandboxes")
        return result

    def revoke_key(self, key: str) -> None:
        self._call("POST", f"/keys/{key}/revoke")

    def installed_upload(self, install: str) -> str:
        return str(self._call("GET", f"/installs/{install}")["upload"])

    def dashboard_uninstall(self, install: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/dashboard/installs/{install}/uninstall")
        return result

    def dashboard_install_version(self, app: str, upload: str, account: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"upload": upload}
        if account:
            body["account"] = account
        result: dict[str, Any] = self._call("POST", f"/dashboard/apps/{app}/install_version", body)
        return result

    def dashboard_app(self, app_id: str, account: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"app_id": app_id}
        if account:
            body["account"] = account
        result: dict[str, Any] = self._call("POST", "/dashboard/apps", body)
        return result

    def dashboard_review(self, app: str, decision: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/dashboard/apps/{app}/review", {"decision": decision})
        return result
