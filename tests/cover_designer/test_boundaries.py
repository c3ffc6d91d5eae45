"""The cover engine stays Qt-free, every message is translated, the shipped schema is current."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_qt_import():
    code = ("import sys, cover_designer.cli, cover_designer.lint, cover_designer.batch, cover_designer.templates;"
            "assert not any(m.startswith(('PySide6', 'ui')) for m in sys.modules), 'Qt imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_every_cover_message_has_chinese():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import messages
    finally:
        sys.path.pop(0)
    gaps = {m: w for m, w in messages.missing().items() if any(x.startswith("cover_designer") for x in w)}
    assert not gaps


def test_schema_file_is_current():
    from cover_designer.document import json_schema

    shipped = json.loads((ROOT / "resources" / "schemas" / "cover-document.json").read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(json_schema()))
