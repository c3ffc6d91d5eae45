"""Running benchmarks the way the README shows them: the installed ``bridgecast`` console
script, from a directory outside the checkout, with PYTHONPATH unset.  There the ``tests``
package does not exist, so a benchmark that imports it fails here as it would for a user."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def installed_script() -> Path:
    """The ``bridgecast`` console script of the environment running the tests."""
    script = Path(sys.executable).parent / "bridgecast"
    assert script.exists(), f"{script} is missing: install the project first (pip install -e .)"
    return script


def outside_environment() -> dict[str, str]:
    """This environment without PYTHONPATH: only what is installed can be imported."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def run_installed_bench(cwd: Path, name: str, *args: str, timeout: float = 240) -> dict:
    """``bridgecast bench NAME --json ARGS`` in ``cwd``; the JSON object on stdout's last line."""
    assert not cwd.resolve().is_relative_to(ROOT), f"{cwd} is inside the checkout {ROOT}"
    proc = subprocess.run(
        [str(installed_script()), "bench", name, "--json", *args],
        cwd=cwd, env=outside_environment(), capture_output=True, text=True, timeout=timeout,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, f"no output (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(lines[-1])  # the contract: one JSON object on the LAST line
    assert proc.returncode == 0, f"exit {proc.returncode}: {result.get('errors')} {proc.stderr[-2000:]}"
    return result
