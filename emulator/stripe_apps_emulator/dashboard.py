"""The Dashboard page (`GET /_emulator/dashboard`): server-rendered HTML and plain forms, no JavaScript."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .errors import StripeError
from .models import Backend

PAGE = "/_emulator/dashboard"
FORMS = PAGE + "/forms"
RECENT_EVENTS = 20
MODES = ("test", "live")


def esc(value: object) -> str:
    """Every piece of data goes through here on its way into the page, attributes included."""
    return html.escape("" if value is None else str(value), quote=True)


def when(timestamp: object) -> str:
    if not isinstance(timestamp, int | float):
        return ""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class View:
    """Which account and mode the page shows."""

    account: str
    mode: str

    @property
    def livemode(self) -> bool:
        return self.mode == "live"

    def query(self, **extra: str) -> str:
        return urlencode({"account": self.account, "mode": self.mode, **extra})

    def hidden(self) -> str:
        return (
            f'<input type="hidden" name="view_account" value="{esc(self.account)}">'
            f'<input type="hidden" name="view_mode" value="{esc(self.mode)}">'
        )


@dataclass(frozen=True)
class Action:
    """A form endpoint: what it does, and the sentence the page shows afterwards."""

    pattern: str
    summary: str
    fields: tuple[str, ...]
    run: Callable[[Backend, dict[str, str], dict[str, str]], str]

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", FORMS + self.pattern) + "$")


def _uninstall(backend: Backend, path: dict[str, str], form: dict[str, str]) -> str:
    install = backend.installs.uninstall(None, path["id"])
    return f"Uninstalling {install['id']}: status {install['status']}."


def _install_version(backend: Backend, path: dict[str, str], form: dict[str, str]) -> str:
    upload = backend.apps.upload_doc(form.get("upload", ""))
    if upload is None:
        raise ValueError(f"No such upload: {form.get('upload', '')!r}")
    install = backend.installs.install_version(path["app"], upload["id"], form.get("account") or None)
    return (
        f"Installing version {upload['version']} of {upload['app_id']} in test mode on {install['account']}: "
        f"{install['id']} ({install['status']})."
    )


def _review(backend: Backend, path: dict[str, str], form: dict[str, str]) -> str:
    app = backend.apps.review(path["app"], form.get("decision", ""))
    return f"Marketplace review of {app['app_id']}: {app['marketplace']['status']}."


ACTIONS = (
    Action("/installs/{id}/uninstall", "Dashboard form: uninstall an app, then show the page again.", (), _uninstall),
    Action(
        "/apps/{app}/install_version",
        "Dashboard form: install a version from Version History in test mode, then show the page again.",
        ("upload", "account"),
        _install_version,
    ),
    Action(
        "/apps/{app}/review",
        "Dashboard form (Stripe side): approve or reject a Marketplace review, then show the page again.",
        ("decision",),
        _review,
    ),
)
VIEW_FIELDS = ("view_account", "view_mode")


def serves(path: str) -> bool:
    return path == PAGE or path.startswith(FORMS + "/")


class Dashboard:
    """Renders the page from the backend and runs the form actions (POST, then redirect back: PRG)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        if path == PAGE:
            if request.method not in ("GET", "HEAD"):
                return HTMLResponse(_document("Method not allowed", "<p>Use GET.</p>"), status_code=405)
            query = {key: value for key, value in request.query_params.items()}
            with self.backend.store.transaction():
                body = self.render(self._view(query.get("account"), query.get("mode")), query)
            return HTMLResponse(body)
        for action in ACTIONS:
            found = action.regex.match(path)
            if found is None:
                continue
            if request.method != "POST":
                return HTMLResponse(_document("Method not allowed", "<p>Use the page's forms.</p>"), status_code=405)
            raw = parse_qs((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
            form = {key: values[0] for key, values in raw.items()}
            view = self._view(form.get("view_account"), form.get("view_mode"))
            unknown = set(form) - set(action.fields) - set(VIEW_FIELDS)
            if unknown:
                outcome = {"error": f"Unknown form fields: {', '.join(sorted(unknown))}."}
            else:
                outcome = self._run(action, found.groupdict(), form)
            return RedirectResponse(f"{PAGE}?{view.query(**outcome)}", status_code=303)
        return HTMLResponse(_document("Not found", f"<p>No Dashboard page at {esc(path)}.</p>"), status_code=404)

    def _run(self, action: Action, path: dict[str, str], form: dict[str, str]) -> dict[str, str]:
        try:
            with self.backend.store.transaction():
                return {"notice": action.run(self.backend, path, form)}
        except StripeError as exc:
            return {"error": exc.message}
        except KeyError as exc:
            return {"error": f"No such object: {exc.args[0]!r}."}
        except ValueError as exc:
            return {"error": str(exc)}

    def _view(self, account: str | None, mode: str | None) -> View:
        accounts = [str(doc["id"]) for doc in self.backend.store.all("account")]
        chosen = account if account is not None and account in accounts else accounts[0]
        doc = self.backend.store.get("account", chosen) or {}
        if doc.get("sandbox"):
            return View(chosen, "test")
        return View(chosen, mode if mode in MODES else "test")

    # -- rendering ------------------------------------------------------------------------------
    def render(self, view: View, query: dict[str, str]) -> str:
        parts = [self._nav(view)]
        if query.get("notice"):
            parts.append(f'<p class="notice" role="status">{esc(query["notice"])}</p>')
        if query.get("error"):
            parts.append(f'<p class="error" role="alert">{esc(query["error"])}</p>')
        parts.append(self._apps(view))
        parts.append(self._installs(view))
        parts.append(self._events(view))
        title = f"{view.account} · {self._label(view)}"
        return _document(f"Dashboard — {title}", "\n".join(parts))

    def _label(self, view: View) -> str:
        doc = self.backend.store.get("account", view.account) or {}
        return "sandbox" if doc.get("sandbox") else f"{view.mode} mode"

    def _nav(self, view: View) -> str:
        links = []
        for doc in self.backend.store.all("account"):
            modes = ("test",) if doc.get("sandbox") else MODES
            for mode in modes:
                target = View(doc["id"], mode)
                label = f"{doc['id']} · {'sandbox' if doc.get('sandbox') else mode}"
                current = ' aria-current="page"' if target == view else ""
                links.append(f'<a href="{esc(PAGE + "?" + target.query())}"{current}>{esc(label)}</a>')
        return f'<nav aria-label="Accounts and modes">{" ".join(links)}</nav>'

    def _owned_apps(self, view: View) -> list[dict[str, Any]]:
        doc = self.backend.store.get("account", view.account) or {}
        owner = doc.get("parent") or view.account
        return [app for app in self.backend.store.all("app") if app["account"] == owner]

    def _apps(self, view: View) -> str:
        apps = self._owned_apps(view)
        if not apps:
            return '<section id="apps"><h2>Apps</h2><p class="empty">No apps uploaded yet.</p></section>'
        blocks = [self._app(view, app) for app in apps]
        return '<section id="apps"><h2>Apps</h2>' + "".join(blocks) + "</section>"

    def _app(self, view: View, app: dict[str, Any]) -> str:
        history = self.backend.apps.version_history(app["id"])
        newest = next((upload for upload in history if upload["status"] == "completed"), None)
        running = {
            str(install["_upload"]): str(install["id"])
            for install in self._installs_of(view)
            if install["app"] == app["id"]
        }
        rows = []
        for upload in history:
            notes = []
            if newest is not None and upload["id"] == newest["id"]:
                notes.append("newest completed")
            if upload["id"] in running:
                notes.append(f"running on {running[upload['id']]}")
            errors = "; ".join(f"{e.get('path', '')}: {e.get('message', '')}" for e in upload.get("errors") or [])
            action = ""
            if upload["status"] == "completed" and newest is not None and upload["id"] != newest["id"]:
                action = (
                    f'<form method="post" action="{esc(FORMS)}/apps/{esc(app["id"])}/install_version">'
                    f'{view.hidden()}<input type="hidden" name="upload" value="{esc(upload["id"])}">'
                    f'<input type="hidden" name="account" value="{esc(view.account)}">'
                    f'<button type="submit">Install in test mode</button></form>'
                )
            rows.append(
                f'<tr data-upload="{esc(upload["id"])}"><td>{esc(upload["version"])}</td>'
                f"<td><code>{esc(upload['id'])}</code></td>"
                f'<td class="status-{esc(upload["status"])}">{esc(upload["status"])}'
                f"{'<br><small>' + esc(errors) + '</small>' if errors else ''}</td>"
                f"<td>{esc(when(upload['created']))}</td><td>{esc(', '.join(notes))}</td><td>{action}</td></tr>"
            )
        status = app.get("marketplace", {}).get("status", "unlisted")
        review = ""
        if status == "in_review":
            review = "".join(
                f'<form method="post" action="{esc(FORMS)}/apps/{esc(app["id"])}/review">{view.hidden()}'
                f'<input type="hidden" name="decision" value="{decision}">'
                f'<button type="submit">{label}</button></form>'
                for decision, label in (("approve", "Approve"), ("reject", "Reject"))
            )
        table = (
            "<table><thead><tr><th>Version</th><th>Upload</th><th>Status</th><th>Uploaded</th><th></th><th></th>"
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            if rows
            else '<p class="empty">No uploads.</p>'
        )
        return (
            f'<article class="app" data-app="{esc(app["id"])}"><h3>{esc(app["app_id"])} '
            f"<small><code>{esc(app['id'])}</code> · {esc(app['distribution_type'])}</small></h3>"
            f'<div class="marketplace">Marketplace review: <strong>{esc(status)}</strong> {review}</div>'
            f"<h4>Version History <small>(newest first)</small></h4>{table}</article>"
        )

    def _installs_of(self, view: View) -> list[dict[str, Any]]:
        found = []
        for install in reversed(self.backend.store.all("install")):
            if install["account"] != view.account or install["livemode"] != view.livemode:
                continue
            settled = self.backend.installs.settle(install)
            if settled is not None:
                found.append(settled)
        return found

    def _installs(self, view: View) -> str:
        rows = []
        for install in self._installs_of(view):
            app = self.backend.apps.app_doc(install["app"]) or {}
            upload = self.backend.apps.upload_doc(str(install["_upload"])) or {}
            view_doc = self.backend.installs.render(install)
            pending = ", ".join(view_doc["permissions_pending"])
            button = ""
            if install["status"] != "uninstalling":
                button = (
                    f'<form method="post" action="{esc(FORMS)}/installs/{esc(install["id"])}/uninstall">'
                    f'{view.hidden()}<button type="submit">Uninstall</button></form>'
                )
            rows.append(
                f'<tr data-install="{esc(install["id"])}"><td><code>{esc(install["id"])}</code></td>'
                f"<td>{esc(app.get('app_id', install['app']))}</td><td>{esc(upload.get('version', ''))}</td>"
                f"<td>{esc(install['channel'])}</td>"
                f'<td class="status status-{esc(install["status"])}">{esc(install["status"])}</td>'
                f"<td>{esc(pending)}</td><td>{esc(when(install['created']))}</td><td>{button}</td></tr>"
            )
        heading = f'<section id="installs"><h2>Installs ({esc(self._label(view))})</h2>'
        if not rows:
            return heading + '<p class="empty">No installs.</p></section>'
        return (
            heading + "<table><thead><tr><th>Install</th>"
            "<th>App</th><th>Version</th><th>Channel</th><th>Status</th><th>Pending permissions</th>"
            "<th>Created</th><th></th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>"
        )

    def _events(self, view: View) -> str:
        events = [
            event
            for event in reversed(self.backend.store.all("event"))
            if event["_account"] == view.account and event["livemode"] == view.livemode
        ][:RECENT_EVENTS]
        rows = []
        for event in events:
            obj = event.get("data", {}).get("object", {})
            source = event.get("request", {}).get("id") or "Dashboard or Stripe"
            rows.append(
                f"<tr><td>{esc(when(event['created']))}</td><td>{esc(event['type'])}</td>"
                f"<td><code>{esc(obj.get('id', ''))}</code></td><td>{esc(obj.get('status', ''))}</td>"
                f"<td>{esc(source)}</td><td><code>{esc(event['id'])}</code></td></tr>"
            )
        body = (
            "<table><thead><tr><th>When</th><th>Type</th><th>Object</th><th>Status</th><th>Request</th>"
            "<th>Event</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            if rows
            else '<p class="empty">No events.</p>'
        )
        return f'<section id="events"><h2>Recent events</h2>{body}</section>'


STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem; color: #1a1f36; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; border-bottom: 1px solid #e3e8ee; padding-bottom: .25rem; }
nav a { display: inline-block; padding: .25rem .6rem; margin: 0 .25rem .25rem 0; border: 1px solid #c1c9d2;
        border-radius: 4px; text-decoration: none; color: #3c4257; }
nav a[aria-current] { background: #635bff; color: #fff; border-color: #635bff; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e3e8ee; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
form { display: inline; margin-right: .25rem; }
button { font: inherit; padding: .15rem .6rem; border: 1px solid #c1c9d2; border-radius: 4px; background: #fff;
         cursor: pointer; }
.notice { background: #e6f4ea; border: 1px solid #a8dab5; padding: .5rem; }
.error { background: #fdecea; border: 1px solid #f5b7b1; padding: .5rem; }
.status-installed, .status-completed { color: #0a7a3e; }
.status-uninstalling, .status-installing, .status-processing { color: #a05e03; }
.status-install_failed, .status-uninstall_failed, .status-failed { color: #c0123c; }
.empty { color: #697386; } code { font-size: .92em; } .marketplace { margin: .5rem 0; }
"""


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{esc(title)}</h1>{body}</body></html>"
    )
