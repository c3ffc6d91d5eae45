"""What the benchmark smoke tests rely on: outside the checkout, the installed project has the
test bed (bench.testbed, with the viewer page's files next to it) and no ``tests`` package."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.bench.installed import ROOT, installed_script, outside_environment

PROBE = """
import importlib.util, json
from bench.testbed import browser
print(json.dumps({
    "tests": importlib.util.find_spec("tests") is not None,
    "page_files": {name: (browser.PAGE_DIR / name).is_file() for name in browser.PAGE_FILES},
}))
"""


def test_outside_the_checkout_there_is_no_tests_package_but_the_test_bed_ships(tmp_path):
    assert installed_script().exists()
    assert not tmp_path.resolve().is_relative_to(ROOT)
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=outside_environment(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.splitlines()[-1])
    assert found["tests"] is False, "tests importable outside the checkout: the bench smoke tests would prove nothing"
    assert all(found["page_files"].values()), found
