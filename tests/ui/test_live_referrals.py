"""The Live panel's Referrals page in the real window at 1366×768: joins arriving from the engine
(as the control API sends them) fill the leaderboard; a ring's held rewards are listed first with
their reason; Grant and Hold decide; invite codes, the leaderboard card, the CSV export and the
invite posters (written off the GUI thread) work."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QFileDialog

from studio.control.launch import LiveControl
from studio.live.layout import OVERLAY_LEADERBOARD

SCREEN_W, SCREEN_H = 1366, 768


@pytest.fixture
def page(window, tmp_path, qtbot):
    control = LiveControl(window.studio, tmp_path / "show.db", port=None, token="tok-secret-123")
    control.start()
    try:
        dock = window.mount_live_panel(control)
        window.resize(SCREEN_W, SCREEN_H)
        qtbot.waitUntil(lambda: window.width() == SCREEN_W and window.height() == SCREEN_H, timeout=2000)

        def raised() -> bool:  # the tab of a freshly resized dock area is raised once it is laid out
            dock.raise_()
            return not dock.visibleRegion().isEmpty()

        qtbot.waitUntil(raised, timeout=3000)
        dock.tabs.setCurrentWidget(dock.referrals_page)
        yield dock.referrals_page, control.live, window
    finally:
        window.live_panel.detach()
        control.stop()


def _joins(live):
    referrals = live.referrals
    ann = referrals.add_inviter("tt:ann", "Ann")["data"]["code"]
    bao = referrals.add_inviter("tt:bao", "Bao")["data"]["code"]
    for n in range(3):
        referrals.join(ann, f"ann-{n}", "tiktok", {"device_id": f"a{n}"})
    for n in range(3):  # one phone, three "viewers": a ring
        referrals.join(bao, f"farm-{n}", "tiktok", {"device_id": "farm"})
    referrals.order("ann-0")


def _row_of(table, text):
    for row in range(table.rowCount()):
        if table.item(row, 0) is not None and table.item(row, 0).text() == text:
            return row
    return None


def _reachable(widget, window, qtbot) -> bool:
    """Scrolled to (the Live panel scrolls on a laptop screen), the whole widget shows on the screen."""
    scroll = window.live_panel.widget()
    scroll.ensureWidgetVisible(widget, 0, 0)
    qtbot.wait(50)
    top_left = widget.mapTo(window, QPoint(0, 0))
    on_screen = QRect(0, 0, window.width(), window.height()).contains(QRect(top_left, widget.size()))
    return on_screen and widget.visibleRegion().boundingRect() == widget.rect()


def test_the_host_sees_the_leaderboard_and_decides_held_rewards(page, qtbot, tmp_path, monkeypatch):
    view, live, window = page
    _joins(live)
    qtbot.waitUntil(lambda: view.board_table.rowCount() == 2 and view.board_table.item(0, 1).text() == "Ann", timeout=5000)
    assert view.board_table.item(0, 3).text() == "5"  # ann-0 ordered: that invite vested
    rewards = view.rewards_table
    qtbot.waitUntil(lambda: rewards.rowCount() == 10, timeout=5000)  # 12 rewards, 2 vested and granted
    held_rows = [row for row in range(rewards.rowCount()) if rewards.item(row, 2).text() == "held"]
    assert held_rows == list(range(6))  # held first: they wait for the host
    assert "accounts linked by shared devices" in rewards.item(0, 3).text() and "farm-0, farm-1, farm-2" in rewards.item(0, 3).text()
    assert "6 held" in view.rewards_label.text()
    # Every control the host needs is on screen at 1366×768.
    width = window.live_panel.width()
    for widget in (view.grant_button, view.hold_button, view.export_button, view.posters_button, view.board_box,
                   view.add_button):
        assert widget.isVisible() and _reachable(widget, window, qtbot), widget.text()
    assert window.live_panel.width() == width and window.width() == SCREEN_W  # the page never widens the dock
    assert not view.grant_button.isEnabled()  # nothing chosen yet
    # Release a farm invitee's coupon.
    row = _row_of(rewards, "farm-1")
    reward_id = rewards.item(row, 0).data(256)
    rewards.selectRow(row)
    view.grant_button.click()
    qtbot.waitUntil(lambda: live.referrals.ledger.rewards[reward_id].state == "granted", timeout=5000)
    qtbot.waitUntil(lambda: _row_of(rewards, "farm-1") is None, timeout=5000)
    assert live.referrals.ledger.rewards[reward_id].coupon_code in live.coupons.by_code
    # Hold a vesting reward.
    row = _row_of(rewards, "ann-2")
    reward_id = rewards.item(row, 0).data(256)
    rewards.selectRow(row)
    view.hold_button.click()
    qtbot.waitUntil(lambda: live.referrals.ledger.rewards[reward_id].state == "held", timeout=5000)
    qtbot.waitUntil(lambda: "held by the host" in rewards.item(_row_of(rewards, "ann-2"), 3).text(), timeout=5000)
    # A new invite code, the leaderboard card, the ledger CSV.
    view.viewer_edit.setText("tt:chen")
    view.add_button.click()
    qtbot.waitUntil(lambda: view.board_table.rowCount() == 3, timeout=5000)
    view.board_box.click()
    qtbot.waitUntil(lambda: any(o.overlay_id == OVERLAY_LEADERBOARD for o in window.studio.compositor.overlays), timeout=5000)
    target = tmp_path / "out" / "ledger.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    view.export_button.click()
    qtbot.waitUntil(lambda: str(target) in view.status_label.text(), timeout=5000)
    assert target.read_bytes().decode("utf-8-sig").count("\n") == 13  # header + 12 rewards
    folder = tmp_path / "posters"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(folder))
    view.posters_button.click()
    qtbot.waitUntil(lambda: "3 invite posters written" in view.status_label.text(), timeout=20000)
    assert len(list(folder.glob("invite-*.png"))) == 3


def test_a_refused_decision_is_shown_in_words(page, qtbot):
    view, live, window = page
    view.viewer_edit.clear()
    view.add_button.click()
    error = window.live_panel.error_label
    qtbot.waitUntil(lambda: error.isVisible() and "viewer" in error.text(), timeout=3000)
