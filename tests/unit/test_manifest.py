"""Manifest validation: the real-world corpus, adversarial manifests by path, and a never-raises property."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_stripe_apps.manifest import AppManifest, ManifestReport, load_manifest, validate_manifest
from pulumi_stripe_apps.manifest_rules import RULES

CORPUS = Path(__file__).resolve().parents[1] / "data" / "manifests"  # a copy of the shared corpus
JSONC = "LuisValdenecio__viterbi-desk-stripe-oauth.jsonc"

# Corpus files that are genuine author mistakes (see SOURCES.tsv), with every error path they must get.
# Everything else in the corpus is something Stripe plausibly accepted and must pass preview.
AUTHOR_MISTAKES: dict[str, set[str]] = {
    # misspelled permission names (warnings) and no `purpose` (errors)
    "AberraouiTekypay__reetayn.json": {f"permissions[{i}].purpose" for i in range(4)},
    # permissions as bare strings, views in another tool's shape, a path-less connect-src, no CSP purpose
    "Optivance-1__lucrum.json": {
        *(f"permissions[{i}]" for i in range(4)),
        "ui_extension.views[0].viewport",
        "ui_extension.views[0].component",
        "ui_extension.views[1].viewport",
        "ui_extension.views[1].component",
        "ui_extension.content_security_policy.purpose",
        "ui_extension.content_security_policy.connect-src[0]",
    },
    "andrewrouse04__DMA-Brevo-Integration.json": {"ui_extensions"},  # misspelled `ui_extension`
    # webhook event names used as permissions
    "beltranbot__example-stripe-app-with-backend.json": {
        "permissions[0].permission",
        "permissions[1].permission",
    },
    "cyberike__drip-backend.json": {"ui_extension.content_security_policy.connect-src"},  # a string
    # a local `stripe apps start` manifest: http://localhost connect-src and no CSP purpose
    "lucaloguercio-stripe__icplus-sim.json": {
        "ui_extension.content_security_policy.purpose",
        "ui_extension.content_security_policy.connect-src[0]",
    },
    "scythelb-web__churnguard.json": {"ui_extension"},  # `[]` where an object is required
}


def corpus_files() -> list[str]:
    return sorted(p.name for p in CORPUS.glob("*.json"))


def test_corpus_is_present() -> None:
    assert len(corpus_files()) == 64
    assert set(AUTHOR_MISTAKES) <= set(corpus_files())


@pytest.mark.parametrize("name", corpus_files())
def test_corpus_manifest_in_preview(name: str) -> None:
    report = validate_manifest(json.loads((CORPUS / name).read_text(encoding="utf-8")))
    assert {e.path for e in report.errors} == AUTHOR_MISTAKES.get(name, set()), report.errors
    assert (report.manifest is None) == (name in AUTHOR_MISTAKES)


def test_corpus_sources_name_every_file() -> None:
    rows = (CORPUS / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()[1:]
    listed = {row.split("\t")[0] for row in rows}
    assert set(corpus_files()) | {JSONC} <= listed


def test_corpus_in_strict_mode_fails_only_on_refused_values() -> None:
    # The server refuses `webhook_write` (two corpus apps ask for it); every other accepted file passes.
    refused = {"Moksh45__Stripe-app.json": {"permissions[98].permission"}}
    refused["reesericci__heroku-united.json"] = {"permissions[1].permission"}
    for name in corpus_files():
        if name in AUTHOR_MISTAKES:
            continue
        report = validate_manifest(json.loads((CORPUS / name).read_text(encoding="utf-8")), strict=True)
        assert {e.path for e in report.errors} == refused.get(name, set()), (name, report.errors)


def test_jsonc_corpus_file_is_rejected_by_load_but_valid_without_comments(tmp_path: Path) -> None:
    # Decision: `stripe-app.json` is JSON (Stripe's CLI parses it as such), so comments are a load error
    # naming the line; the content itself, comments stripped here in the test only, is a valid app.
    text = (CORPUS / JSONC).read_text(encoding="utf-8")
    (tmp_path / "stripe-app.json").write_text(text, encoding="utf-8")
    data, report = load_manifest(tmp_path)
    assert data == {}
    assert [e.path for e in report.errors] == [""]
    assert "line 7" in report.errors[0].message and "stripe-app.json" in report.errors[0].message
    stripped = re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)
    assert validate_manifest(json.loads(stripped)).ok


# ---------------------------------------------------------------------------------------------------
# Adversarial manifests: each failure names the exact property path
# ---------------------------------------------------------------------------------------------------
BASE: dict[str, Any] = {
    "id": "com.example.billing",
    "version": "1.0.0",
    "name": "Billing helper",
    "icon": "./icon.png",
    "permissions": [
        {"permission": "customer_read", "purpose": "Show the customer's plan"},
        {"permission": "invoice_read", "purpose": "Show open invoices"},
    ],
    "ui_extension": {
        "views": [{"viewport": "stripe.dashboard.customer.detail", "component": "CustomerView"}],
        "content_security_policy": {
            "connect-src": ["https://api.example.com/v1/"],
            "image-src": ["https://cdn.example.com/img/"],
            "purpose": "Load plan data from our API",
        },
    },
    "post_install_action": {"type": "external", "url": "https://example.com/welcome"},
    "allowed_redirect_uris": ["https://example.com/oauth/callback"],
    "distribution_type": "private",
    "stripe_api_access_type": "platform",
    "sandbox_install_compatible": True,
}
CSP = "ui_extension.content_security_policy"


def build(*edits: tuple[str, Any]) -> dict[str, Any]:
    """BASE with edits applied; a path like `permissions[0].purpose`; the value DELETE removes the key."""
    data = copy.deepcopy(BASE)
    for path, value in edits:
        parts: list[str | int] = [int(i) if i else k for k, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path) if k or i]
        node: Any = data
        for part in parts[:-1]:
            node = node[part]
        if value is DELETE:
            del node[parts[-1]]
        else:
            node[parts[-1]] = value
    return data


DELETE = object()

STRUCTURAL: list[tuple[str, object, str, str]] = [
    # (case, manifest, expected error path, a word the fix must contain)
    ("root is a list", [BASE], "", "JSON object"),
    ("missing id", build(("id", DELETE)), "id", "com.example"),
    ("missing version", build(("version", DELETE)), "version", "bump `version`"),
    ("empty version", build(("version", "")), "version", "bump `version`"),
    ("missing name", build(("name", DELETE)), "name", "name"),
    ("id with a space", build(("id", "com.example app")), "id", "letters"),
    ("id not a string", build(("id", 42)), "id", "string"),
    ("version a number", build(("version", 1)), "version", "string"),
    ("unknown top-level key", build(("ui_extensions", [])), "ui_extensions", "ui_extension"),
    ("odd unknown key", {**BASE, "a.b": 1}, '["a.b"]', "remove"),
    ("permissions not a list", build(("permissions", "customer_read")), "permissions", "array"),
    ("permission a bare string", build(("permissions[1]", "invoice_read")), "permissions[1]", "object"),
    (
        "permission without name",
        build(("permissions[1].permission", DELETE)),
        "permissions[1].permission",
        "add",
    ),
    (
        "permission without purpose",
        build(("permissions[1].purpose", DELETE)),
        "permissions[1].purpose",
        "why",
    ),
    ("permission extra key", build(("permissions[0].scope", "all")), "permissions[0].scope", "remove"),
    (
        "duplicate permission",
        build(("permissions[1].permission", "customer_read")),
        "permissions[1].permission",
        "duplicate",
    ),
    (
        "event name as permission",
        build(("permissions[0].permission", "invoice.paid")),
        "permissions[0].permission",
        "closest",
    ),
    (
        "http connect-src",
        build((f"{CSP}.connect-src", ["http://api.example.com/v1/"])),
        f"{CSP}.connect-src[0]",
        "https://",
    ),
    (
        "path-less connect-src",
        build((f"{CSP}.connect-src", ["https://ok.example.com/", "https://api.example.com"])),
        f"{CSP}.connect-src[1]",
        "https://api.example.com/",
    ),
    (
        "connect-src a string",
        build((f"{CSP}.connect-src", "https://api.example.com/v1/")),
        f"{CSP}.connect-src",
        "array",
    ),
    ("connect-src entry a number", build((f"{CSP}.connect-src", [1])), f"{CSP}.connect-src[0]", "string"),
    (
        "image-src not a URL",
        build((f"{CSP}.image-src", ["cdn.example.com"])),
        f"{CSP}.image-src[0]",
        "https://",
    ),
    ("CSP without purpose", build((f"{CSP}.purpose", DELETE)), f"{CSP}.purpose", "purpose"),
    (
        "view without viewport",
        build(("ui_extension.views[0].viewport", DELETE)),
        "ui_extension.views[0].viewport",
        "viewport",
    ),
    (
        "component with a dash",
        build(("ui_extension.views[0].component", "customer-view")),
        "ui_extension.views[0].component",
        "letters",
    ),
    (
        "viewport of another shape",
        build(("ui_extension.views[0].viewport", "customer")),
        "ui_extension.views[0].viewport",
        "allowed values",
    ),
    ("ui_extension a list", build(("ui_extension", [])), "ui_extension", "object"),
    (
        "external without url",
        build(("post_install_action.url", DELETE)),
        "post_install_action.url",
        "https://",
    ),
    (
        "external url not http",
        build(("post_install_action.url", "ftp://example.com/x")),
        "post_install_action.url",
        "https://",
    ),
    (
        "settings with url",
        build(("post_install_action.type", "settings")),
        "post_install_action.url",
        "remove",
    ),
    (
        "post-install without type",
        build(("post_install_action.type", DELETE)),
        "post_install_action.type",
        "external",
    ),
    (
        "post-install extra key",
        build(("post_install_action.target", "_blank")),
        "post_install_action.target",
        "remove",
    ),
    ("distribution unknown", build(("distribution_type", "secret")), "distribution_type", "allowed values"),
    (
        "sandbox flag a string",
        build(("sandbox_install_compatible", "true")),
        "sandbox_install_compatible",
        "true or false",
    ),
    ("constants a list", build(("constants", [])), "constants", "object"),
    (
        "redirect without path",
        build(("allowed_redirect_uris", ["https://example.com"])),
        "allowed_redirect_uris[0]",
        "https://",
    ),
]


def test_base_manifest_is_clean() -> None:
    for strict in (False, True):
        report = validate_manifest(BASE, strict=strict)
        assert report.ok and not report.warnings and report.manifest is not None


@pytest.mark.parametrize("strict", [False, True], ids=["preview", "strict"])
@pytest.mark.parametrize(("case", "data", "path", "fix_word"), STRUCTURAL, ids=[c[0] for c in STRUCTURAL])
def test_structural_error_names_the_path(case: str, data: object, path: str, fix_word: str, strict: bool) -> None:
    report = validate_manifest(data, strict=strict)
    assert not report.ok and report.manifest is None
    assert [e.path for e in report.errors] == [path], report.errors
    issue = report.errors[0]
    assert fix_word in issue.fix, issue
    assert (f"`{path}`" if path else "the manifest") in issue.message


WARN, ERR, OK = "warning", "error", None
MODES: list[tuple[str, dict[str, Any], str, str | None, str | None]] = [
    # (case, manifest, path, preview severity, strict severity)
    (
        "new viewport",
        build(("ui_extension.views[0].viewport", "stripe.dashboard.refund.detail")),
        "ui_extension.views[0].viewport",
        WARN,
        ERR,
    ),
    (
        "example-only viewport",
        build(("ui_extension.views[0].viewport", "stripe.dashboard.fullpage")),
        "ui_extension.views[0].viewport",
        WARN,
        OK,
    ),
    (
        "new permission name",
        build(("permissions[0].permission", "widget_read")),
        "permissions[0].permission",
        WARN,
        ERR,
    ),
    (
        "misspelled permission",
        build(("permissions[0].permission", "customers_read")),
        "permissions[0].permission",
        WARN,
        ERR,
    ),
    (
        "known server permission",
        build(("permissions[0].permission", "promotion_code_read")),
        "permissions[0].permission",
        OK,
        OK,
    ),
    (
        "entitlement_read (#996)",
        build(("permissions[0].permission", "entitlement_read")),
        "permissions[0].permission",
        OK,
        OK,
    ),
    (
        "schema typo permission",
        build(("permissions[0].permission", "apply_pay_domain_read")),
        "permissions[0].permission",
        WARN,
        ERR,
    ),
    (
        "webhook_write",
        build(("permissions[0].permission", "webhook_write")),
        "permissions[0].permission",
        WARN,
        ERR,
    ),
    (
        "post-install modal",
        build(("post_install_action", {"type": "modal"})),
        "post_install_action.type",
        WARN,
        OK,
    ),
    (
        "new post-install type",
        build(("post_install_action", {"type": "drawer"})),
        "post_install_action.type",
        WARN,
        ERR,
    ),
    ("new access type", build(("stripe_api_access_type", "partner")), "stripe_api_access_type", WARN, ERR),
    ("app_backend", build(("app_backend", {"webhooks": []})), "app_backend", WARN, WARN),
    ("extensions null", build(("extensions", None)), "extensions", OK, OK),
    ("connect_permissions null", build(("connect_permissions", None)), "connect_permissions", OK, OK),
    ("extensions with content", build(("extensions", {"x": 1})), "extensions", WARN, ERR),
    ("no ui_extension", build(("ui_extension", DELETE)), "ui_extension", OK, OK),
    ("no permissions", build(("permissions", DELETE)), "permissions", WARN, WARN),
    ("no icon", build(("icon", DELETE)), "icon", WARN, WARN),
    ("svg icon", build(("icon", "./icon.svg")), "icon", WARN, WARN),
    ("icon URL", build(("icon", "https://example.com/icon.png")), "icon", WARN, WARN),
    ("empty purpose", build(("permissions[1].purpose", "")), "permissions[1].purpose", WARN, WARN),
    (
        "root-path connect-src",
        build((f"{CSP}.connect-src", ["https://graph.facebook.com/"])),
        f"{CSP}.connect-src[0]",
        WARN,
        WARN,
    ),
]


@pytest.mark.parametrize(("case", "data", "path", "preview", "strict"), MODES, ids=[c[0] for c in MODES])
def test_lag_rules_per_mode(
    case: str, data: dict[str, Any], path: str, preview: str | None, strict: str | None
) -> None:
    for is_strict, expected in ((False, preview), (True, strict)):
        report = validate_manifest(data, strict=is_strict)
        found = [i.severity for i in report.errors + report.warnings if i.path == path]
        assert found == ([expected] if expected else []), (is_strict, report)
        assert all(i.path == path for i in report.errors + report.warnings), report
        assert report.ok == (expected != ERR)


def test_structural_rules_are_errors_in_both_modes() -> None:
    for key, rule in RULES.items():
        assert rule.why, key
        assert rule.kind == "lag" or (rule.preview, rule.strict) == ("error", "error"), key


def test_manifest_module_does_not_import_pulumi() -> None:
    # Uploads and the CLI adoption path load the validator on their own: it must not pull in the Pulumi SDK.
    code = "import sys, pulumi_stripe_apps.manifest; sys.exit('pulumi' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_validator_does_not_build_pydantic_model_classes() -> None:
    # Every command's first AppVersion check loads the validator, and every install waits on that check:
    # pydantic's model layer would add about 50 ms there. The core validator is enough for the structure.
    code = (
        "import sys, pulumi_stripe_apps.manifest as m; m.validate_manifest({'id': 'a', 'version': '1', 'name': 'A'}); "
        "sys.exit('pydantic.main' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_parsed_model_and_helpers() -> None:
    report = validate_manifest(build(("app_backend", {"webhooks": None})))
    model = report.manifest
    assert isinstance(model, AppManifest)
    assert model.permission_names() == ["customer_read", "invoice_read"]
    assert model.csp_connect_src() == ["https://api.example.com/v1/"]
    assert model.csp_image_src() == ["https://cdn.example.com/img/"]
    assert model.post_install_action is not None and model.post_install_action.url == "https://example.com/welcome"
    minimal = validate_manifest({"id": "a", "version": "1", "name": "A"}).manifest
    assert minimal is not None
    assert (minimal.distribution_type, minimal.stripe_api_access_type) == ("private", "platform")
    assert minimal.sandbox_install_compatible is False
    assert (minimal.permission_names(), minimal.csp_connect_src(), minimal.csp_image_src()) == ([], [], [])


def test_load_manifest(tmp_path: Path) -> None:
    data, report = load_manifest(tmp_path)
    assert data == {} and [e.path for e in report.errors] == [""]
    assert "stripe-app.json" in report.errors[0].message
    (tmp_path / "stripe-app.json").write_text('{\n  "id": "a",\n  "version": 1,\n}', encoding="utf-8")
    _, report = load_manifest(tmp_path)
    assert [e.path for e in report.errors] == [""] and "line 4, column 1" in report.errors[0].message
    (tmp_path / "stripe-app.json").write_text(json.dumps(BASE), encoding="utf-8")
    data, report = load_manifest(tmp_path)
    assert data == BASE and report.ok


# ---------------------------------------------------------------------------------------------------
# Property: any JSON-ish input gives a report, never an exception; errors have fixes and real paths
# ---------------------------------------------------------------------------------------------------
_TOKEN = re.compile(r'\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def resolves(data: object, path: str) -> bool:
    """The path's parent exists in `data`; its last step exists too, or is a key missing from an object."""
    if path == "":
        return True
    steps: list[str | int] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None or m.end() == pos:
            return False
        name, index, quoted = m.groups()
        steps.append(int(index) if index is not None else (json.loads(quoted) if quoted else name))
        pos = m.end()
    node = data
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
        elif isinstance(step, str) and isinstance(node, dict) and (step in node or last):
            node = node.get(step)
        else:
            return False
    return True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
MANIFEST_KEYS = [
    *BASE,
    "app_backend",
    "extensions",
    "connect_permissions",
    "provisioning",
    "constants",
    "icon",
]
manifest_like = st.builds(
    lambda base, drop, extra: {**{k: v for k, v in base.items() if k not in drop}, **extra},
    st.just(BASE),
    st.sets(st.sampled_from(list(BASE))),
    st.dictionaries(st.sampled_from(MANIFEST_KEYS), json_values, max_size=4),
)


def _set_deep(base: dict[str, Any], key: str, sub: str, value: object) -> dict[str, Any]:
    data = copy.deepcopy(base)
    target = data[key]
    if key == "ui_extension":
        target["content_security_policy"][sub] = value
        target["views"][0][sub] = value
    target = target[0] if isinstance(target, list) else target
    target[sub] = value
    return data


deep_mutation = st.builds(
    _set_deep,
    st.just(BASE),
    st.sampled_from(["permissions", "ui_extension", "post_install_action"]),
    st.sampled_from(
        [
            "permission",
            "purpose",
            "views",
            "content_security_policy",
            "type",
            "url",
            "viewport",
            "connect-src",
        ]
    ),
    json_values,
)


@settings(max_examples=400, deadline=None)
@given(data=json_values | manifest_like | deep_mutation, strict=st.booleans())
def test_validate_never_raises_and_errors_are_actionable(data: object, strict: bool) -> None:
    report = validate_manifest(data, strict=strict)
    assert isinstance(report, ManifestReport)
    assert report.ok == isinstance(report.manifest, AppManifest)
    for issue in report.errors + report.warnings:
        assert issue.fix.strip(), issue
        assert resolves(data, issue.path), (issue, data)


# ---------------------------------------------------------------------------------------------------
# What the emulator (Stripe's schema) refuses, preview refuses too; messages in the author's words
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "data", "path", "message", "fix"),
    [
        (
            "external action with a null url",
            build(("post_install_action", {"type": "external", "url": None})),
            "post_install_action.url",
            "needs `url`",
            "add `url`",
        ),
        (
            "connect-src with an uppercase scheme",
            build((f"{CSP}.connect-src", ["HTTPS://api.example.com/v1/"])),
            f"{CSP}.connect-src[0]",
            "scheme in lowercase",
            "https://api.example.com/v1/",
        ),
        ("null $schema", build(("$schema", None)), "$schema", "must be a string, not null", "JSON string"),
        (
            "extends in the uploaded manifest",
            build(("extends", "stripe-app.json")),
            "extends",
            "local manifest (`stripe-app.<name>.json`",
            "remove `extends` from stripe-app.json",
        ),
        ("permissions as an object", build(("permissions", {})), "permissions", "must be an array, not an object", ""),
        ("a number as the name", build(("name", 7)), "name", "must be a string, not a number", ""),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else "",
)
def test_preview_refuses_what_the_schema_refuses_in_json_words(
    case: str, data: dict[str, Any], path: str, message: str, fix: str
) -> None:
    report = validate_manifest(data)
    assert [issue.path for issue in report.errors] == [path], (case, report.errors)
    assert message in report.errors[0].message and fix in report.errors[0].fix
    assert "NoneType" not in report.errors[0].message and "dict" not in report.errors[0].message


def test_a_query_only_connect_src_is_fixed_from_its_origin() -> None:
    report = validate_manifest(build((f"{CSP}.connect-src", ["https://api.example.com?x=/y"])))
    [issue] = report.errors
    assert (
        issue.fix
        == "use https://api.example.com/ to allow the whole origin, or https://api.example.com/<path> to allow one API"
    )


def test_a_warning_names_its_path_once() -> None:
    path = "ui_extension.views[0].viewport"
    [warning] = validate_manifest(build((path, "stripe.dashboard.refund.detail"))).warnings
    assert str(warning).count(path) == 1
    assert str(warning).startswith(f"`{path}`:")


def test_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    (tmp_path / "stripe-app.json").write_text("\ufeff" + json.dumps(BASE), encoding="utf-8")
    _, report = load_manifest(tmp_path)
    [issue] = report.errors
    assert "byte order mark" in issue.message and "without a BOM" in issue.fix
