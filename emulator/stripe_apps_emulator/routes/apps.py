"""Upload and app routes (emulator-only surface: Stripe has no public upload API)."""

from __future__ import annotations

from ..params import EXPAND, LIST_PARAMS, P, expand, list_params
from .base import Ctx, Reply, Route


def upload(ctx: Ctx) -> Reply:
    p = ctx.params
    bundle: bytes = p.get("bundle", b"")
    return ctx.backend.apps.upload(ctx.who, p["manifest"], bundle, p.get("fingerprint"))


def retrieve_upload(ctx: Ctx) -> Reply:
    return ctx.backend.apps.retrieve_upload(ctx.who, ctx.path["id"])


def list_uploads(ctx: Ctx) -> Reply:
    return ctx.backend.apps.list_uploads(ctx.who, ctx.params)


def retrieve_app(ctx: Ctx) -> Reply:
    return ctx.backend.apps.retrieve_app(ctx.who, ctx.path["id"], ctx.expand)


def list_apps(ctx: Ctx) -> Reply:
    return ctx.backend.apps.list_apps(ctx.who, ctx.params)


def submit_for_review(ctx: Ctx) -> Reply:
    return ctx.backend.apps.submit_for_review(ctx.who, ctx.path["id"], ctx.expand)


ROUTES = [
    Route(
        "POST",
        "/v1/apps/uploads",
        upload,
        "Upload an app version (emulator-only; multipart/form-data).",
        {
            "manifest": P("string", "The stripe-app.json text.", required=True),
            "bundle": P("file", "The app bundle (gzip tar); may be empty."),
            "fingerprint": P("string", "A caller-chosen fingerprint, stored as given."),
        },
        response="apps.upload",
        multipart=True,
        public=False,
    ),
    Route(
        "GET",
        "/v1/apps/uploads",
        list_uploads,
        "List uploads (Version History), newest first.",
        {
            "app": P("string", "Only uploads of this app object."),
            "app_id": P("string", "Only uploads of this manifest id."),
            **LIST_PARAMS,
        },
        response="list:apps.upload",
        public=False,
    ),
    Route(
        "GET",
        "/v1/apps/uploads/{id}",
        retrieve_upload,
        "Retrieve an upload.",
        {"expand": EXPAND},
        response="apps.upload",
        public=False,
    ),
    Route(
        "GET",
        "/v1/apps/apps/{id}",
        retrieve_app,
        "Retrieve an app (emulator-only).",
        {"expand": expand("signing_secret")},
        response="apps.app",
        public=False,
    ),
    Route(
        "GET",
        "/v1/apps/apps",
        list_apps,
        "List the account's apps.",
        {"app_id": P("string", "Only the app with this manifest id."), **list_params("signing_secret")},
        response="list:apps.app",
        public=False,
    ),
    Route(
        "POST",
        "/v1/apps/apps/{id}/submit_for_review",
        submit_for_review,
        "Submit a public app for App Marketplace review (emulator-only).",
        {"expand": expand("signing_secret")},
        response="apps.app",
        public=False,
    ),
]
