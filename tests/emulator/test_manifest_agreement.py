"""The provider's strict validator and the emulator's own upload validation agree on real manifests.

The emulator decides what Stripe would do from Stripe's published schema and the documented server rules
(`stripe_apps_emulator.models.manifest_schema`), never from the provider's code, so this is where a
provider validation bug shows: on every corpus manifest both accept or both reject, except the short list
below, where the published schema lags the server and the provider accepts, on the corpus' evidence, what
the emulator (schema plus documented rules only) refuses.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import stripe_apps_emulator
from pulumi_stripe_apps.manifest import load_manifest
from pulumi_stripe_apps.manifest import validate_manifest as provider_validate
from stripe_apps_emulator.errors import ManifestInvalidError
from stripe_apps_emulator.models import manifest_schema
from stripe_apps_emulator.models.apps import _parse_manifest
from stripe_apps_emulator.models.apps import validate_manifest as emulator_validate

# A copy of shared/data/manifests (see its README.md), so a clean clone has it.
CORPUS = Path(__file__).resolve().parents[1] / "data" / "manifests"
SUFFIXES = (".json", ".jsonc", ".yaml")

# file -> why the provider accepts it and the emulator refuses it. Keep in step with COVERAGE.md (Uploads).
EXPECTED_DISAGREEMENTS: dict[str, str] = {
    "Houmeecl__instripe.json": (
        "no `icon`: the schema requires it; the provider takes a missing icon as the schema's allowed "
        '`""` (warning), the emulator keeps the key required (no source says the server drops it)'
    ),
    "bensontrent__stripe-app-community-example.json": (
        "no `permissions`: the provider reads it as an empty list (warning), the emulator keeps the "
        "schema's required key"
    ),
    "BurnettInc__Stripe-CC.json": (
        'permission `purpose` is `""`: the schema wants a non-empty purpose; the provider accepts it '
        "(a published app ships it, warning), the emulator keeps the schema's minLength"
    ),
    "adamliu84__stripeappconversionapi.json": (
        "connect-src `https://graph.facebook.com/` (root path only): the provider accepts it (a real app "
        "uses it, warning), the emulator keeps the schema's `/.+` (docs: connect-src needs a path)"
    ),
    "erint-stripe__toastercloud-provider.json": (
        "`provisioning` and `provisioning_*` permissions: a preview Stripe enables per account; the "
        "provider cannot know the account and warns, the emulator's accounts do not have it and refuse"
    ),
}


def corpus_files() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.suffix in SUFFIXES)


def parsed(name: str) -> Any:
    text = (CORPUS / name).read_text(encoding="utf-8")
    return yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)


def emulator_errors(data: Any) -> list[dict[str, str]]:
    """What an upload of `data` ends with: the synchronous 400, else the processing errors."""
    try:
        manifest = _parse_manifest(json.dumps(data))
    except ManifestInvalidError as exc:
        return [{"path": "", "message": str(exc)}]
    return emulator_validate(manifest)


def test_corpus_is_the_whole_shared_corpus() -> None:
    names = corpus_files()
    assert len(names) == 69  # 64 valid JSON, one .jsonc, four v2 YAML
    listed = {row.split("\t")[0] for row in (CORPUS / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()[1:]}
    assert set(names) == listed
    assert set(EXPECTED_DISAGREEMENTS) <= set(names)


@pytest.mark.parametrize("name", [n for n in corpus_files() if not n.endswith(".jsonc")])
def test_provider_and_emulator_agree(name: str) -> None:
    data = parsed(name)
    provider = provider_validate(data, strict=True)
    emulator = emulator_errors(data)
    if name in EXPECTED_DISAGREEMENTS:
        # The one direction documented: the provider accepts, the emulator refuses.
        assert provider.ok, (name, provider.errors)
        assert emulator, name
        return
    assert provider.ok == (not emulator), (name, provider.errors, emulator)


def test_agreement_figures() -> None:
    names = [n for n in corpus_files() if not n.endswith(".jsonc")]
    outcomes = {n: (provider_validate(parsed(n), strict=True).ok, not emulator_errors(parsed(n))) for n in names}
    disagree = {n for n, (p, e) in outcomes.items() if p != e}
    assert disagree == set(EXPECTED_DISAGREEMENTS)
    assert len(names) - len(disagree) == 63
    assert sum(p and e for p, e in outcomes.values()) == 50  # both accept; 13 both reject (+ the .jsonc)


def test_commented_manifest_is_not_json_for_either(tmp_path: Path) -> None:
    (name,) = [n for n in corpus_files() if n.endswith(".jsonc")]
    text = (CORPUS / name).read_text(encoding="utf-8")
    (tmp_path / "stripe-app.json").write_text(text, encoding="utf-8")
    assert not load_manifest(tmp_path)[1].ok
    with pytest.raises(ManifestInvalidError, match="not valid JSON"):
        _parse_manifest(text)


# -- hand-made manifests ---------------------------------------------------------------------------------
BASE: dict[str, Any] = {
    "id": "com.example.agreement",
    "version": "1.0.0",
    "name": "Agreement",
    "icon": "./icon.png",
    "permissions": [{"permission": "customer_read", "purpose": "Shows the customer"}],
    "ui_extension": {"views": [{"viewport": "stripe.dashboard.customer.detail", "component": "App"}]},
}
DELETE = object()


def build(*changes: tuple[str, Any]) -> dict[str, Any]:
    """BASE with `("a.b[0].c", value)` changes; DELETE removes the key."""
    data = copy.deepcopy(BASE)
    for path, value in changes:
        parts: list[str | int] = []
        for piece in path.replace("]", "").split("."):
            head, *indexes = piece.split("[")
            parts.append(head)
            parts.extend(int(i) for i in indexes)
        node: Any = data
        for part in parts[:-1]:
            node = node[part]
        if value is DELETE:
            del node[parts[-1]]
        else:
            node[parts[-1]] = value
    return data


def csp(*urls: str) -> tuple[str, Any]:
    return ("ui_extension.content_security_policy", {"connect-src": list(urls), "purpose": "Calls our API"})


REJECTED: list[tuple[str, dict[str, Any], str]] = [
    ("no id", build(("id", DELETE)), "id"),
    ("no version", build(("version", DELETE)), "version"),
    ("no name", build(("name", DELETE)), "name"),
    ("empty version", build(("version", "")), "version"),
    ("null name", build(("name", None)), "name"),
    ("id with spaces", build(("id", "com example!")), "id"),
    ("id with a slash", build(("id", "com/example")), "id"),
    ("unknown permission", build(("permissions[0].permission", "customers_read")), "permissions[0].permission"),
    ("event as permission", build(("permissions[0].permission", "account.updated")), "permissions[0].permission"),
    ("refused permission", build(("permissions[0].permission", "webhook_write")), "permissions[0].permission"),
    ("schema misspelling", build(("permissions[0].permission", "apply_pay_domain_read")), "permissions[0].permission"),
    ("permission without purpose", build(("permissions[0].purpose", DELETE)), "permissions[0].purpose"),
    ("permission as a string", build(("permissions[0]", "customer_read")), "permissions[0]"),
    ("misspelled root key", build(("ui_extensions", {"views": []})), "ui_extensions"),
    ("unknown viewport", build(("ui_extension.views[0].viewport", "stripe.dashboard.nowhere")), "viewport"),
    ("bad component", build(("ui_extension.views[0].component", "my-view")), "component"),
    ("http connect-src", build(csp("http://api.example.com/v1/")), "connect-src[0]"),
    ("connect-src without a path", build(csp("https://api.example.com")), "connect-src[0]"),
    ("csp without purpose", build(("ui_extension.content_security_policy", {"connect-src": []})), "purpose"),
    ("bad distribution_type", build(("distribution_type", "secret")), "distribution_type"),
    ("bad access type", build(("stripe_api_access_type", "password")), "stripe_api_access_type"),
    ("external action without url", build(("post_install_action", {"type": "external"})), "post_install_action"),
    ("non-null extensions", build(("extensions", {"a": 1})), "extensions"),
    ("sandbox flag as string", build(("sandbox_install_compatible", "yes")), "sandbox_install_compatible"),
]


@pytest.mark.parametrize(("data", "where"), [pytest.param(d, w, id=n) for n, d, w in REJECTED])
def test_both_reject_and_name_the_property(data: dict[str, Any], where: str) -> None:
    provider = provider_validate(data, strict=True)
    emulator = emulator_validate(data)
    assert any(where in issue.path for issue in provider.errors), provider.errors
    assert any(where in error["path"] for error in emulator), emulator
    assert all(error["message"].strip() for error in emulator)


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("fullpage viewport (docs)", build(("ui_extension.views[0].viewport", "stripe.dashboard.fullpage"))),
    ("modal post-install action (docs)", build(("post_install_action", {"type": "modal"}))),
    ("extensions null (docs)", build(("extensions", None))),
    ("connect_permissions null", build(("connect_permissions", None))),
    ("entitlement_read (docs)", build(("permissions[0].permission", "entitlement_read"))),
    ("server spelling of a schema typo", build(("permissions[0].permission", "apple_pay_domain_read"))),
    ("backend-only app", build(("ui_extension", DELETE))),
    ("svg icon", build(("icon", "./icon.svg"))),
    ("app_backend", build(("app_backend", {"webhooks": None}))),
    ("sandbox compatible", build(("sandbox_install_compatible", True))),
    ("https connect-src with a path", build(csp("https://api.example.com/v1/"))),
]


@pytest.mark.parametrize("data", [pytest.param(d, id=n) for n, d in ACCEPTED])
def test_both_accept_the_documented_server_rules(data: dict[str, Any]) -> None:
    assert provider_validate(data, strict=True).ok
    assert emulator_validate(data) == []


# Outside the corpus (COVERAGE.md): provider verdict, emulator verdict.
DIFFERENCES: list[tuple[str, dict[str, Any], bool, bool]] = [
    ("duplicate permission", build(("permissions", BASE["permissions"] * 2)), False, True),
    ("ui_extension null", build(("ui_extension", None)), True, False),
    (
        "modal with a url",
        build(("post_install_action", {"type": "modal", "url": "https://example.com/x"})),
        True,
        False,
    ),
]


@pytest.mark.parametrize(("data", "provider_ok", "emulator_ok"), [pytest.param(*c[1:], id=c[0]) for c in DIFFERENCES])
def test_known_differences_outside_the_corpus(data: dict[str, Any], provider_ok: bool, emulator_ok: bool) -> None:
    assert provider_validate(data, strict=True).ok is provider_ok
    assert (emulator_validate(data) == []) is emulator_ok


# -- the emulator stands alone -------------------------------------------------------------------------------
def test_emulator_source_never_names_the_provider() -> None:
    package = Path(stripe_apps_emulator.__file__).parent
    offenders = [str(p) for p in package.rglob("*.py") if "pulumi_stripe_apps" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_emulator_validates_with_the_provider_unimportable() -> None:
    script = (
        "import sys; sys.modules['pulumi_stripe_apps'] = None\n"
        "from stripe_apps_emulator.models.apps import validate_manifest\n"
        "print(validate_manifest({'id': 'a', 'version': '1'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert "`name` is missing" in out.stdout


def test_every_server_rule_changes_the_published_schema() -> None:
    # A patch that changes nothing means a newer published schema caught up: drop the rule.
    for rule in manifest_schema.SERVER_RULES:
        if rule.patch is None:
            continue
        schema = manifest_schema.published_schema()
        rule.patch(schema)
        assert schema != manifest_schema.published_schema(), rule.name
    assert manifest_schema.published_schema()["$id"] == "https://stripe.com/stripe-app.schema.json"
