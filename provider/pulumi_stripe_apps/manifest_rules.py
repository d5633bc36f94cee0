"""The one table of manifest rules: structural or known lag, and the severity of each per mode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
Kind = Literal["structural", "lag"]


@dataclass(frozen=True)
class Rule:
    """One decision: its kind, what preview (`strict=False`) and the server (`strict=True`) do, and why."""

    kind: Kind
    preview: Severity | None  # None: accepted silently
    strict: Severity | None
    why: str


# Every decision the validator makes is a row here; `manifest.py` only looks severities up by key.
# Evidence: /work/shared/data/manifests (SOURCES.tsv) and docs/stripe-apps.md section 6.
RULES: dict[str, Rule] = {
    # --- structural: the published schema's shape; both modes reject ---
    "schema": Rule("structural", "error", "error", "types, required keys, closed objects and patterns of the schema"),
    "not_json_object": Rule("structural", "error", "error", "a manifest is a JSON object"),
    "unknown_key": Rule(
        "structural",
        "error",
        "error",
        "the root is closed; an unknown key is usually a typo (`ui_extensions` in the corpus)",
    ),
    "permission_missing_purpose": Rule(
        "structural",
        "error",
        "error",
        "the schema requires `purpose` and the only corpus file without it is a genuine mistake "
        "(AberraouiTekypay: also misspelled names); installers are shown the purpose",
    ),
    "permission_name_shape": Rule(
        "structural",
        "error",
        "error",
        "a name that is not `<object>_read|write` (e.g. an event name) cannot be a permission",
    ),
    "permission_duplicate": Rule("structural", "error", "error", "a permission is granted once"),
    "viewport_shape": Rule(
        "structural", "error", "error", "viewports are `settings`, `onboarding` or `stripe.dashboard.*`"
    ),
    "connect_src_scheme": Rule(
        "structural",
        "error",
        "error",
        "the UI runs on https; Stripe documents https-only connect-src (the corpus' http://localhost "
        "entry is a local `stripe apps start` manifest, not an uploaded one)",
    ),
    "connect_src_no_path": Rule(
        "structural",
        "error",
        "error",
        "docs: connect-src URLs need a path; of the 3 corpus files without one, the other two fail on "
        "genuine mistakes anyway and `https://host/` (root path) is accepted below",
    ),
    "connect_src_root_path": Rule(
        "lag",
        "warning",
        "warning",
        "`https://host/` has a path (`/`, every child allowed) but fails the schema's `/.+`; a real "
        "uploaded app uses it (adamliu84), so accept and suggest narrowing",
    ),
    "url_pattern": Rule(
        "structural", "error", "error", "image-src, redirect URIs and post-install URLs follow the schema"
    ),
    "post_install_external_url": Rule(
        "structural", "error", "error", "an external post-install action redirects to `url`"
    ),
    "post_install_url_not_external": Rule(
        "structural", "error", "error", "the schema's settings/onboarding branch is closed (no `url`)"
    ),
    "enum_closed": Rule("structural", "error", "error", "`distribution_type` has exactly two values (private, public)"),
    # --- unknown enum values: plausible new values pass preview with a warning, the server refuses ---
    "permission_unknown": Rule(
        "lag",
        "warning",
        "error",
        "the server's list moves ahead of the schema (entitlement_read, #996); preview cannot know it",
    ),
    "viewport_unknown": Rule("lag", "warning", "error", "new viewports appear before the schema lists them"),
    "post_install_type_unknown": Rule(
        "lag", "warning", "error", "new post-install types appear before the schema lists them"
    ),
    "access_type_unknown": Rule("lag", "warning", "error", "new access types appear before the schema lists them"),
    # --- known lags: the server accepts what the schema lacks ---
    "permission_known_lag": Rule(
        "lag",
        None,
        None,
        "server permissions missing from the schema's list, seen in real apps (promotion_code_*, "
        "terminal_*, tax_settings_*, secret_read, webhook_endpoint_write, entitlement_read, ...)",
    ),
    "permission_schema_typo": Rule(
        "lag",
        "warning",
        "error",
        "the schema's list misspells `apple_pay_domain_*` and `shipping_rate_write`; the server uses "
        "the correct spelling",
    ),
    "permission_refused": Rule(
        "lag",
        "warning",
        "error",
        "`webhook_write` is in the schema but the server refuses it unless Stripe enables it (Moksh45)",
    ),
    "example_only_value": Rule(
        "lag",
        "warning",
        None,
        "values only Stripe's own example shows (viewport `stripe.dashboard.fullpage`, post-install "
        "`modal`): the server accepts them, the schema does not list them yet",
    ),
    "app_backend": Rule(
        "lag",
        "warning",
        "warning",
        "written by older CLI templates, dropped from the schema in 2023; 19 real apps carry it",
    ),
    "null_legacy_key": Rule(
        "lag",
        None,
        None,
        "`extensions: null` / `connect_permissions: null` are written by Stripe's CLI and example",
    ),
    "legacy_key_value": Rule(
        "lag",
        "warning",
        "error",
        "non-null `extensions` / `connect_permissions` have no published shape",
    ),
    "provisioning": Rule(
        "lag",
        "warning",
        "warning",
        "a newer top-level block (Stripe's own provisioning sample) the schema does not list yet",
    ),
    "no_ui_extension": Rule(
        "lag", None, None, "backend-only and OAuth apps have no UI (11 real apps omit `ui_extension`)"
    ),
    "no_permissions": Rule("lag", "warning", "warning", "an app may need no permission; treated as an empty list"),
    "permission_empty_purpose": Rule(
        "lag",
        "warning",
        "warning",
        'the schema wants a non-empty purpose, but a published app ships `""` (BurnettInc)',
    ),
    "icon_missing": Rule(
        "lag", "warning", "warning", 'the schema allows `""` (no icon), so omitting `icon` is the same'
    ),
    "icon_form": Rule(
        "lag",
        "warning",
        "warning",
        "the schema wants `./<path>.png`, yet real apps use `.svg`, bare names and URLs (6 files)",
    ),
}

PERMISSIONS_SCHEMA: frozenset[str] = frozenset(
    [
        "account_link_write",
        "application_fee_read",
        "application_fee_write",
        "apply_pay_domain_read",
        "apply_pay_domain_write",
        "balance_read",
        "balance_transaction_source_read",
        "billing_clock_read",
        "billing_clock_write",
        "capital_for_platforms_financing_offer_read",
        "charge_read",
        "charge_write",
        "checkout_session_read",
        "checkout_session_write",
        "connected_account_read",
        "coupon_read",
        "coupon_write",
        "credit_note_read",
        "credit_note_write",
        "customer_portal_read",
        "customer_portal_write",
        "customer_read",
        "customer_write",
        "dispute_read",
        "dispute_write",
        "edit_link_write",
        "elements_write",
        "event_read",
        "file_read",
        "file_write",
        "invoice_read",
        "invoice_write",
        "issuing_authorization_read",
        "issuing_authorization_write",
        "issuing_card_read",
        "issuing_card_write",
        "issuing_cardholder_read",
        "issuing_cardholder_write",
        "issuing_dispute_read",
        "issuing_dispute_write",
        "issuing_transaction_read",
        "issuing_transaction_write",
        "mandate_read",
        "mandate_write",
        "order_read",
        "order_write",
        "payment_intent_read",
        "payment_intent_write",
        "payment_links_read",
        "payment_links_write",
        "payment_method_read",
        "payment_method_write",
        "payout_read",
        "payout_write",
        "plan_read",
        "plan_write",
        "product_read",
        "product_write",
        "quote_read",
        "quote_write",
        "report_runs_and_report_types_read",
        "secret_write",
        "setup_intent_read",
        "setup_intent_write",
        "shipping_rate_read",
        "shpping_rate_write",
        "sku_read",
        "sku_write",
        "source_read",
        "source_write",
        "stripecli_session_write",
        "subscription_read",
        "subscription_write",
        "tax_rate_read",
        "tax_rate_write",
        "token_read",
        "token_write",
        "top_up_read",
        "top_up_write",
        "transfer_read",
        "transfer_write",
        "usage_record_read",
        "usage_record_write",
        "user_email_read",
        "webhook_read",
        "webhook_write",
    ]
)

# Accepted by the server, absent from the schema (seen in real manifests or Stripe issues).
PERMISSIONS_KNOWN_LAG: frozenset[str] = frozenset(
    [
        "apple_pay_domain_read",
        "apple_pay_domain_write",
        "shipping_rate_write",
        "promotion_code_read",
        "promotion_code_write",
        "review_read",
        "review_write",
        "terminal_configuration_read",
        "terminal_configuration_write",
        "terminal_connection_token_write",
        "terminal_location_read",
        "terminal_location_write",
        "terminal_reader_read",
        "terminal_reader_write",
        "tax_settings_read",
        "tax_settings_write",
        "tax_calculations_and_transactions_read",
        "tax_calculations_and_transactions_write",
        "report_runs_and_report_types_write",
        "secret_read",
        "webhook_endpoint_write",
        "entitlement_read",
        "api_key_write",
        "provisioning_account_request_write",
        "provisioning_resource_write",
    ]
)

# Schema spelling -> the server's spelling.
PERMISSIONS_SCHEMA_TYPOS: dict[str, str] = {
    "apply_pay_domain_read": "apple_pay_domain_read",
    "apply_pay_domain_write": "apple_pay_domain_write",
    "shpping_rate_write": "shipping_rate_write",
}
PERMISSIONS_REFUSED: frozenset[str] = frozenset({"webhook_write"})
PERMISSION_SHAPE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:read|write)$")

VIEWPORTS_SCHEMA: frozenset[str] = frozenset(
    [
        "onboarding",
        "settings",
        "stripe.dashboard.balance.overview",
        "stripe.dashboard.billing.overview",
        "stripe.dashboard.customer.detail",
        "stripe.dashboard.customer.detail.page-module",
        "stripe.dashboard.customer.list",
        "stripe.dashboard.drawer.default",
        "stripe.dashboard.home.overview",
        "stripe.dashboard.invoice.detail",
        "stripe.dashboard.invoice.detail.page-module",
        "stripe.dashboard.invoice.list",
        "stripe.dashboard.payment-link.detail",
        "stripe.dashboard.payment-link.list",
        "stripe.dashboard.payment.detail",
        "stripe.dashboard.payment.list",
        "stripe.dashboard.product.detail",
        "stripe.dashboard.product.list",
        "stripe.dashboard.report.overview",
        "stripe.dashboard.revenue-recognition.overview",
        "stripe.dashboard.subscription.detail",
        "stripe.dashboard.subscription.list",
        "stripe.dashboard.tax-report.overview",
    ]
)
VIEWPORTS_EXAMPLE_ONLY: frozenset[str] = frozenset({"stripe.dashboard.fullpage"})
VIEWPORT_SHAPE = re.compile(r"^stripe\.dashboard(?:\.[a-z][a-z0-9-]*)+$")

POST_INSTALL_TYPES: frozenset[str] = frozenset({"settings", "onboarding", "external"})
POST_INSTALL_EXAMPLE_ONLY: frozenset[str] = frozenset({"modal"})
ACCESS_TYPES: frozenset[str] = frozenset({"platform", "oauth", "restricted_api_key"})
DISTRIBUTION_TYPES: frozenset[str] = frozenset({"private", "public"})
ENUM_WORD_SHAPE = re.compile(r"^[a-z][a-z_]*$")

# Top-level keys the schema lacks but the server accepts: key -> rule for a null value, rule otherwise.
LEGACY_TOP_LEVEL: dict[str, tuple[str, str]] = {
    "app_backend": ("app_backend", "app_backend"),
    "extensions": ("null_legacy_key", "legacy_key_value"),
    "connect_permissions": ("null_legacy_key", "legacy_key_value"),
    "provisioning": ("provisioning", "provisioning"),
}

ID_PATTERN = r"^[a-zA-Z0-9_\-\.]+$"
COMPONENT_PATTERN = r"^[a-zA-Z0-9_]{1,}$"
ICON_PATTERN = re.compile(r"^$|^\./((\.\./|[a-zA-Z0-9_/\-\\])[^\.\.]*\.png)$")
