"""Real-SFU fixtures: one network namespace + Janus + simple-whip-server per test session.

Missing binaries FAIL the tests (never skip): CI runs ``tools/setup_sfu.sh`` first.
"""
from __future__ import annotations

import itertools

import pytest

from bench.testbed import harness

_endpoint_ids = itertools.count(1)


def require_sfu() -> None:
    """Fail (never skip) with the setup hint when the test bed is not installed."""
    try:
        harness.check_prerequisites()
        problem = None
    except harness.SfuSetupError as exc:
        problem = str(exc)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture
def sfu_prerequisites():
    """For tests that build their own namespace/stack: fail clearly if setup is missing."""
    require_sfu()


@pytest.fixture(scope="session")
def sfu_stack(tmp_path_factory):
    """The running stack (:class:`bench.testbed.harness.SfuStack`), shared by the whole session."""
    require_sfu()
    with harness.sfu_stack(tmp_path_factory.mktemp("sfu")) as stack:
        yield stack


@pytest.fixture
def sfu(sfu_stack):
    """Per-test view of the shared stack: checks it is alive (a failing test shows its logs)."""
    sfu_stack.check_alive()
    return sfu_stack


@pytest.fixture
def whip_endpoint(sfu):
    """A fresh WHIP endpoint (room 1234) for this test, destroyed afterwards: (id, url)."""
    endpoint_id = f"ep{next(_endpoint_ids)}"
    url = sfu.whip.create_endpoint(endpoint_id)
    yield endpoint_id, url
    sfu.whip.destroy_endpoint(endpoint_id)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Attach the tail of the Janus and WHIP-server logs to a failing SFU test's report."""
    outcome = yield
    rep = outcome.get_result()
    stack = getattr(item, "funcargs", {}).get("sfu_stack") or getattr(item, "funcargs", {}).get("sfu")
    if rep.failed and isinstance(stack, harness.SfuStack):
        rep.sections.append(("sfu logs", stack.logs(60)))
