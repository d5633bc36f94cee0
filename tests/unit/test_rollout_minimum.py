"""The rollout rows' request count: what a rollout needs at most, endpoint by endpoint."""

from __future__ import annotations

from collections import Counter

from scripts.bench.rollout import HISTORY_ENDPOINT, PER_INSTALL, beyond_the_minimum

VERSION = Counter({"POST /v1/apps/uploads": 1, HISTORY_ENDPOINT: 1})


def sent() -> Counter[str]:
    """Requests of a rollout of 10 installs that each made one request on each endpoint, and the version's own."""
    return VERSION + Counter({endpoint: 10 for endpoint in PER_INSTALL})


def test_one_request_of_each_kind_per_install_is_not_beyond() -> None:
    assert beyond_the_minimum(sent(), VERSION, 10) == 0


def test_a_shared_version_history_read_does_not_hide_an_extra_request_elsewhere() -> None:
    served = sent()
    served[HISTORY_ENDPOINT] -= 6  # installs that shared their read
    served["POST /v1/apps/installs"] += 2  # two creates too many
    assert served.total() < sent().total()
    assert beyond_the_minimum(served, VERSION, 10) == 2


def test_requests_on_an_endpoint_the_rollout_does_not_need_are_all_beyond() -> None:
    served = sent()
    served["POST /v1/apps/installs/{id}/uninstall"] = 3
    assert beyond_the_minimum(served, VERSION, 10) == 3
