"""The Review window, opened from the main window's menu at 1366×768: it lists the show history,
opens a past show and draws the viewers curve with the run-of-show segments shaded and the
pins marked, lists the findings, and saves the review."""
from __future__ import annotations

from matplotlib.collections import PolyCollection

from studio.review import report
from tests.studio.review.rehearsal import T0, record_rehearsal
from ui.review_window import ReviewWindow

WEEK_S = 7 * 24 * 3600


def _record_history(config):
    live = config / "live"
    past = record_rehearsal(live / "shows", name="show-20270108-080000.db", start=T0 - WEEK_S, stats_folder=live / "stats")
    current = record_rehearsal(live, has_platforms=False, stats_folder=live / "stats")
    return past, current


def test_review_window_opens_a_past_show_with_segments_and_pins(window, qtbot, isolated_settings, tmp_path):
    past, _current = _record_history(isolated_settings)
    window.resize(1366, 768)
    window.review_action.trigger()
    review_window = window.review_window
    assert review_window.isVisible() and review_window.width() <= 1366 and review_window.height() <= 768
    qtbot.waitUntil(lambda: review_window.show_list.count() == 2, timeout=10_000)
    assert review_window.show_list.item(0).text().startswith("Current show\n")

    review_window.show_list.setCurrentRow(1)  # the show of a week ago
    qtbot.waitUntil(lambda: review_window.review is not None and "viewers" in review_window.canvases, timeout=20_000)
    assert review_window.shown_path == past.db
    figure = review_window.canvases["viewers"].figure
    axes = figure.axes[0]
    segments = sorted(p.get_gid() for p in axes.patches if (p.get_gid() or "").startswith("segment-"))
    assert segments == [f"segment-{n}" for n in range(1, 6)]
    pins = [line for line in axes.lines if (line.get_gid() or "").startswith("pin-")]
    assert len(pins) == 3
    assert len([c for c in axes.collections if isinstance(c, PolyCollection)]) == 2  # tiktok and youtube stacked
    assert [t.get_text() for t in axes.texts if t.get_text() in ("A12", "B07", "C33")] == ["B07", "A12", "C33"]
    canvas = review_window.canvases["viewers"]
    qtbot.waitUntil(lambda: canvas.isVisible() and canvas.width() > 600 and canvas.height() > 200, timeout=5_000)
    findings = [review_window.findings_list.item(i).text() for i in range(review_window.findings_list.count())]
    assert any(text.startswith("Segment 3 (Silk scarf) lost") and "540p for 90 s" in text for text in findings)
    assert review_window.segment_table.rowCount() == 5 and review_window.product_table.rowCount() == 3
    assert review_window.save_html_button.isEnabled()

    target = tmp_path / "week-ago.html"
    review_window.save_to("html", target)
    qtbot.waitUntil(lambda: review_window.status_label.text() == f"Written to {target}", timeout=20_000)
    assert target.read_text(encoding="utf-8").count("<svg") == 4


def test_the_current_show_without_a_platform_says_what_is_missing(window, qtbot, isolated_settings):
    _record_history(isolated_settings)
    window.review_action.trigger()
    review_window = window.review_window
    qtbot.waitUntil(lambda: review_window.show_list.count() == 2, timeout=10_000)
    review_window.show_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: review_window.review is not None, timeout=20_000)
    axes = review_window.canvases["viewers"].figure.axes[0]
    assert "No viewer counts: no platform was connected." in [t.get_text() for t in axes.texts]
    findings = [review_window.findings_list.item(i).text() for i in range(review_window.findings_list.count())]
    assert "Not recorded: No viewer counts: no platform was connected (or none reported its viewers)." in findings
    assert dict(report.kpis(review_window.review))["peak viewers"] == "—"


def test_an_empty_history_explains_itself(qtbot, tmp_path):
    view = ReviewWindow(tmp_path / "live" / "show.db", tmp_path / "live" / "stats")
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.status_label.text().startswith("No show has been recorded yet"), timeout=10_000)
    assert view.show_list.count() == 0 and not view.save_pdf_button.isEnabled()
