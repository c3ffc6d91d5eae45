"""``bridgecast doctor`` checks that every script a region pack writes in has a font."""
from __future__ import annotations

from cover_designer import text as textlib
from cover_designer.regions import REGIONS
from studio.doctor import check_region_fonts, run_checks
from studio.fonts import SCRIPT_SAMPLES, language_script, region_script_coverage


def test_every_region_language_has_a_script_sample():
    for pack in REGIONS.values():
        for language in pack.languages:
            assert language_script(language.code) in SCRIPT_SAMPLES
    assert language_script("th") == "thai" and language_script("pt-BR") == "latin"


def test_the_fonts_here_cover_every_region_script():
    rows = {row.script: row for row in region_script_coverage()}
    assert {"latin", "thai", "vietnamese", "arabic", "japanese", "korean"} <= set(rows)
    assert all(row.is_covered and row.font_paths for row in rows.values())
    assert "sea" in rows["thai"].regions and "middle_east" in rows["arabic"].regions
    row = check_region_fonts()
    assert row["ok"] and "Thai" in row["detail"] and row["fix"] is None
    assert any(r["check"] == row["check"] for r in run_checks())


def test_a_missing_thai_font_is_reported_with_a_fix(monkeypatch):
    faces = {key: face for key, face in textlib.available_faces().items() if key not in ("thai", "dejavu")}
    monkeypatch.setattr(textlib, "available_faces", lambda: faces)
    row = check_region_fonts()
    assert not row["ok"]
    assert "Thai (sea)" in row["detail"] and "ล" in row["detail"]
    assert "fontpkg-noto-sans-thai" in row["fix"]
    assert "Arabic" not in row["detail"]
