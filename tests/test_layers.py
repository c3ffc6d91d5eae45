"""The layer contracts in pyproject.toml really hold the layers: a forbidden import added to a
temporary copy of the project makes ``lint-imports`` fail, and names the broken rule."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("studio", "encoders", "cover_designer", "ui", "bench")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}  # the copy, not the checkout, is what gets analysed
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300)


def _with_import(root: Path, module: str, line: str):
    path = root / module
    original = path.read_text(encoding="utf-8")
    path.write_text(original + f"\n{line}\n", encoding="utf-8")
    return path, original


def test_the_checkout_keeps_every_contract(project_copy):
    result = _lint(project_copy)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("encoders/base.py", "import studio.live.session  # noqa", "Layers: ui and bench above the engine"),
    ("cover_designer/render.py", "import encoders.ladder  # noqa", "know nothing of each other"),
    ("studio/core/clock.py", "import studio.settings  # noqa", "studio.core is the bottom layer"),
    ("studio/engine/engine.py", "import ui.app  # noqa", "The engine never imports Qt or the UI"),
    ("bench/common.py", "import tests  # noqa", "Nothing that ships imports the tests"),
])
def test_a_forbidden_import_breaks_the_check(project_copy, module, line, contract):
    path, original = _with_import(project_copy, module, line)
    try:
        result = _lint(project_copy)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if row.endswith("BROKEN") or "BROKEN (" in row]
    assert any(contract in row for row in broken), result.stdout[-3000:]
