"""Validate a parsed `stripe-app.json` against Stripe's schema and its known deviations (no pulumi import)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from pulumi_stripe_apps import manifest_rules as r

__all__ = [
    "MANIFEST_FILENAME",
    "AppManifest",
    "ContentSecurityPolicy",
    "ManifestIssue",
    "ManifestReport",
    "Permission",
    "PostInstallAction",
    "UiExtension",
    "View",
    "format_path",
    "load_manifest",
    "validate_manifest",
]

MANIFEST_FILENAME = "stripe-app.json"
Severity = Literal["error", "warning"]
Loc = tuple[str | int, ...]


# ---------------------------------------------------------------------------------------------------
# The structure from stripe-app.schema.json, checked by pydantic's core validator. Closed schema objects
# forbid extras; open ones allow them. Enum-like fields that lag the server (`permission`, `viewport`,
# post-install `type`, access type) are plain strings here; the rules table judges their values.
# The core validator rather than BaseModel classes: building model classes costs about 50 ms on the
# first check of every command, on the path every install waits on; this schema builds in under 1 ms.
# ---------------------------------------------------------------------------------------------------
def _field(schema: cs.CoreSchema, *, required: bool = True) -> cs.TypedDictField:
    return cs.typed_dict_field(schema, required=required)


def _optional(schema: cs.CoreSchema) -> cs.TypedDictField:
    return cs.typed_dict_field(cs.nullable_schema(schema), required=False)


def _object(fields: dict[str, cs.TypedDictField], *, closed: bool) -> cs.TypedDictSchema:
    return cs.typed_dict_schema(fields, extra_behavior="forbid" if closed else "allow")


_STRINGS = cs.list_schema(cs.str_schema())
_JSON_OBJECT = cs.dict_schema(cs.str_schema(), cs.any_schema())
_PERMISSION = _object({"permission": _field(cs.str_schema()), "purpose": _field(cs.str_schema())}, closed=True)
_VIEW = _object(
    {"viewport": _field(cs.str_schema()), "component": _field(cs.str_schema(pattern=r.COMPONENT_PATTERN))},
    closed=False,
)
_CSP = _object(
    {"connect-src": _optional(_STRINGS), "image-src": _optional(_STRINGS), "purpose": _field(cs.str_schema())},
    closed=False,
)
_UI_EXTENSION = _object(
    {"views": _field(cs.list_schema(_VIEW), required=False), "content_security_policy": _optional(_CSP)},
    closed=False,
)
_POST_INSTALL = _object({"type": _field(cs.str_schema()), "url": _optional(cs.str_schema())}, closed=True)
_MANIFEST_FIELDS: dict[str, cs.TypedDictField] = {
    "$schema": _field(cs.str_schema(), required=False),
    "id": _field(cs.str_schema(pattern=r.ID_PATTERN)),
    "version": _field(cs.str_schema(min_length=1)),
    "name": _field(cs.str_schema(min_length=1)),
    "icon": _field(cs.str_schema(), required=False),
    "permissions": _field(cs.list_schema(_PERMISSION), required=False),
    "ui_extension": _optional(_UI_EXTENSION),
    "post_install_action": _optional(_POST_INSTALL),
    "constants": _optional(_JSON_OBJECT),
    "allowed_redirect_uris": _optional(_STRINGS),
    "distribution_type": _field(cs.literal_schema(["private", "public"]), required=False),
    "stripe_api_access_type": _field(cs.str_schema(), required=False),
    "sandbox_install_compatible": _field(cs.bool_schema(), required=False),
    "app_backend": _optional(_JSON_OBJECT),
    "extensions": _field(cs.any_schema(), required=False),
    "connect_permissions": _field(cs.any_schema(), required=False),
    "provisioning": _optional(_JSON_OBJECT),
}
_STRUCTURE = SchemaValidator(_object(_MANIFEST_FIELDS, closed=True))
# The keys a misspelt top-level key is compared with.
_MANIFEST_KEYS = [key for key in _MANIFEST_FIELDS if key != "$schema"]


@dataclass(frozen=True)
class Permission:
    """One requested permission; `purpose` is shown to the installer."""

    permission: str
    purpose: str


@dataclass(frozen=True)
class View:
    """Where a UI component appears in the Dashboard."""

    viewport: str
    component: str


@dataclass(frozen=True)
class ContentSecurityPolicy:
    """Third-party origins the UI may reach."""

    purpose: str
    connect_src: list[str] | None = None
    image_src: list[str] | None = None


@dataclass(frozen=True)
class UiExtension:
    """The app's Dashboard UI."""

    views: list[View] = field(default_factory=list)
    content_security_policy: ContentSecurityPolicy | None = None


@dataclass(frozen=True)
class PostInstallAction:
    """What the installer is sent to after installing."""

    type: str
    url: str | None = None


@dataclass(frozen=True)
class AppManifest:
    """A parsed `stripe-app.json`; keys the schema lacks but Stripe accepts are kept as untyped data."""

    id: str
    version: str
    name: str
    schema_url: str | None = None
    icon: str = ""
    permissions: list[Permission] = field(default_factory=list)
    ui_extension: UiExtension | None = None
    post_install_action: PostInstallAction | None = None
    constants: dict[str, Any] | None = None
    allowed_redirect_uris: list[str] | None = None
    distribution_type: Literal["private", "public"] = "private"
    stripe_api_access_type: str = "platform"
    sandbox_install_compatible: bool = False
    app_backend: dict[str, Any] | None = None
    extensions: Any = None
    connect_permissions: Any = None
    provisioning: dict[str, Any] | None = None

    @classmethod
    def from_checked(cls, data: dict[str, Any]) -> AppManifest:
        """Build from a dict the structure check passed (the typed fields are known to have their types)."""
        plain = {k: data[k] for k in _PLAIN_KEYS if k in data}
        ui, action = data.get("ui_extension"), data.get("post_install_action")
        return cls(
            schema_url=data.get("$schema"),
            permissions=[Permission(p["permission"], p["purpose"]) for p in data.get("permissions", [])],
            ui_extension=None if ui is None else _ui_extension(ui),
            post_install_action=None if action is None else PostInstallAction(action["type"], action.get("url")),
            **plain,
        )

    def permission_names(self) -> list[str]:
        return [p.permission for p in self.permissions]

    def csp_connect_src(self) -> list[str]:
        csp = self.ui_extension.content_security_policy if self.ui_extension else None
        return list(csp.connect_src or []) if csp else []

    def csp_image_src(self) -> list[str]:
        csp = self.ui_extension.content_security_policy if self.ui_extension else None
        return list(csp.image_src or []) if csp else []

    def requested_access(self) -> dict[str, list[str]]:
        """What installing this version asks the account for, as the Install API's `*_granted` name it."""
        return {
            "permissions": sorted(set(self.permission_names())),
            "connect_src": self.csp_connect_src(),
            "image_src": self.csp_image_src(),
            "endpoints": list(self.allowed_redirect_uris or []),
        }


_NESTED_KEYS = {"$schema", "permissions", "ui_extension", "post_install_action"}
_PLAIN_KEYS = [key for key in _MANIFEST_FIELDS if key not in _NESTED_KEYS]


def _ui_extension(ui: dict[str, Any]) -> UiExtension:
    csp = ui.get("content_security_policy")
    return UiExtension(
        views=[View(v["viewport"], v["component"]) for v in ui.get("views", [])],
        content_security_policy=None
        if csp is None
        else ContentSecurityPolicy(csp["purpose"], csp.get("connect-src"), csp.get("image-src")),
    )


# ---------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ManifestIssue:
    """One finding: where (property path, "" for the root), what is wrong, what to do."""

    path: str
    message: str
    fix: str
    severity: Severity

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.fix}"  # the message names the path already (`_Collector.emit`)


@dataclass(frozen=True)
class ManifestReport:
    """The outcome of a validation; `manifest` is set only when there are no errors."""

    manifest: AppManifest | None
    errors: list[ManifestIssue]
    warnings: list[ManifestIssue]

    @property
    def ok(self) -> bool:
        return not self.errors


_SIMPLE_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def format_path(loc: Loc) -> str:
    """`("permissions", 2, "permission")` -> `permissions[2].permission`; odd keys as `["a.b"]`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _SIMPLE_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


@dataclass
class _Collector:
    strict: bool
    issues: dict[tuple[str, str], ManifestIssue] = field(default_factory=dict)

    def emit(self, rule: str, loc: Loc, message: str, fix: str) -> None:
        row = r.RULES[rule]
        severity = row.strict if self.strict else row.preview
        if severity is None:
            return
        path = format_path(loc)
        shown = f"`{path}`" if path else "the manifest"
        issue = ManifestIssue(path=path, message=f"{shown}: {message}", fix=fix, severity=severity)
        self.issues.setdefault((path, message), issue)


# ---------------------------------------------------------------------------------------------------
# Structure errors (pydantic-core) -> issues with a fix each
# ---------------------------------------------------------------------------------------------------
_MISSING_FIX: dict[str, str] = {
    "id": 'add `id`, a globally unique app id such as "com.example.billing"',
    "version": 'add `version` (any string, e.g. "1.0.0"); bump `version` for every upload',
    "name": "add `name`, the app name shown in the Dashboard",
    "permission": 'add `permission`, e.g. "customer_read"',
    "purpose": "add `purpose`: one sentence telling the installer why the app needs this permission",
    "viewport": 'add `viewport`, e.g. "stripe.dashboard.customer.detail"',
    "component": "add `component`, the name of the React component in src/views",
    "type": "add `type`: settings, onboarding or external",
}
_PATTERN_FIX: dict[str, str] = {
    "id": 'use only letters, digits, "_", "-" and "." (e.g. "com.example.billing")',
    "component": "use the component's identifier: letters, digits and _ only",
}
# What a value of the wrong type should have been, in JSON's words.
_EXPECTED: dict[str, str] = {
    "string_type": "a string",
    "list_type": "an array",
    "model_type": "an object",
    "dict_type": "an object",
    "bool_type": "true or false",
}
_TYPE_FIX: dict[str, str] = {
    "string_type": "use a JSON string",
    "list_type": "use a JSON array",
    "model_type": "use a JSON object",
    "dict_type": "use a JSON object",
    "bool_type": "use true or false",
}


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type: what the author wrote, not Python's name for it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _schema_issue(out: _Collector, err: Any) -> None:
    loc: Loc = tuple(err["loc"])
    kind: str = err["type"]
    last = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "missing":
        rule = "permission_missing_purpose" if loc[:1] == ("permissions",) and last == "purpose" else "schema"
        fix = _MISSING_FIX.get(last, f"add `{last}`")
        if "content_security_policy" in loc:
            fix = "add `purpose`: one sentence telling installers why the app calls these URLs"
        out.emit(rule, loc, f"required key `{last}` is missing.", fix)
    elif kind == "extra_forbidden":
        if loc == ("extends",):
            out.emit(
                "unknown_key",
                loc,
                "`extends` belongs to a local manifest (`stripe-app.<name>.json`, read by `stripe apps start`), "
                "not to stripe-app.json, which is what is uploaded.",
                "remove `extends` from stripe-app.json; keep local overrides in stripe-app.<name>.json",
            )
        elif len(loc) == 1:
            close = difflib.get_close_matches(str(loc[0]), _MANIFEST_KEYS, n=1)
            fix = f"did you mean `{close[0]}`? Rename it." if close else "remove it (not a manifest key)"
            out.emit("unknown_key", loc, f"unknown key `{loc[0]}`.", fix)
        else:
            out.emit("schema", loc, f"key `{last}` is not allowed here.", f"remove `{last}`")
    elif kind == "string_pattern_mismatch":
        out.emit(
            "schema",
            loc,
            f"{err['input']!r} does not match {err['ctx']['pattern']}.",
            _PATTERN_FIX.get(last, "match the schema pattern"),
        )
    elif kind == "string_too_short":
        fix = _MISSING_FIX["version"] if last == "version" else f"set `{last}` to a non-empty string"
        out.emit("schema", loc, "must not be empty.", fix)
    elif kind == "literal_error":
        out.emit(
            "enum_closed",
            loc,
            f"{err['input']!r} is not an allowed value.",
            f"allowed values: {err['ctx']['expected']}",
        )
    elif kind in _EXPECTED:
        out.emit("schema", loc, f"must be {_EXPECTED[kind]}, not {json_type(err['input'])}.", _TYPE_FIX[kind])
    else:
        out.emit(
            "schema",
            loc,
            f"{err['msg']} (got {json_type(err['input'])}).",
            "change the value to match the manifest schema",
        )


# ---------------------------------------------------------------------------------------------------
# Rules the schema's types cannot express: enum lags, URLs, duplicates, legacy keys
# ---------------------------------------------------------------------------------------------------
def _check_root(data: dict[str, Any], out: _Collector) -> None:
    for key, (null_rule, value_rule) in r.LEGACY_TOP_LEVEL.items():
        if key in data:
            rule = null_rule if data[key] is None else value_rule
            out.emit(rule, (key,), f"`{key}` is not in the published schema.", _legacy_fix(key))
    if "icon" not in data:
        out.emit("icon_missing", ("icon",), "no `icon`.", 'add `icon`: "./icon.png", a 300x300 PNG')
    elif isinstance(data["icon"], str) and not r.ICON_PATTERN.match(data["icon"]):
        out.emit(
            "icon_form",
            ("icon",),
            f"{data['icon']!r} is not a relative `./….png` path.",
            'use a 300x300 PNG inside the app, e.g. "./icon.png"',
        )
    if "permissions" not in data:
        out.emit("no_permissions", ("permissions",), "no `permissions`.", "add `permissions: []`")
    if data.get("ui_extension") is None:
        out.emit("no_ui_extension", ("ui_extension",), "no UI.", "none: backend-only apps have no UI")
    access = data.get("stripe_api_access_type")
    if isinstance(access, str) and access not in r.ACCESS_TYPES:
        _unknown_enum(
            out,
            ("stripe_api_access_type",),
            access,
            rule="access_type_unknown",
            shape=r.ENUM_WORD_SHAPE,
            allowed=r.ACCESS_TYPES,
        )
    uris = data.get("allowed_redirect_uris")
    if isinstance(uris, list):
        for i, uri in enumerate(uris):
            if isinstance(uri, str) and not _has_path(uri, schemes=("http", "https")):
                out.emit(
                    "url_pattern",
                    ("allowed_redirect_uris", i),
                    f"{uri!r} is not an http(s) URL with a path.",
                    "use https://<host>/<path>, the exact callback URL",
                )


def _legacy_fix(key: str) -> str:
    if key == "app_backend":
        return "remove `app_backend`; current Stripe CLIs no longer write it"
    if key == "provisioning":
        return "keep it only if Stripe enabled provisioning for your account"
    return f"set `{key}` to null or remove it"


def _check_permissions(perms: list[Any], out: _Collector) -> None:
    seen: set[str] = set()
    for i, item in enumerate(perms):
        if not isinstance(item, dict):
            continue
        name = item.get("permission")
        purpose = item.get("purpose")
        if isinstance(purpose, str) and not purpose.strip():
            out.emit(
                "permission_empty_purpose",
                ("permissions", i, "purpose"),
                "empty purpose.",
                "say in one sentence why the app needs this permission",
            )
        if not isinstance(name, str):
            continue
        loc: Loc = ("permissions", i, "permission")
        if name in seen:
            out.emit("permission_duplicate", loc, f"{name!r} is listed twice.", "remove the duplicate entry")
        seen.add(name)
        _check_permission_name(name, loc, out)


def _check_permission_name(name: str, loc: Loc, out: _Collector) -> None:
    if name in r.PERMISSIONS_REFUSED:
        out.emit(
            "permission_refused",
            loc,
            f"{name!r} is refused by Stripe's server.",
            "remove it, or ask stripe-apps@stripe.com to enable it for your account first",
        )
    elif name in r.PERMISSIONS_SCHEMA_TYPOS:
        right = r.PERMISSIONS_SCHEMA_TYPOS[name]
        out.emit("permission_schema_typo", loc, f"{name!r} is a misspelling in the schema.", f"use {right!r}")
    elif name in r.PERMISSIONS_SCHEMA:
        return
    elif name in r.PERMISSIONS_KNOWN_LAG:
        out.emit("permission_known_lag", loc, f"{name!r} is not in the schema.", "none needed")
    else:
        known = sorted((r.PERMISSIONS_SCHEMA - r.PERMISSIONS_REFUSED) | r.PERMISSIONS_KNOWN_LAG)
        _unknown_enum(
            out,
            loc,
            name,
            rule="permission_unknown",
            shape=r.PERMISSION_SHAPE,
            allowed=known,
            bad_shape_rule="permission_name_shape",
        )


_MAX_LISTED = 30
_PERMISSIONS_DOC = "https://docs.stripe.com/stripe-apps/reference/permissions"


def _unknown_enum(
    out: _Collector,
    loc: Loc,
    value: str,
    *,
    rule: str,
    shape: re.Pattern[str],
    allowed: Sequence[str] | frozenset[str],
    bad_shape_rule: str = "schema",
) -> None:
    choices = sorted(allowed)
    close = difflib.get_close_matches(value, choices, n=3)
    if len(choices) <= _MAX_LISTED:
        fix = f"allowed values: {', '.join(choices)}"
        if close:
            fix = f"did you mean {close[0]!r}? {fix}"
    else:
        near = f" (closest: {', '.join(close)})" if close else ""
        fix = f"use a listed value{near}; allowed values: {_PERMISSIONS_DOC}"
    if shape.match(value):
        message = f"{value!r} is not a value Stripe is known to accept (the server may refuse it)."
        out.emit(rule, loc, message, fix)
    else:
        out.emit(bad_shape_rule, loc, f"{value!r} is not a valid value.", fix)


def _check_ui(ui: dict[str, Any], out: _Collector) -> None:
    views = ui.get("views")
    if isinstance(views, list):
        for i, view in enumerate(views):
            if isinstance(view, dict) and isinstance(view.get("viewport"), str):
                _check_viewport(view["viewport"], ("ui_extension", "views", i, "viewport"), out)
    csp = ui.get("content_security_policy")
    if not isinstance(csp, dict):
        return
    base: Loc = ("ui_extension", "content_security_policy")
    connect = csp.get("connect-src")
    if isinstance(connect, list):
        for i, url in enumerate(connect):
            if isinstance(url, str):
                _check_connect_src(url, (*base, "connect-src", i), out)
    images = csp.get("image-src")
    if isinstance(images, list):
        for i, url in enumerate(images):
            if isinstance(url, str) and not re.match(r"^https?://.+", url):
                out.emit(
                    "url_pattern",
                    (*base, "image-src", i),
                    f"{url!r} is not an http(s) URL.",
                    "use https://<host>/<path>",
                )


def _check_viewport(viewport: str, loc: Loc, out: _Collector) -> None:
    if viewport in r.VIEWPORTS_SCHEMA:
        return
    if viewport in r.VIEWPORTS_EXAMPLE_ONLY:
        out.emit(
            "example_only_value",
            loc,
            f"{viewport!r} is not in the published schema (Stripe's own example uses it).",
            "none needed if Stripe accepts it; otherwise pick a listed viewport",
        )
        return
    allowed = r.VIEWPORTS_SCHEMA | r.VIEWPORTS_EXAMPLE_ONLY
    _unknown_enum(
        out,
        loc,
        viewport,
        rule="viewport_unknown",
        shape=r.VIEWPORT_SHAPE,
        allowed=allowed,
        bad_shape_rule="viewport_shape",
    )


def _check_connect_src(url: str, loc: Loc, out: _Collector) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = urlsplit("")
    if not url.startswith("https://") or not parts.netloc:
        lowercase = parts.scheme == "https" and parts.netloc
        out.emit(
            "connect_src_scheme",
            loc,
            f"{url!r} is not an https URL" + (" (the schema wants the scheme in lowercase)." if lowercase else "."),
            f"write it as https://{parts.netloc}{url.split(parts.netloc, 1)[1]}"
            if lowercase
            else "use https://<host>/<path> (the UI may only call https origins)",
        )
    elif not parts.path:
        origin = f"https://{parts.netloc}"
        out.emit(
            "connect_src_no_path",
            loc,
            f"{url!r} has no path.",
            f"use {origin}/ to allow the whole origin, or {origin}/<path> to allow one API",
        )
    elif parts.path == "/" and not parts.query:
        out.emit(
            "connect_src_root_path",
            loc,
            f"{url!r} allows every path of the origin (the schema wants a non-empty path).",
            "narrow it to the API prefix you call, e.g. https://<host>/api/",
        )


def _has_path(url: str, *, schemes: tuple[str, ...]) -> bool:
    return re.match(rf"^(?:{'|'.join(schemes)})://.*/.+", url) is not None


def _check_post_install(action: dict[str, Any], out: _Collector) -> None:
    kind = action.get("type")
    if not isinstance(kind, str):
        return
    url = action.get("url")
    if kind == "external":
        if action.get("url") is None:
            out.emit(
                "post_install_external_url",
                ("post_install_action", "url"),
                "an `external` action needs `url`.",
                "add `url`: the https:// page to send installers to",
            )
        elif isinstance(url, str) and not re.match(r"^https?://", url):
            out.emit(
                "url_pattern",
                ("post_install_action", "url"),
                f"{url!r} is not an http(s) URL.",
                "use https://<host>/<path>",
            )
        return
    if kind in r.POST_INSTALL_TYPES and "url" in action:
        out.emit(
            "post_install_url_not_external",
            ("post_install_action", "url"),
            f"`url` is only used by `external` actions, not {kind!r}.",
            'remove `url`, or use "type": "external"',
        )
    if kind in r.POST_INSTALL_EXAMPLE_ONLY:
        out.emit(
            "example_only_value",
            ("post_install_action", "type"),
            f"{kind!r} is not in the published schema (Stripe's own example uses it).",
            "none needed if Stripe accepts it; otherwise use settings, onboarding or external",
        )
    elif kind not in r.POST_INSTALL_TYPES:
        allowed = r.POST_INSTALL_TYPES | r.POST_INSTALL_EXAMPLE_ONLY
        _unknown_enum(
            out,
            ("post_install_action", "type"),
            kind,
            rule="post_install_type_unknown",
            shape=r.ENUM_WORD_SHAPE,
            allowed=allowed,
        )


_CHECKS: tuple[tuple[str, type, Callable[[Any, _Collector], None]], ...] = (
    ("permissions", list, _check_permissions),
    ("ui_extension", dict, _check_ui),
    ("post_install_action", dict, _check_post_install),
)


def validate_manifest(data: object, *, strict: bool = False) -> ManifestReport:
    """Check a parsed manifest. `strict=False`: provider preview; `strict=True`: what Stripe's server does."""
    out = _Collector(strict=strict)
    if not isinstance(data, dict):
        out.emit(
            "not_json_object",
            (),
            f"expected a JSON object, got {json_type(data)}.",
            'write the manifest as a JSON object: {"id": ..., "version": ..., "name": ...}',
        )
        return _report(out, None)
    model: AppManifest | None = None
    try:
        model = AppManifest.from_checked(_STRUCTURE.validate_python(data, strict=True))
    except ValidationError as exc:
        for err in exc.errors():
            _schema_issue(out, err)
    _check_root(data, out)
    for key, kind, check in _CHECKS:
        if isinstance(data.get(key), kind):
            check(data[key], out)
    return _report(out, model)


def _report(out: _Collector, model: AppManifest | None) -> ManifestReport:
    issues = list(out.issues.values())
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    return ManifestReport(manifest=None if errors else model, errors=errors, warnings=warnings)


def load_manifest(app_dir: Path) -> tuple[dict[str, Any], ManifestReport]:
    """Read and validate `<app_dir>/stripe-app.json` (preview strictness); unreadable files are one error."""
    path = Path(app_dir) / MANIFEST_FILENAME
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, _file_error(f"cannot read {path}: {exc}.", f"create a readable UTF-8 {MANIFEST_FILENAME}")
    if text.startswith("\ufeff"):
        return {}, _file_error(
            f"{path} starts with a byte order mark (BOM), which JSON parsers refuse.",
            f"save {MANIFEST_FILENAME} as UTF-8 without a BOM",
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return {}, _file_error(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            f"fix the JSON syntax at line {exc.lineno}, column {exc.colno} (comments are not allowed)",
        )
    report = validate_manifest(data)
    return (data if isinstance(data, dict) else {}), report


def _file_error(message: str, fix: str) -> ManifestReport:
    return ManifestReport(
        manifest=None,
        errors=[ManifestIssue(path="", message=message, fix=fix, severity="error")],
        warnings=[],
    )
