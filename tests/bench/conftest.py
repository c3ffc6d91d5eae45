"""Benchmark smoke tests run the installed console script from outside the checkout
(tests/bench/installed.py says why)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from tests.bench.installed import run_installed_bench


@pytest.fixture
def run_bench(tmp_path: Path) -> Callable[..., dict]:
    """``run_bench(name, *args)``: ``bridgecast bench NAME --json ARGS`` run by the installed
    script in a temporary directory, PYTHONPATH unset; returns the JSON on stdout's last line."""

    def run(name: str, *args: str, timeout: float = 240) -> dict:
        return run_installed_bench(tmp_path, name, *args, timeout=timeout)

    return run
