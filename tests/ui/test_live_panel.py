"""The Live panel dock over a real Studio (640x360) and a real LiveShow on a temp SQLite journal."""
from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication

from studio.control.launch import LiveControl
from tests.studio.control.conftest import card_match, program_with_picture
from ui import i18n as ui_i18n
from ui.app import create_studio, shutdown
from ui.live_panel import MAX_COMMENT_ROWS, LivePanelDock, mask_token

CATALOG = ("sku,title,price,original_price,currency,stock\n"
           "SKU-1,Silk scarf,19.99,39.99,USD,50\n"
           "SKU-2,Travel mug,12.50,,EUR,20\n"
           "SKU-3,Linen shirt,29.00,45.00,USD,12\n")
LOAD_COMMENTS = 25_000
LOAD_PER_MINUTE = 5_000
LAG_PROBE_MS = 10
GUI_LAG_P99_BOUND_MS = 250


@pytest.fixture
def studio(settings):
    engine = create_studio(settings)
    yield engine
    shutdown(engine, settings, save=False)


def _control(studio, tmp_path, port=None):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    return LiveControl(studio, tmp_path / "show.db", catalog=catalog, port=port, token="tok-secret-123")


@pytest.fixture
def control(studio, tmp_path):
    live_control = _control(studio, tmp_path)
    live_control.start()
    yield live_control
    live_control.stop()


@pytest.fixture
def panel(qtbot, control):
    ui_i18n.switch_language("en")
    dock = LivePanelDock(control)
    qtbot.addWidget(dock)
    dock.resize(560, 640)
    dock.show()
    qtbot.waitExposed(dock)
    qtbot.waitUntil(lambda: dock.products_page.product_proxy.rowCount() == 3)
    yield dock
    dock.detach()
    QThreadPool.globalInstance().waitForDone(5000)


def _row_is_highlighted(dock, sku):
    return dock.controller.product_model.is_highlighted(sku)


def _wait_program_after(studio, sequence, frames=2, timeout_s=5.0, not_before_ns=None):
    """A program frame ``frames`` after ``sequence`` (and, given ``not_before_ns``, one of a
    later tick: a frame rendered while a card was being handed over can predate its motion)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        frame = studio.compositor.latest_program()
        if (frame is not None and frame.sequence >= sequence + frames
                and (not_before_ns is None or frame.capture_ns >= not_before_ns)):
            return frame
        QApplication.processEvents()
        time.sleep(0.005)
    raise AssertionError("no new program frame")


def test_search_hotkey_pin_shows_the_card_on_program(panel, qtbot, studio, control):
    before = program_with_picture(studio)
    assert before is not None
    panel.products_page.search_edit.setText("mug")
    assert panel.products_page.product_proxy.rowCount() == 1
    assert panel.products_page.product_proxy.headerData(0, Qt.Orientation.Vertical) == "F1"
    panel.products_page.product_table.setFocus()
    qtbot.keyClick(panel.products_page.product_table, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: control.live.shelf.pinned_sku == "SKU-2", timeout=3000)
    qtbot.waitUntil(lambda: _row_is_highlighted(panel, "SKU-2"), timeout=3000)
    assert not _row_is_highlighted(panel, "SKU-1")
    assert "SKU-2" in panel.pinned_label.text()
    overlay = next(o for o in studio.compositor.overlays if o.overlay_id == "live.product")
    frame = _wait_program_after(studio, before.sequence, not_before_ns=overlay.shown_ns)
    assert card_match(before.image, overlay) > 20  # the card was not there before
    if overlay.frame_state(frame.capture_ns)[0] < 1.0:  # still entering: as its motion draws it
        assert card_match(frame.image, overlay, frame.capture_ns, before.image) < 12
    time.sleep(overlay.animation.duration_ms / 1000)
    frame = _wait_program_after(studio, studio.compositor.latest_program().sequence)
    assert card_match(frame.image, overlay) < 12  # and the program now shows it, at rest
    changed = np.abs(frame.image.astype(int) - before.image.astype(int)).max(axis=2) > 30
    assert changed[overlay.y:overlay.y + overlay.rgba.shape[0], overlay.x:overlay.x + overlay.rgba.shape[1]].mean() > 0.2

    # Search by SKU, select and press Pin; then Unpin takes the card off.
    panel.products_page.search_edit.setText("sku-3")
    panel.products_page.product_table.selectRow(0)
    panel.products_page.pin_button.click()
    qtbot.waitUntil(lambda: control.live.shelf.pinned_sku == "SKU-3" and _row_is_highlighted(panel, "SKU-3"), timeout=3000)
    panel.products_page.unpin_button.click()
    qtbot.waitUntil(lambda: not any(o.overlay_id == "live.product" for o in studio.compositor.overlays), timeout=3000)
    qtbot.waitUntil(lambda: not _row_is_highlighted(panel, "SKU-3"), timeout=3000)


def test_comments_batch_question_answer_hide_block(panel, qtbot, control):
    live = control.live
    batches = []
    panel.controller.batch_applied.connect(batches.append)
    worker = threading.Thread(target=lambda: [live.comments.add({"id": f"c{i}", "user": f"u{i % 3}", "text": f"hello {i}"}) for i in range(40)])
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: panel.controller.comment_model.rowCount() == 40, timeout=3000)
    assert len(batches) < 40  # drained in batches, not one hop per comment
    live.comments.add({"id": "q1", "user": "ana", "text": "Is shipping free to Canada?"})
    qtbot.waitUntil(lambda: panel.controller.comment_model.rowCount() == 41, timeout=3000)
    # Mark as question.
    panel.comments_page.questions_only_box.setChecked(True)
    qtbot.waitUntil(lambda: panel.comments_page.comment_proxy.rowCount() == 1)
    panel.comments_page.questions_only_box.setChecked(False)
    source_row = next(r for r, c in enumerate(panel.controller.comment_model.rows) if c["id"] == "c5")
    panel.comments_page.comment_view.setCurrentIndex(panel.comments_page.comment_proxy.mapFromSource(panel.controller.comment_model.index(source_row)))
    panel.comments_page.question_button.click()
    qtbot.waitUntil(lambda: live.comments.by_id["c5"].is_question, timeout=3000)
    qtbot.waitUntil(lambda: panel.controller.comment_model.rows[source_row]["is_question"], timeout=3000)
    # Pin an answer on screen.
    panel.comments_page.answer_edit.setText("Yes, free over $30")
    panel.comments_page.pin_answer_button.click()
    qtbot.waitUntil(lambda: live.comments.pinned_answer is not None and live.comments.pinned_answer.comment_id == "c5", timeout=3000)
    qtbot.waitUntil(lambda: panel.controller.comment_model.rows[source_row]["is_answered"], timeout=3000)
    # Hide one comment, then block its author: every comment of that user disappears from the list.
    panel.comments_page.hide_button.click()
    qtbot.waitUntil(lambda: live.comments.by_id["c5"].is_hidden, timeout=3000)
    qtbot.waitUntil(lambda: panel.comments_page.comment_proxy.rowCount() == 40, timeout=3000)
    panel.comments_page.comment_view.setCurrentIndex(panel.comments_page.comment_proxy.index(0, 0))
    user = panel.comments_page.selected_comment()["user"]
    panel.comments_page.block_button.click()
    qtbot.waitUntil(lambda: user in live.comments.blocked, timeout=3000)
    qtbot.waitUntil(lambda: all(c["user"] != user for c in (panel.comments_page.comment_proxy.index(r, 0).data(panel.controller.comment_model.CommentRole)
                                                          for r in range(panel.comments_page.comment_proxy.rowCount()))), timeout=3000)


def test_coupon_flash_sale_and_giveaway_controls(panel, qtbot, control):
    live = control.live
    panel.tabs.setCurrentWidget(panel.promotions_page)
    panel.coupons_box.new_coupon_button.click()
    dialog = panel.coupons_box.coupon_dialog
    assert dialog is not None
    dialog.code_edit.setText("live10")
    dialog.value_spin.setValue(10)
    dialog.quantity_spin.setValue(100)
    dialog.accept()
    qtbot.waitUntil(lambda: "LIVE10" in live.coupons.by_code, timeout=3000)
    qtbot.waitUntil(lambda: panel.coupons_box.coupon_list.count() == 1, timeout=3000)
    panel.coupons_box.coupon_list.setCurrentRow(0)
    panel.coupons_box.show_coupon_button.click()
    qtbot.waitUntil(lambda: live.coupons.shown_code == "LIVE10", timeout=3000)
    qtbot.waitUntil(lambda: "on screen" in panel.coupons_box.coupon_list.item(0).text(), timeout=3000)
    # A bad coupon is refused in words, in the panel.
    panel.coupons_box.create_coupon(code="x", kind="percent", value=10)
    qtbot.waitUntil(lambda: panel.error_label.isVisible() and "coupon code" in panel.error_label.text(), timeout=3000)

    panel.flash_box.flash_product_box.setCurrentIndex(panel.flash_box.flash_product_box.findData("SKU-1"))
    panel.flash_box.flash_stock_spin.setValue(30)
    panel.flash_box.flash_preroll_spin.setValue(10)
    panel.flash_box.flash_window_spin.setValue(2)
    panel.flash_box.flash_price_edit.setText("14.99")  # below the catalog's 19.99: no "start anyway?" question
    panel.flash_box.flash_start_button.click()
    qtbot.waitUntil(lambda: live.flash_sale.current is not None, timeout=3000)
    qtbot.waitUntil(lambda: "starts in 00:1" in panel.flash_box.flash_status_label.text() or "starts in 00:09" in panel.flash_box.flash_status_label.text(), timeout=3000)
    assert live.flash_sale.current.ends_at - live.flash_sale.current.starts_at == 120
    assert panel.flash_box.flash_remaining_bar.value() == 30 and panel.flash_box.flash_remaining_bar.maximum() == 30
    panel.flash_box.flash_stop_button.click()
    qtbot.waitUntil(lambda: "ended" in panel.flash_box.flash_status_label.text(), timeout=3000)

    panel.giveaway_box.giveaway_keyword_edit.setText("win")
    panel.giveaway_box.giveaway_prize_edit.setText("Scarf")
    panel.giveaway_box.giveaway_open_button.click()
    qtbot.waitUntil(lambda: live.giveaway.current is not None, timeout=3000)
    commitment = live.giveaway.current.commitment
    qtbot.waitUntil(lambda: commitment in panel.giveaway_box.giveaway_status_label.text(), timeout=3000)
    assert "Seed" not in panel.giveaway_box.giveaway_status_label.text()
    for i in range(3):
        live.comments.add({"id": f"g{i}", "user": f"fan{i}", "text": "win please"})
    panel.giveaway_box.giveaway_draw_button.click()
    qtbot.waitUntil(lambda: bool(live.giveaway.current.winners), timeout=3000)
    qtbot.waitUntil(lambda: live.giveaway.current.seed in panel.giveaway_box.giveaway_status_label.text(), timeout=3000)
    assert live.giveaway.current.winners[0] in panel.giveaway_box.giveaway_status_label.text()


def test_run_of_show_timeline_and_advance(panel, qtbot, control, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"segments": [
        {"name": "Warm-up", "kind": "warmup", "planned_s": 900, "talking_points": ["Say hello"]},
        {"name": "Silk scarf", "planned_s": 600, "actions": [{"pin": "SKU-1"}]},
    ]}), encoding="utf-8")
    panel.show_page.load_plan(plan)
    qtbot.waitUntil(lambda: panel.show_page.segment_list.count() == 2, timeout=3000)
    assert panel.show_page.segment_label.text() == "Not started"
    panel.show_page.advance_button.click()
    qtbot.waitUntil(lambda: panel.show_page.segment_label.text() == "1/2 Warm-up", timeout=3000)
    qtbot.waitUntil(lambda: "remaining 14:" in panel.show_page.segment_timer_label.text() or "remaining 15:00" in panel.show_page.segment_timer_label.text(), timeout=3000)
    assert "Say hello" in panel.show_page.talking_points_label.text()
    assert panel.show_page.segment_list.item(0).font().bold() and not panel.show_page.segment_list.item(1).font().bold()
    panel.advance_shortcut.activated.emit()  # Ctrl+Enter
    qtbot.waitUntil(lambda: panel.show_page.segment_label.text() == "2/2 Silk scarf", timeout=3000)
    qtbot.waitUntil(lambda: control.live.shelf.pinned_sku == "SKU-1", timeout=3000)  # the segment's entry action
    panel.show_page.advance()
    qtbot.waitUntil(lambda: "last segment" in panel.error_label.text(), timeout=3000)


def test_pair_a_tablet_masks_the_token_until_asked(qtbot, studio, tmp_path):
    live_control = _control(studio, tmp_path, port=0)
    live_control.start()
    dock = LivePanelDock(live_control)
    qtbot.addWidget(dock)
    try:
        dock.pair_button.click()
        dialog = dock.pair_dialog
        assert dialog is not None
        assert "tok-secret-123" not in dialog.url_edit.text()
        assert dialog.url_edit.text() == mask_token(live_control.pairing_url)
        if live_control.pairing_qr() is not None:
            assert not dialog.qr_label.pixmap().isNull()
        dialog.show_button.click()
        assert dialog.url_edit.text() == live_control.pairing_url and "tok-secret-123" in dialog.url_edit.text()
        dialog.show_button.click()
        assert "tok-secret-123" not in dialog.url_edit.text()
        dialog.close()
    finally:
        dock.detach()
        live_control.stop()


def test_main_window_mounts_the_panel(window, qtbot, tmp_path):
    live_control = _control(window.studio, tmp_path)
    live_control.start()
    try:
        dock = window.mount_live_panel(live_control)
        assert dock in window.docks
        assert dock.toggleViewAction() in window.view_menu.actions()
        qtbot.waitUntil(lambda: dock.products_page.product_proxy.rowCount() == 3, timeout=3000)
    finally:
        window.live_panel.detach()
        live_control.stop()


def _work_around_pyside_none_leak() -> None:
    """PySide6/shiboken6 6.12.0 (abi3 wheel) on Python 3.11 drops one reference to None per
    void-returning Qt call, so a process aborts ("none_dealloc") after some minutes of GUI work.
    Python 3.12+ has an immortal None; on 3.11 give it enough references to outlive the run."""
    if sys.version_info < (3, 12):
        import ctypes

        ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40


def test_load_5000_comments_per_minute_keeps_the_gui_responsive(panel, qtbot, control):
    """25,000 comments (5 min at 5,000/min; compressed unless BRIDGECAST_LOAD_REALTIME=1)."""
    live = control.live
    is_realtime = os.environ.get("BRIDGECAST_LOAD_REALTIME") == "1"
    if is_realtime:
        _work_around_pyside_none_leak()
    interval_s = 60.0 / LOAD_PER_MINUTE if is_realtime else 0.0
    panel.tabs.setCurrentWidget(panel.comments_page)
    lags_ms: list[float] = []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(LAG_PROBE_MS)
    last = [0]

    def on_probe() -> None:
        now = clock.elapsed()
        lags_ms.append(max(0.0, now - last[0] - LAG_PROBE_MS))
        last[0] = now

    probe.timeout.connect(on_probe)
    done = threading.Event()
    errors: list[BaseException] = []

    def push() -> None:
        try:
            start = time.monotonic()
            for i in range(LOAD_COMMENTS):
                live.comments.add({"id": f"load-{i}", "user": f"viewer{i % 700}", "text": f"comment {i} how much?" if i % 10 == 0 else f"comment {i}"})
                if interval_s:
                    delay = start + (i + 1) * interval_s - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
        except BaseException as exc:  # reported on the test thread
            errors.append(exc)
        finally:
            done.set()

    clock.start()
    probe.start()
    pusher = threading.Thread(target=push, name="load-pusher")
    started = time.monotonic()
    pusher.start()
    qtbot.waitUntil(done.is_set, timeout=(330_000 if is_realtime else 120_000))
    pushed_s = time.monotonic() - started
    qtbot.waitUntil(lambda: panel.controller.comment_model.rows and panel.controller.comment_model.rows[-1]["id"] == f"load-{LOAD_COMMENTS - 1}", timeout=5000)
    probe.stop()
    pusher.join()
    assert not errors
    lags_ms.sort()
    p99 = lags_ms[int(len(lags_ms) * 0.99) - 1]
    print(json.dumps({"comments": LOAD_COMMENTS, "pushed_s": round(pushed_s, 2), "probes": len(lags_ms),
                      "lag_p50_ms": round(statistics.median(lags_ms), 2), "lag_p99_ms": round(p99, 2),
                      "lag_max_ms": round(lags_ms[-1], 2), "realtime": is_realtime}))
    # A bound a loaded CI machine cannot flake (measured p99 here: 10–50 ms); a GUI thread that
    # waited on the journal or redrew the whole queue per comment would stall for seconds.
    assert p99 <= GUI_LAG_P99_BOUND_MS, f"GUI event-loop lag p99 {p99:.1f} ms"
    assert panel.controller.comment_model.rowCount() == MAX_COMMENT_ROWS
    assert panel.controller.dropped_events == 0
    # Every comment is in the journal (read back through the engine's store).
    assert live.store.count_events("comment.received") == LOAD_COMMENTS
    ids = {e["data"]["id"] for e in live.store.events(event_type="comment.received")}
    assert ids == {f"load-{i}" for i in range(LOAD_COMMENTS)}


def test_control_port_in_use_is_shown_in_words_and_the_show_goes_on(window, qtbot, tmp_path):
    import socket

    from ui.workers import run_in_background

    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    live_control = _control(window.studio, tmp_path, port=port)
    try:
        dock = window.mount_live_panel(live_control)  # as the app does: mount, then start off the GUI thread
        run_in_background(live_control.start, lambda _result: dock.refresh(), lambda error: None, receiver=window)
        qtbot.waitUntil(lambda: "already in use" in dock.control_label.text(), timeout=5000)
        assert f"port {port}" in dock.control_label.text() and not dock.pair_button.isEnabled()
        assert "already in use" in window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: dock.products_page.product_proxy.rowCount() == 3, timeout=3000)
        dock.products_page.pin_row(0)
        qtbot.waitUntil(lambda: any(o.overlay_id == "live.product" for o in window.studio.compositor.overlays), timeout=3000)
        blocker.close()
        dock.controller.run_command(lambda: live_control.reconfigure(port=port))
        qtbot.waitUntil(lambda: dock.control_label.text().endswith(f":{port}"), timeout=5000)
        assert dock.pair_button.isEnabled()
    finally:
        blocker.close()
        window.live_panel.detach()
        live_control.stop()


def test_main_window_sends_events_to_the_configured_webhook(window, qtbot, tmp_path):
    from studio.secrets_store import set_secret
    from tests.studio.live.platform import FlakyPlatform

    with FlakyPlatform(failures=0) as platform:
        set_secret("live-webhook-secret", "ui-SECRET-1")
        window.settings.webhook_url = f"http://127.0.0.1:{platform.port}/hook"
        window.settings.webhook_secret_ref = "live-webhook-secret"
        live_control = _control(window.studio, tmp_path)
        live_control.start()
        try:
            dock = window.mount_live_panel(live_control)
            qtbot.waitUntil(lambda: live_control.webhook is not None, timeout=3000)
            qtbot.waitUntil(lambda: dock.products_page.product_proxy.rowCount() == 3, timeout=3000)
            dock.products_page.pin_row(1)
            assert platform.wait_for("product.pinned")["data"]["sku"] == "SKU-2"
        finally:
            window.live_panel.detach()
            live_control.stop()
    _event, headers, _body = next(r for r in platform.received if r[0]["type"] == "product.pinned")
    assert headers["X-Bridgecast-Signature"].startswith("sha256=")


def test_giveaway_conditions_from_the_panel(panel, qtbot, control):
    live = control.live
    panel.tabs.setCurrentWidget(panel.promotions_page)
    panel.giveaway_box.giveaway_keyword_edit.setText("lucky")
    panel.giveaway_box.giveaway_followers_box.setChecked(True)
    panel.giveaway_box.giveaway_comments_spin.setValue(1)
    panel.giveaway_box.giveaway_tickets_spin.setValue(2)
    panel.giveaway_box.giveaway_exclude_edit.setText("staff_amy, mod_bo")
    panel.giveaway_box.giveaway_open_button.click()
    qtbot.waitUntil(lambda: live.giveaway.current is not None, timeout=3000)
    assert live.giveaway.current.conditions.to_json() == {"followers_only": True, "min_account_age_days": 0, "min_comments": 1,
                                           "excluded_users": ["mod_bo", "staff_amy"], "entries_per_viewer": 2}
    live.comments.add({"id": "1", "user": {"name": "fan", "is_follower": True}, "text": "lucky"})
    live.comments.add({"id": "2", "user": {"name": "fan", "is_follower": True}, "text": "lucky again"})
    live.comments.add({"id": "3", "user": {"name": "lurker", "is_follower": False}, "text": "lucky"})
    live.comments.add({"id": "4", "user": {"name": "staff_amy", "is_follower": True}, "text": "lucky"})
    qtbot.waitUntil(lambda: "2 refused" in panel.giveaway_box.giveaway_status_label.text(), timeout=3000)
    text = panel.giveaway_box.giveaway_status_label.text()
    assert "followers only" in text and "up to 2 entries per viewer" in text and "2 excluded" in text
    assert "Last refused: staff_amy (on the exclusion list)" in text
    assert live.giveaway.current.entries == ["fan", "fan"]
    # A bad condition is refused in words and nothing opens.
    live.giveaway.close()
    panel.giveaway_box.giveaway_keyword_edit.setText("other")
    panel.giveaway_box.giveaway_exclude_edit.setText(",".join(f"u{i}" for i in range(6000)))
    panel.giveaway_box.giveaway_open_button.click()
    qtbot.waitUntil(lambda: panel.error_label.isVisible() and "exclusion list" in panel.error_label.text(), timeout=3000)
    assert live.giveaway.current.keyword == "lucky"


def test_quick_replies_from_the_panel(panel, qtbot, control):
    live = control.live
    panel.tabs.setCurrentWidget(panel.comments_page)
    live.shelf.pin("SKU-1")
    live.comments.add({"id": "q1", "user": "Maria", "text": "how much is it?"})
    qtbot.waitUntil(lambda: panel.comments_page.comment_proxy.rowCount() == 1, timeout=3000)
    panel.comments_page.answer_edit.setText("Hi {name}, {product} is {price}!")
    panel.comments_page.save_reply_button.click()
    qtbot.waitUntil(lambda: panel.comments_page.quick_reply_box.count() == 1, timeout=3000)
    assert panel.comments_page.answer_edit.text() == ""
    assert panel.comments_page.quick_reply_box.itemData(0, Qt.ItemDataRole.ToolTipRole) == "Hi {name}, {product} is {price}!"
    panel.comments_page.comment_view.setCurrentIndex(panel.comments_page.comment_proxy.index(0, 0))
    events = []
    live.event.connect(lambda event: events.append(event))
    panel.comments_page.reply_button.click()
    qtbot.waitUntil(lambda: any(e["type"] == "comment.replied" for e in events), timeout=3000)
    replied = next(e for e in events if e["type"] == "comment.replied")
    assert replied["data"]["text"] == "Hi Maria, Silk scarf is $19.99!"
    qtbot.waitUntil(lambda: panel.controller.comment_model.rows[0].get("is_answered") is True, timeout=3000)
    # A template with an unknown variable is refused in words.
    panel.comments_page.answer_edit.setText("Hi {nickname}")
    panel.comments_page.save_reply_button.click()
    qtbot.waitUntil(lambda: panel.error_label.isVisible() and "{nickname}" in panel.error_label.text(), timeout=3000)
    panel.comments_page.delete_reply_button.click()
    qtbot.waitUntil(lambda: panel.comments_page.quick_reply_box.count() == 0, timeout=3000)


def test_coupon_start_and_end_times_in_the_region_locale(panel, qtbot, control):
    from PySide6.QtCore import QDateTime

    from ui.live_panel import locale_time

    live = control.live
    live.set_locale("de_DE")
    panel.tabs.setCurrentWidget(panel.promotions_page)
    panel.coupons_box.new_coupon_button.click()
    dialog = panel.coupons_box.coupon_dialog
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert dialog.starts_edit.locale().name() == "de_DE" and "dd.MM.yy" in dialog.starts_edit.displayFormat()
    dialog.code_edit.setText("NIGHT")
    dialog.ends_box.setChecked(True)
    dialog.ends_edit.setDateTime(QDateTime.currentDateTime().addSecs(-60))
    assert not ok.isEnabled() and "already passed" in dialog.problem_label.text()
    start = QDateTime.currentDateTime().addSecs(7200)
    dialog.starts_box.setChecked(True)
    dialog.starts_edit.setDateTime(start)
    dialog.ends_edit.setDateTime(start.addSecs(-600))
    assert not ok.isEnabled() and "end after it starts" in dialog.problem_label.text()
    dialog.ends_edit.setDateTime(start.addSecs(3600))
    assert ok.isEnabled() and dialog.problem_label.text() == ""
    ok.click()
    qtbot.waitUntil(lambda: "NIGHT" in live.coupons.by_code, timeout=3000)
    coupon = live.coupons.by_code["NIGHT"]
    assert coupon.starts_at == start.toSecsSinceEpoch() and coupon.ends_at == start.toSecsSinceEpoch() + 3600
    expected = f"{locale_time(coupon.starts_at, 'de_DE')} – {locale_time(coupon.ends_at, 'de_DE')}"
    qtbot.waitUntil(lambda: panel.coupons_box.coupon_list.count() == 1 and expected in panel.coupons_box.coupon_list.item(0).text(), timeout=3000)
    assert "inactive" in panel.coupons_box.coupon_list.item(0).text()  # not started yet
    assert "." in locale_time(0, "de_DE") and "/" in locale_time(0, "en_US")


def test_plural_forms_in_the_panel(panel, qtbot, control):
    from studio.core import i18n

    live = control.live
    live.giveaway.open("go")
    live.comments.add({"id": "p1", "user": "ann", "text": "go"})
    qtbot.waitUntil(lambda: "· 1 entry" in panel.giveaway_box.giveaway_status_label.text(), timeout=3000)
    assert "1 entries" not in panel.giveaway_box.giveaway_status_label.text()
    live.comments.add({"id": "p2", "user": "bob", "text": "go?"})
    qtbot.waitUntil(lambda: "· 2 entries" in panel.giveaway_box.giveaway_status_label.text(), timeout=3000)
    qtbot.waitUntil(lambda: panel.comments_page.comment_count_label.text() == "1 open question", timeout=3000)
    live.comments.add({"id": "p3", "user": "cy", "text": "size?"})
    qtbot.waitUntil(lambda: panel.comments_page.comment_count_label.text() == "2 open questions", timeout=3000)
    try:
        ui_i18n.switch_language("zh_CN")
        qtbot.waitUntil(lambda: "2 人参与" in panel.giveaway_box.giveaway_status_label.text(), timeout=3000)
        assert i18n.ngettext("{count} entry", "{count} entries", 1).format(count=1) == "1 人参与"
        assert panel.comments_page.comment_count_label.text() == "2 个待回答问题"
    finally:
        ui_i18n.switch_language("en")


def test_a_snapshot_that_differs_only_in_its_time_stamp_repaints_nothing(panel, qtbot):
    qtbot.waitUntil(lambda: bool(panel.controller.snapshot), timeout=3000)
    seen: list[dict] = []
    panel.controller.snapshot_changed.connect(seen.append)
    same = {**panel.controller.snapshot, "t": panel.controller.snapshot["t"] + 1.0}
    panel.controller._apply_snapshot(same)
    assert seen == [] and panel.controller.snapshot is same  # kept, not shown again
    changed = {**same, "question_count": same["question_count"] + 1}
    panel.controller._apply_snapshot(changed)
    assert len(seen) == 1 and seen[0]["question_count"] == changed["question_count"]  # shown (a copy through Qt)
