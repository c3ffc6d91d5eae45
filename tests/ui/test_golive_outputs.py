"""The desktop Go live runs through the go-live service: it records while live (set under
Settings → Go live…) and sends the live show's events over the stream's data channel — both
against the real engine and the built-in rehearsal receiver."""
from __future__ import annotations

import json

import av
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from studio.control.launch import LiveControl
from ui.golive import IDLE, LIVE

LIVE_TIMEOUT_MS = 30_000
CATALOG = "sku,title,price,currency,stock\nSKU-1,Silk scarf,19.99,USD,50\nSKU-2,Travel mug,12.50,EUR,20\n"


def _stop_from_the_button(qtbot, window) -> None:
    widget = window.golive_widget
    qtbot.mouseClick(widget.button, Qt.MouseButton.LeftButton)
    box = widget.confirm_box
    assert box is not None
    next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole).click()
    qtbot.waitUntil(lambda: window.golive.state == IDLE and not window.golive.is_busy, timeout=20_000)


def _output(controller, kind: str) -> dict:
    stats = controller.stats() or {}
    return next((entry for entry in stats.get("outputs") or [] if entry["kind"] == kind), {})


def test_go_live_with_recording_on_then_play_the_recording_back(window, qtbot, tmp_path):
    folder = tmp_path / "recordings"
    # Settings → Go live…: the host ticks "Record while live" and picks a folder.
    window.open_golive_settings()
    dialog = window.golive_settings_dialog
    qtbot.waitExposed(dialog)
    assert not dialog.folder_edit.isEnabled()
    # On the box itself: a form row makes the check box wider than its label.
    qtbot.mouseClick(dialog.record_check, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.record_check.height() // 2))
    assert dialog.folder_edit.isEnabled() and dialog.remux_check.isChecked()
    dialog.folder_edit.setText(str(folder))
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert window.settings.golive.recording.record_while_live
    assert window.settings.golive.recording.folder == str(folder)

    controller = window.golive
    qtbot.mouseClick(window.golive_widget.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.state == LIVE, timeout=LIVE_TIMEOUT_MS)
    # Both outputs in the stats: the WHIP destination live, the recording growing.
    qtbot.waitUntil(lambda: (_output(controller, "record").get("duration_s") or 0) >= 2.5, timeout=20_000)
    assert _output(controller, "whip")["state"] == "live"
    assert _output(controller, "record")["state"] == "recording"
    assert _output(controller, "record")["error"] is None
    service = controller.service
    _stop_from_the_button(qtbot, window)

    mkv = service.recording_path
    assert mkv is not None and mkv.parent == folder and mkv.suffix == ".mkv"
    assert service.mp4_path == mkv.with_suffix(".mp4") and service.remux_error is None
    for path in (mkv, mkv.with_suffix(".mp4")):
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            assert (video.codec_context.width, video.codec_context.height) == (640, 360)
            assert container.streams.audio, f"{path.name} has no sound"
            frames = sum(1 for _frame in container.decode(video=0))
        assert frames >= 60, f"{path.name}: only {frames} frames decoded"  # ≥ 2 s at 30 fps


def test_go_live_sends_a_pin_over_the_events_channel(window, qtbot, tmp_path):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    control = LiveControl(window.studio, tmp_path / "show.db", catalog=catalog, port=None, token="tok-secret-123")
    control.start()
    try:
        window.mount_live_panel(control)
        window.settings.golive.events_channel = True
        controller = window.golive
        qtbot.mouseClick(window.golive_widget.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: controller.state == LIVE, timeout=LIVE_TIMEOUT_MS)

        def channel_state() -> str | None:
            return ((controller.stats() or {}).get("events_channel") or {}).get("state")

        qtbot.waitUntil(lambda: channel_state() == "open", timeout=15_000)
        receiver = controller.receiver
        control.live.pin("SKU-2")

        def pinned_events() -> list[dict]:
            envelopes = [json.loads(text) for label, text in receiver.channel_messages() if label == "bridgecast-events"]
            return [e["event"] for e in envelopes if e["event"]["type"] == "product.pinned"]

        qtbot.waitUntil(lambda: bool(pinned_events()), timeout=10_000)
        event = pinned_events()[-1]
        assert json.dumps(event["data"]).find("SKU-2") >= 0
        # The first message was the show's state, then the pin: in order, numbered from 1.
        envelopes = [json.loads(text) for _label, text in receiver.channel_messages()]
        assert envelopes[0]["event"]["type"] == "state" and envelopes[0]["seq"] == 1
        assert [e["seq"] for e in envelopes] == list(range(1, len(envelopes) + 1))
        _stop_from_the_button(qtbot, window)
    finally:
        if getattr(window, "live_panel", None) is not None:
            window.live_panel.detach()
        control.stop()
