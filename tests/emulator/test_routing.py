"""Every path reaches the pipeline, even ones Starlette's path patterns cannot match."""

from __future__ import annotations

import httpx


def test_an_id_holding_a_newline_gets_a_stripe_error_with_a_request_id(
    http: httpx.Client, keys: dict[str, dict[str, str]]
) -> None:
    response = http.post("/v1/apps/apps/a%0Ab/submit_for_review", auth=(keys["default"]["test"], ""))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.headers["request-id"].startswith("req_")
    assert response.json()["error"]["code"] == "resource_missing"


def test_the_dashboard_page_is_html_and_answers_unknown_form_paths_with_404(http: httpx.Client) -> None:
    page = http.get("/_emulator/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["request-id"].startswith("req_")
    assert http.post("/_emulator/dashboard/forms/nothing").status_code == 404
    assert http.get("/_emulator/dashboard/forms/installs/x/uninstall").status_code == 405
    # The JSON Dashboard routes are unchanged beside the page.
    assert http.post("/_emulator/dashboard/installs/nope/uninstall").json()["error"]["code"] == "resource_missing"
