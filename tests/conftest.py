"""Shared fixtures: isolated settings for every test, and no test may leave threads running."""
from __future__ import annotations

import os
import threading
import time

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles.  "ci" (the default) keeps every property suite to a bounded number of
# examples so the whole run stays near a minute on two shared cores; "deep"
# (``pytest --hypothesis-profile=deep tests/properties``) searches much longer before a release.
# Deadlines catch hangs: a parser that takes seconds on one input is a bug, not a slow machine.
settings.register_profile("ci", max_examples=100, deadline=2000, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("deep", max_examples=3000, deadline=5000, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The real-SFU fixtures (Janus + WHIP server in a network namespace) for any test folder.
pytest_plugins = ["tests.sfu.fixtures"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Threads owned by libraries that live for the whole process (not ours to stop).
_PROCESS_THREAD_PREFIXES = ("pydevd", "QDBusConnection", "asyncio_", "ThreadPoolExecutor", "Dummy-")


def _our_threads() -> set[threading.Thread]:
    return {
        t
        for t in threading.enumerate()
        if t is not threading.main_thread() and t.is_alive() and not t.name.startswith(_PROCESS_THREAD_PREFIXES)
    }


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, monkeypatch):
    """Every test gets a fresh config dir; the real one is never touched."""
    config = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("BRIDGECAST_CONFIG_DIR", str(config))
    yield config


@pytest.fixture(autouse=True)
def no_thread_leaks(request):
    """Fail a test that leaves threads running (a stopped component must join its threads)."""
    before = _our_threads()
    yield
    deadline = time.monotonic() + 3.0
    leaked = _our_threads() - before
    while leaked and time.monotonic() < deadline:
        time.sleep(0.05)
        leaked = {t for t in leaked if t.is_alive()}
    if leaked:
        names = ", ".join(sorted(t.name for t in leaked))
        pytest.fail(f"test left threads running: {names}", pytrace=False)
