"""The report files (HTML, PDF, CSV) and `bridgecast review`'s new options and JSON keys."""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from studio.review import report

ROOT = Path(__file__).resolve().parents[3]


def test_html_is_one_self_contained_page_with_four_charts(rehearsal, tmp_path):
    _recorded, review = rehearsal
    path = report.write_html(review, tmp_path / "out" / "review.html")
    page = path.read_text(encoding="utf-8")
    assert page.count("<svg") == 4
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, flags=re.I)  # nothing fetched from a network
    assert "url(http" not in page and "@import" not in page
    for finding in review.findings:
        assert finding["text"].replace("→", "&rarr;") in page or finding["text"] in page
    assert "Silk scarf" in page and "2,501.60 USD" in page


def test_pdf_has_findings_charts_and_tables(rehearsal, tmp_path):
    _recorded, review = rehearsal
    data = report.write_pdf(review, tmp_path / "review.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1 + 2 + 2  # words, four charts two a page, segments, products
    assert len(set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)", data))) == 2  # A4 portrait and landscape only


def test_csv_tables_hold_the_json_figures(rehearsal, tmp_path):
    _recorded, review = rehearsal
    written = report.write_csv(review, tmp_path / "csv")
    assert [p.name for p in written] == ["timeline.csv", "segments.csv", "products.csv"]
    figures = review.to_json()
    with (tmp_path / "csv" / "timeline.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(figures["timeline"])
    for row, minute in zip(rows, figures["timeline"]):
        assert int(row["t_s"]) == minute["t"] and int(row["orders"]) == minute["orders"]
        assert float(row["gmv"]) == round(minute["gmv"], 2)
        assert int(row["viewers_tiktok"]) == minute["viewers"]["tiktok"]
        assert int(row["viewers_total"]) == minute["viewers_total"]
    with (tmp_path / "csv" / "segments.csv").open(encoding="utf-8") as handle:
        segments = list(csv.DictReader(handle))
    assert [(s["name"], float(s["actual_s"]), int(s["orders"])) for s in segments] == \
        [(s["name"], s["actual_s"], s["orders"]) for s in figures["segments"]]


def test_a_failed_write_keeps_the_file_that_was_there(rehearsal, tmp_path):
    _recorded, review = rehearsal
    target = tmp_path / "review.html"
    target.write_text("the last good report", encoding="utf-8")

    class Broken(type(review)):  # a review whose charts fail half-way through
        pass

    broken = Broken(**{k: getattr(review, k) for k in review.__dataclass_fields__})
    broken.timeline = None
    try:
        report.write_html(broken, target)
    except TypeError:
        pass
    assert target.read_text(encoding="utf-8") == "the last good report"
    assert [p.name for p in tmp_path.iterdir()] == ["review.html"]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.cli", "review", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)


def test_cli_writes_html_pdf_csv_and_json_keeps_todays_keys(rehearsal, tmp_path):
    recorded, _review = rehearsal
    result = _cli(str(recorded.stats), "--show-db", str(recorded.db), "--json", "--html", str(tmp_path / "r.html"),
                  "--pdf", str(tmp_path / "r.pdf"), "--csv", str(tmp_path / "csv"), "--pin-window", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r.html").stat().st_size > 10_000 and (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == ["products.csv", "segments.csv", "timeline.csv"]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["streams"][0]["file"] == str(recorded.stats) and figures["show"]["comments"] > 0  # today's output
    assert {"t", "viewers", "comments", "orders", "gmv"} <= set(figures["timeline"][0])
    assert {"name", "planned_s", "actual_s", "viewers_start", "viewers_end", "orders", "gmv"} <= set(figures["segments"][0])
    assert {"sku", "pins", "on_screen_s", "orders", "gmv"} <= set(figures["products"][0])
    assert figures["pin_window_min"] == 3
    text = _cli(str(recorded.stats), "--show-db", str(recorded.db), cwd=tmp_path)
    assert text.returncode == 0 and text.stdout.splitlines()[0] == str(recorded.stats)
    assert "Show review:" in text.stdout and "Segment 3 (Silk scarf) lost" in text.stdout and "None" not in text.stdout


def test_cli_refuses_in_words(tmp_path):
    missing = _cli("--show-db", str(tmp_path / "nowhere.db"), "--html", str(tmp_path / "r.html"), cwd=tmp_path)
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip() == f"error: There is no show database at {tmp_path / 'nowhere.db'}."
    bad = _cli("--show-db", str(tmp_path / "x.db"), "--pin-window", "soon", cwd=tmp_path)
    assert bad.returncode == 2 and "error: --pin-window takes whole minutes from 1 to 240, not “soon”" in bad.stderr
    assert "Traceback" not in missing.stderr + bad.stderr


def test_referral_reward_states_are_sentences_in_the_ui_language():
    """The ledger's state codes ("vesting", "held") never reach the report as they are."""
    from studio.core import i18n
    from studio.review.records import Review
    from studio.review.report import referral_lines

    review = Review(start_unix=0.0, end_unix=60.0, currency="USD", platforms=[], pin_window_min=5, timeline=[],
                    segments=[], products=[], pins=[], top_height=None, missing=[],
                    referrals={"inviters": 2, "joins": 5, "points": 9, "coupons_granted": 1,
                               "rewards": {"vesting": 3, "held": 1, "granted": 1}})
    lines = referral_lines(review)
    assert "Rewards waiting to count: 3" in lines and "Rewards held: 1" in lines
    assert "Rewards issued as coupons: 1" in lines
    previous = i18n.current_language()
    i18n.set_language("zh_CN")
    try:
        chinese = referral_lines(review)
    finally:
        i18n.set_language(previous)
    assert "待生效的奖励：3" in chinese and not any("vesting" in line or "held" in line for line in chinese)
