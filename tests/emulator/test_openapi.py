"""The shipped OpenAPI document is current, and a bounded schemathesis run finds no 5xx."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from stripe_apps_emulator.openapi import render
from stripe_apps_emulator.testing import ControlClient, RunningEmulator

EXAMPLES_PER_OPERATION = 12


def test_openapi_json_is_current(server: RunningEmulator) -> None:
    shipped = resources.files("stripe_apps_emulator").joinpath("openapi.json").read_text()
    assert shipped == render(), "regenerate: python -m stripe_apps_emulator.openapi > .../openapi.json"
    assert httpx.get(server.url + "/openapi.json").json() == json.loads(shipped)


def test_fuzz_finds_no_server_errors(server: RunningEmulator, control: ControlClient) -> None:
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    headers = {"Authorization": f"Bearer {control.keys()['default']['test']}"}
    selected = schema.include(path_regex="^/v1/").get_all_operations()
    operations = [result.ok() for result in selected]  # type: ignore[union-attr]
    assert len(operations) >= 14
    for operation in operations:
        strategy = operation.as_strategy()

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=strategy)
        def check(case: Any) -> None:
            response = case.call(base_url=server.url, headers=headers)
            case.validate_response(response, checks=[not_a_server_error])
            request_id = {name.lower(): value for name, value in response.headers.items()}.get("request-id")
            assert request_id, (case.method, case.path, response.status_code, response.headers)
            assert str(request_id).count("req_") == 1

        check()
    fuzzed = [entry for entry in control.requests() if entry["path"].startswith("/v1/")]
    assert len(fuzzed) >= len(operations) * 5
    assert all(entry["status"] < 500 for entry in fuzzed)
