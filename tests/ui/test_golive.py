"""Go live from the main window over the real engine: the built-in rehearsal receiver, a bad
destination, and the destinations dialog (tokens kept out of settings.json)."""
from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from studio.secrets_store import get_secret
from studio.settings import Destination, settings_path
from ui.destinations_dialog import DestinationsDialog
from ui.golive import FAILED, IDLE, LIVE, format_elapsed

LIVE_TIMEOUT_MS = 30_000


def _confirm_stop(widget) -> None:
    box = widget.confirm_box
    assert box is not None and box.isVisible()
    stop = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    stop.click()


def test_go_live_to_the_rehearsal_receiver_and_stop(window, qtbot):
    widget, controller = window.golive_widget, window.golive
    assert widget.button.text() == "Go live"
    assert widget.destinations_button.text().startswith("Rehearsal (built-in)")
    assert window.health_dock.verdict_label.text() == "Not live"

    qtbot.mouseClick(widget.button, Qt.MouseButton.LeftButton)
    assert controller.state == "connecting"
    assert widget.button.text().startswith("Connecting")
    qtbot.waitUntil(lambda: controller.state == LIVE, timeout=LIVE_TIMEOUT_MS)
    assert controller.is_rehearsal
    assert widget.state_label.text() == "Live on Rehearsal (built-in)"

    # The health dock: three layers sending, bitrates measured, a verdict in words.
    health = window.health_dock

    def three_layers_with_bitrate() -> bool:
        health.update_stats()
        layers = (health.last_stats or {}).get("layers") or []
        return len(layers) == 3 and all((layer.get("bitrate_bps") or 0) > 0 for layer in layers)

    qtbot.waitUntil(three_layers_with_bitrate, timeout=15_000)
    assert health.table.rowCount() == 3
    assert [health.table.item(row, 0).text() for row in range(3)] == ["h", "m", "l"]
    assert health.table.item(0, 1).text() == "640×360"
    assert all("bit/s" in health.table.item(row, 3).text() for row in range(3))
    assert health.verdict_label.text().endswith("viewers get 360p")
    assert health.bitrate_graph.samples

    # The viewer side: every layer decoded by the receiver and previewed.
    rehearsal = window.rehearsal_dock
    qtbot.waitUntil(lambda: len(rehearsal.previews) == 3 and all(p.frames_shown > 0 for p in rehearsal.previews.values()), timeout=10_000)
    assert "320×180" in rehearsal.previews["m"].caption.text()

    # The elapsed time ticks on the button.
    qtbot.waitUntil(lambda: "Live 00:00:0" in widget.button.text() and widget.button.text() != "Stop · Live 00:00:00", timeout=5000)

    # Stop asks first; "keep streaming" changes nothing, "stop streaming" stops.
    qtbot.mouseClick(widget.button, Qt.MouseButton.LeftButton)
    box = widget.confirm_box
    assert box is not None
    keep = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.RejectRole)
    keep.click()
    qtbot.waitUntil(lambda: widget.confirm_box is None, timeout=2000)
    assert controller.state == LIVE
    qtbot.mouseClick(widget.button, Qt.MouseButton.LeftButton)
    _confirm_stop(widget)
    qtbot.waitUntil(lambda: controller.state == IDLE, timeout=15_000)
    assert controller.session is None and controller.receiver is None
    assert widget.button.text() == "Go live" and widget.state_label.text() == ""
    assert health.verdict_label.text() == "Not live"


def test_bad_destination_fails_with_the_reason_beside_the_button(window, qtbot):
    settings = window.settings
    settings.destinations = [Destination(id="nowhere", name="Nowhere", whip_url="http://127.0.0.1:9/whip", layers=["h"], simulcast="off")]
    widget, controller = window.golive_widget, window.golive
    widget.reload_destinations()
    assert widget.destinations_button.text().startswith("Nowhere")

    qtbot.mouseClick(widget.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.state == FAILED, timeout=LIVE_TIMEOUT_MS)
    text = widget.state_label.text()
    assert text.startswith("Failed: ") and len(text) > len("Failed: ") + 5
    assert "Traceback" not in text
    assert widget.state_label.toolTip() == text
    assert window.health_dock.verdict_label.text().startswith("Not live: ")
    # The session is torn down in the background; then "Go live" can be pressed again.
    qtbot.waitUntil(lambda: not controller.is_busy and controller.session is None, timeout=15_000)
    assert widget.button.isEnabled() and widget.button.text() == "Go live"


def test_cancel_while_connecting(window, qtbot):
    widget, controller = window.golive_widget, window.golive
    qtbot.mouseClick(widget.button, Qt.MouseButton.LeftButton)
    assert controller.state == "connecting"
    qtbot.mouseClick(widget.button, Qt.MouseButton.LeftButton)  # "Connecting… (cancel)"
    qtbot.waitUntil(lambda: controller.state == IDLE and not controller.is_busy, timeout=15_000)
    assert controller.session is None and controller.receiver is None


def test_destinations_dialog_saves_a_profile_and_keeps_the_token_out_of_settings(window, qtbot):
    window.open_destinations()
    dialog = window.destinations_dialog
    assert isinstance(dialog, DestinationsDialog)
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    draft = dialog.add_destination()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "Shop TV")
    qtbot.keyClicks(dialog.url_edit, "not a url")
    assert not save.isEnabled()
    assert "WHIP URL" in dialog.problems_label.text()
    dialog.url_edit.clear()
    qtbot.keyClicks(dialog.url_edit, "https://live.example.com/whip/abc")
    secret = "s3cr3t-token-XYZ"
    qtbot.keyClicks(dialog.token_edit, secret)
    assert dialog.token_edit.echoMode() == dialog.token_edit.EchoMode.Password
    dialog.show_token.setChecked(True)
    assert dialog.token_edit.echoMode() == dialog.token_edit.EchoMode.Normal
    dialog.simulcast_combo.setCurrentIndex(dialog.simulcast_combo.findData("off"))
    assert "only one layer" in dialog.problems_label.text()
    dialog.layer_checks["m"].setChecked(False)
    dialog.layer_checks["l"].setChecked(False)
    dialog.codec_combo.setCurrentIndex(dialog.codec_combo.findData("vp8"))
    assert save.isEnabled(), dialog.problems_label.text()
    save.click()
    qtbot.waitUntil(lambda: bool(window.settings.destinations), timeout=5000)  # tokens are written off the GUI thread

    [saved] = window.settings.destinations
    assert (saved.id, saved.name, saved.whip_url, saved.codec, saved.layers, saved.simulcast) == (
        draft.id, "Shop TV", "https://live.example.com/whip/abc", "vp8", ["h"], "off")
    assert get_secret(saved.token_ref) == secret
    text = settings_path().read_text(encoding="utf-8")
    assert secret not in text
    assert json.loads(text)["destinations"][0]["name"] == "Shop TV"
    # Go live publishes to it now (a new destination is ticked).
    assert saved.kind == "whip" and saved.is_enabled
    assert window.golive_widget.destinations_button.text().startswith("Shop TV")

    # Reopened, the dialog reads the token back (off the GUI thread) into the masked field.
    qtbot.waitUntil(lambda: window.destinations_dialog is None, timeout=5000)
    window.open_destinations()
    dialog = window.destinations_dialog
    qtbot.waitUntil(lambda: dialog.token_edit.isEnabled() and dialog.token_edit.text() == secret, timeout=5000)
    assert dialog.token_edit.echoMode() == dialog.token_edit.EchoMode.Password
    dialog.remove_destination()
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    qtbot.waitUntil(lambda: window.settings.destinations == [], timeout=5000)
    assert get_secret(saved.token_ref) is None
    assert window.golive_widget.destinations_button.text().startswith("Rehearsal (built-in)")


def test_elapsed_format():
    assert format_elapsed(0) == "00:00:00"
    assert format_elapsed(12 * 3600 + 34 * 60 + 5.9) == "12:34:05"


class _FakeCompositor:
    width, height, fps = 640, 360, 30.0


class _FakeStudio:
    compositor = _FakeCompositor()


class _ScriptedSession:
    """Stands in for LiveSession where a real network cannot be made to misbehave on cue."""

    def __init__(self, studio, url, token, *, layers, codec, encoder, simulcast, on_state, **_options):
        from studio.core.events import Signal

        self.url, self.layers, self.on_state = url, layers, on_state
        self.notices = Signal()
        self.is_stopped = False
        self.data = {"state": "connecting", "layers": [], "rtt_ms": None, "loss_fraction": None,
                     "available_bitrate_bps": None, "dropped_frames": 0, "encoder": None}

    def start(self):
        pass

    def stop(self):
        self.is_stopped = True

    def stats(self):
        return self.data


class _ScriptedReceiver:
    url = "http://127.0.0.1:1/whip"

    def __init__(self):
        self.is_stopped = False

    def start(self):
        return self

    def stop(self):
        self.is_stopped = True

    def stats(self):
        return {"layers": []}

    def last_frame(self, rid):
        return None


def _emit_from_network_thread(signal, **payload):
    import threading

    thread = threading.Thread(target=lambda: signal.emit(**payload), name="fake-network")
    thread.start()
    thread.join()


def test_states_reconnecting_limited_quality_and_failure(qtbot):
    from studio.settings import Settings
    from ui.golive import RECONNECTING, GoLiveController, GoLiveWidget
    from ui.health_dock import HealthDock

    controller = GoLiveController(_FakeStudio(), Settings(language="en"), session_factory=_ScriptedSession,
                                  receiver_factory=_ScriptedReceiver)
    widget = GoLiveWidget(controller)
    health = HealthDock(controller)
    notices = []
    controller.notice.connect(notices.append)
    for view in (widget, health):
        qtbot.addWidget(view)
    assert controller.go_live()
    qtbot.waitUntil(lambda: not controller.is_busy, timeout=5000)
    session, receiver = controller.session, controller.receiver
    assert session.url == receiver.url and [layer.rid for layer in session.layers] == ["h", "m", "l"]

    _emit_from_network_thread(session.on_state, state="live", failure=None)
    qtbot.waitUntil(lambda: controller.state == LIVE, timeout=2000)
    layer = {"fps": 30.0, "keyframes": 1}
    session.data = dict(session.data, state="live", rtt_ms=12.0, loss_fraction=0.0, layers=[
        dict(layer, rid="h", width=640, height=360, bitrate_bps=None, active=False),
        dict(layer, rid="m", width=320, height=180, bitrate_bps=300_000, active=True),
        dict(layer, rid="l", width=160, height=90, bitrate_bps=100_000, active=True),
    ])
    health.update_stats()
    assert health.verdict_label.text() == "Network is limiting quality: viewers get 180p"
    assert health.table.item(0, 0).text() == "h (paused)" and health.table.item(0, 3).text() == "unknown"
    assert health.estimate_label.text() == "unknown"  # never invented
    assert health.cpu_label.text() == "unknown"
    session.data["cpu_percent"] = 41.6
    health.update_stats()
    assert health.cpu_label.text() == "42 % of one core"
    session.data["layers"][0].update(bitrate_bps=900_000, active=True)
    health.update_stats()
    assert health.verdict_label.text() == "Healthy: viewers get 360p"

    _emit_from_network_thread(session.notices, code="layers", message="The server accepted only 2 of 3 layers.")
    qtbot.waitUntil(lambda: notices == ["The server accepted only 2 of 3 layers."], timeout=2000)

    _emit_from_network_thread(session.on_state, state="reconnecting", failure=None)
    qtbot.waitUntil(lambda: controller.state == RECONNECTING, timeout=2000)
    assert widget.button.text() == "Stop · Reconnecting…"
    assert health.verdict_label.text() == "Reconnecting: viewers see a frozen picture"

    # The attempt count and the next try (the publisher's stats while it backs off).
    session.data = dict(session.data, state="reconnecting", reconnect_attempt=3, next_retry_in_s=3.2,
                        last_failure_message="Cannot reach the WHIP server (connection refused)")
    widget.refresh()
    health.update_stats()
    assert widget.button.text() == "Stop · Reconnecting (attempt 3)…"
    assert widget.state_label.text() == "Connection lost, reconnecting to Rehearsal (built-in) (attempt 3, next try in 4 s)…"
    assert widget.button.toolTip() == "Last problem: Cannot reach the WHIP server (connection refused)"
    assert health.verdict_label.text() == "Reconnecting (attempt 3, next try in 4 s)…"
    session.data.update(reconnect_attempt=4, next_retry_in_s=None)  # the attempt is running
    widget.refresh()
    health.update_stats()
    assert widget.state_label.text().endswith("(attempt 4, trying now)…")
    assert health.verdict_label.text() == "Reconnecting (attempt 4, trying now)…"
    # The widget's own timer keeps the countdown moving without any state change.
    session.data.update(next_retry_in_s=9.0)
    qtbot.waitUntil(lambda: "next try in 9 s" in widget.state_label.text(), timeout=3000)

    _emit_from_network_thread(session.on_state, state="failed", failure="ICE failed: no route to the server")
    qtbot.waitUntil(lambda: controller.state == FAILED and not controller.is_busy, timeout=5000)
    assert widget.state_label.text() == "Failed: ICE failed: no route to the server"
    assert session.is_stopped and receiver.is_stopped
    assert controller.session is None and widget.button.text() == "Go live"
    controller.shutdown()


def test_every_show_keeps_its_stats_for_the_review(qtbot):
    from studio.outputs.show_stats import default_stats_dir, summarize
    from studio.settings import Settings
    from ui.golive import GoLiveController

    controller = GoLiveController(_FakeStudio(), Settings(language="en"), session_factory=_ScriptedSession,
                                  receiver_factory=_ScriptedReceiver)
    assert controller.go_live()
    qtbot.waitUntil(lambda: not controller.is_busy, timeout=5000)
    session = controller.session
    session.data = dict(session.data, state="live", t=1.0)
    qtbot.waitUntil(lambda: controller.show_stats is not None and controller.show_stats.lines >= 1, timeout=5000)
    path = controller.show_stats.path
    assert path.parent == default_stats_dir()
    controller.stop()
    qtbot.waitUntil(lambda: controller.session is None and not controller.is_busy, timeout=5000)
    assert controller.show_stats is None
    summary = summarize(path)
    assert summary["samples"] >= 2  # at least one while live and the last one after stopping
    controller.shutdown()
