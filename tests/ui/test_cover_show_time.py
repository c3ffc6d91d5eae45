""""Fill from a planned show…" in the cover editor: the team's plan is read off the GUI thread, the
designer picks a show and the viewers' market (defaulting to the cover's locale), and the cover's
``{start_time_local}`` and friends show the start in that market's zone and words — one undo step."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from studio.schedule import parse_start
from studio.schedule.store import PlannedShow, add_planned_show
from tests.ui.cover_helpers import open_cover_editor


@pytest.fixture
def editor(qtbot):
    with open_cover_editor(qtbot) as window:
        yield window


def _pick(qtbot, panel):
    panel.show_button.click()
    qtbot.waitUntil(lambda: panel.show_dialog is not None and panel.show_dialog.isVisible(), timeout=20000)
    return panel.show_dialog


def test_fill_the_show_time_in_the_covers_market_then_undo(qtbot, editor):
    start = parse_start("2026-11-11T20:00", "Asia/Shanghai").at  # Singles' Day, 8 pm in Shenzhen
    add_planned_show(PlannedShow(title="11.11 mega sale", start=start, duration_min=120, markets=["CN", "TH", "US"]))
    panel = editor.variables_panel
    assert panel.show_button.isVisible() and panel.show_button.text() == "Fill from a planned show…"
    editor.model.set_document(editor.model.document.model_copy(
        update={"variables": {**editor.model.document.variables, "locale": "th_TH"}}, deep=True))
    dialog = _pick(qtbot, panel)
    assert dialog.show_box.count() == 1 and "11.11 mega sale" in dialog.show_box.currentText()
    assert dialog.market_box.currentData() == "TH"  # the cover's locale says Thailand
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    variables = editor.model.document.variables
    assert variables["start_time_local"] == "พุธ 11 พ.ย. 2026 19:00 น. (GMT+07:00)"  # 7 pm in Bangkok, Thai words
    assert variables["start_clock_local"] == "19:00" and variables["time_zone"] == "Asia/Bangkok"
    assert variables["show_title"] == "11.11 mega sale"
    assert editor.undo_stack.undoText() == "Fill from a planned show"

    # The same show for the US viewers: 7 am in New York (standard time on 11 November).
    dialog = _pick(qtbot, panel)
    dialog.market_box.setCurrentIndex(dialog.market_box.findData("US"))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert editor.model.document.variables["start_time_local"] == "Wed, Nov 11, 2026, 7:00\u202fAM (GMT-05:00)"
    editor.toolbar.undo_action.trigger()
    assert editor.model.document.variables["start_time_local"].startswith("พุธ 11 พ.ย.")


def test_no_planned_show_says_so(qtbot, editor):
    panel = editor.variables_panel
    panel.show_button.click()
    qtbot.waitUntil(lambda: "No show is planned yet" in panel.error.text(), timeout=20000)
    assert panel.show_dialog is None
