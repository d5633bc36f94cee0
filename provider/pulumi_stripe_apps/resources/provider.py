"""`Provider`: the settings of one Stripe account for the dynamic resources, as an explicit provider resource.

Python programs reach Stripe through Pulumi's dynamic-provider host (package `pulumi-python`). Its default instance
is configured with the whole stack config (`stripe-apps:*`); an explicit `pulumi:providers:pulumi-python` resource
starts an instance of its own, configured with that resource's inputs alone, which our resources read under the
same keys. So a program manages a second account by passing `opts=pulumi.ResourceOptions(provider=Provider(...))`.
Keys are wrapped as secrets here, so they are encrypted in state whatever the program passed.
"""

from __future__ import annotations

from typing import Any

import pulumi

from pulumi_stripe_apps.settings import KEY_CONFIG

DYNAMIC_PACKAGE = "pulumi-python"  # the package of every dynamic resource's type token


class Provider(pulumi.ProviderResource):
    """One Stripe account's settings for `AppVersion`, `AppInstallation` and `AppSecret`, given in `opts.provider`.

    The arguments are the `stripe-apps:*` config keys in snake_case; one left out falls back to its `STRIPE_APPS_*`
    environment variable, never to the stack config (that is the default provider's).
    """

    def __init__(
        self,
        resource_name: str,
        *,
        api_base: pulumi.Input[str] | None = None,
        test_api_key: pulumi.Input[str] | None = None,
        sandbox_api_key: pulumi.Input[str] | None = None,
        live_api_key: pulumi.Input[str] | None = None,
        uploader: pulumi.Input[str] | None = None,
        stripe_cli: pulumi.Input[str] | None = None,
        upload_timeout: pulumi.Input[float] | None = None,
        poll_timeout: pulumi.Input[float] | None = None,
        app_ids: pulumi.Input[dict[str, str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings: dict[str, Any] = {
            "stripe-apps:apiBase": api_base,
            "stripe-apps:testApiKey": test_api_key,
            "stripe-apps:sandboxApiKey": sandbox_api_key,
            "stripe-apps:liveApiKey": live_api_key,
            "stripe-apps:uploader": uploader,
            "stripe-apps:stripeCli": stripe_cli,
            "stripe-apps:uploadTimeout": upload_timeout,
            "stripe-apps:pollTimeout": poll_timeout,
            "stripe-apps:appIds": app_ids,
        }
        keys = set(KEY_CONFIG.values())
        props = {
            name: pulumi.Output.secret(value) if name in keys else value
            for name, value in settings.items()
            if value is not None
        }
        super().__init__(DYNAMIC_PACKAGE, resource_name, props, opts)
