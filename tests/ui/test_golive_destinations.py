"""Go live everywhere at once, from the app's Go-live dialog, against a real RTMP ingest (nginx with
the RTMP module, keys checked like a platform; ``bench.testbed.rtmp_server``): a horizontal and a
vertical destination live together, each with its own health row; one stopped while the other
goes on; a refused key failing one destination in words while the other stays live.  Stream
keys never show in any widget."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QTableWidget, QWidget

from bench.testbed.rtmp_server import SETUP_HINT, RtmpServer, missing_parts
from studio.secrets_store import set_secret
from studio.settings import Destination
from ui.golive import IDLE, LIVE

pytestmark = pytest.mark.skipif(bool(missing_parts()), reason=f"RTMP test bed missing {missing_parts()}: {SETUP_HINT}")

LIVE_TIMEOUT_MS = 30_000
WIDE_KEY = "wide-KEY-8f3a1c"
TALL_KEY = "tall-KEY-27be90"
WRONG_KEY = "wrong-KEY-55d0e4"


@pytest.fixture
def small_vertical(settings):
    # A small 9:16 canvas keeps two encoders cheap on two cores.
    settings.video = settings.video.model_copy(update={"vertical_width": 180, "vertical_height": 320})
    return settings


def _rtmp_destination(server: RtmpServer, id_: str, name: str, canvas: str, platform: str) -> Destination:
    base = server.url("x").rsplit("/", 1)[0]  # rtmp://127.0.0.1:PORT/live, the key goes in the secrets store
    return Destination(id=id_, name=name, kind="rtmp", platform=platform, canvas=canvas, rtmp_server=base,
                       token_ref=f"destination:{id_}")


def _set_up(window, server: RtmpServer, tall_key: str) -> None:
    window.settings.destinations = [
        _rtmp_destination(server, "wide", "Shop YouTube", "horizontal", "youtube"),
        _rtmp_destination(server, "tall", "Shop TikTok", "vertical", "tiktok"),
    ]
    set_secret("destination:wide", WIDE_KEY)
    set_secret("destination:tall", tall_key)
    window.golive_widget.reload_destinations()


def _open_dialog(qtbot, window):
    assert window.golive_widget.destinations_button.text().startswith("2 destinations")
    qtbot.mouseClick(window.golive_widget.destinations_button, Qt.MouseButton.LeftButton)
    dialog = window.golive_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def _health_row(window, name: str) -> dict[str, str]:
    table = window.health_dock.outputs_table
    for row in range(table.rowCount()):
        if table.item(row, 0).text() == name:
            headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
            return {header: table.item(row, c).text() for c, header in enumerate(headers)}
    return {}


def _entry(controller, output_id: str) -> dict:
    return next((e for e in controller.outputs() if e["id"] == output_id), {})


def _every_text(*roots: QWidget) -> list[str]:
    """Every piece of text a person can see or hover over in these windows (the key field aside)."""
    texts = []
    for root in roots:
        for widget in [root, *root.findChildren(QWidget)]:
            texts.append(widget.toolTip())
            if isinstance(widget, (QLabel, QAbstractButton)):
                texts.append(widget.text())
            elif isinstance(widget, QLineEdit) and widget.echoMode() == QLineEdit.EchoMode.Normal:
                texts.append(widget.text())
            elif isinstance(widget, QComboBox):
                texts.extend(widget.itemText(i) for i in range(widget.count()))
            elif isinstance(widget, QTableWidget):
                for row in range(widget.rowCount()):
                    for column in range(widget.columnCount()):
                        item = widget.item(row, column)
                        if item is not None:
                            texts.extend((item.text(), item.toolTip()))
        texts.append(root.windowTitle())
    return texts


def _assert_no_key_shows(window, dialog) -> None:
    shown = "\n".join(_every_text(window, dialog))
    for key in (WIDE_KEY, TALL_KEY, WRONG_KEY):
        assert key not in shown


def test_two_destinations_on_two_canvases_live_at_once_then_one_stopped_while_the_other_goes_on(window, qtbot, small_vertical):
    controller = window.golive
    with RtmpServer(keys=[WIDE_KEY, TALL_KEY]) as server:
        _set_up(window, server, TALL_KEY)
        dialog = _open_dialog(qtbot, window)
        # Before the show: both ticked, each on its canvas (TikTok's preset is vertical).
        assert dialog.enabled_check("Shop YouTube").isChecked() and dialog.enabled_check("Shop TikTok").isChecked()
        assert dialog.canvas_combo("Shop YouTube").currentData() == "horizontal"
        assert dialog.canvas_combo("Shop TikTok").currentData() == "vertical"
        assert "9:16" in dialog.hint_label.text()

        qtbot.mouseClick(dialog.start_all_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.state_of("Shop YouTube") == "Live" and dialog.state_of("Shop TikTok") == "Live",
                        timeout=LIVE_TIMEOUT_MS)
        assert controller.state == LIVE and controller.receiver is None  # RTMP only: no rehearsal receiver
        assert dialog.status_label.text() == "Live on 2 of 2 destinations"
        # The Go-live widget follows on its own refresh (one CI run read "1 of 2" here a moment early).
        qtbot.waitUntil(lambda: window.golive_widget.state_label.text() == "Live on 2 of 2 destinations", timeout=5_000)
        assert window.golive_widget.button.text().startswith("Stop · Live")

        # The vertical canvas is on: its preview shows beside the program.
        qtbot.waitUntil(lambda: window.canvas_previews.is_vertical_shown and window.canvas_previews.vertical.frames_shown > 0,
                        timeout=10_000)
        image = window.canvas_previews.vertical.image  # scaled to the widget by the engine: the 9:16 shape
        assert abs(image.width() / image.height() - 180 / 320) < 0.02 and image.height() <= 320, image.size()

        # Per-destination health, in the dialog and in the health dock.
        def measured(output_id: str) -> bool:
            entry = _entry(controller, output_id)
            return (entry.get("bitrate_bps") or 0) > 0 and (entry.get("fps") or 0) > 5

        qtbot.waitUntil(lambda: measured("wide") and measured("tall"), timeout=10_000)
        dialog.refresh()
        assert dialog.table.item(dialog.row_of("Shop TikTok"), 5).text().endswith("bit/s")
        window.health_dock.update_stats()
        wide, tall = _health_row(window, "Shop YouTube"), _health_row(window, "Shop TikTok")
        assert wide["State"] == "Live" and wide["Canvas"] == "Horizontal 16:9"
        assert tall["State"] == "Live" and tall["Canvas"] == "Vertical 9:16"
        assert tall["Bitrate"].endswith("bit/s") and float(tall["FPS"]) > 5 and tall["Reconnects"] == "0"
        # What a viewer of each platform gets: the right picture on each.
        report = server.pull(TALL_KEY, duration_s=1.0)
        assert (report.width, report.height) == (180, 320)
        report = server.pull(WIDE_KEY, duration_s=1.0)
        assert (report.width, report.height) == (640, 360)

        # Stop the horizontal one from its row: the vertical one goes on, its stats still flowing.
        button = dialog.action_button("Shop YouTube")
        assert button.text() == "Stop"
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert dialog.action_button("Shop YouTube").text() == "Working…" and not button.isEnabled()
        qtbot.waitUntil(lambda: dialog.state_of("Shop YouTube") == "Stopped"
                        and dialog.action_button("Shop YouTube").text() == "Start", timeout=15_000)
        assert dialog.state_of("Shop TikTok") == "Live"
        qtbot.waitUntil(lambda: controller.state == LIVE, timeout=5000)
        assert dialog.status_label.text() == "Live on 1 of 2 destinations"
        frames_before = _entry(controller, "tall").get("fps")
        assert frames_before is not None
        qtbot.wait(1500)
        window.health_dock.update_stats()
        assert _health_row(window, "Shop TikTok")["State"] == "Live"
        assert _health_row(window, "Shop YouTube")["State"] == "Stopped"
        assert (_entry(controller, "tall").get("bitrate_bps") or 0) > 0
        assert server.pull(TALL_KEY, duration_s=1.0).decoded_frames > 0
        _assert_no_key_shows(window, dialog)

        # Start it again while live, then stop everything.
        qtbot.mouseClick(dialog.action_button("Shop YouTube"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.state_of("Shop YouTube") == "Live", timeout=LIVE_TIMEOUT_MS)
        qtbot.mouseClick(dialog.stop_all_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: controller.state == IDLE and not controller.is_busy, timeout=20_000)
        assert dialog.status_label.text() == "Not live"
        assert dialog.state_of("Shop YouTube") == "Goes live"
        # The show turned the vertical canvas on for itself, and off again.
        qtbot.waitUntil(lambda: not window.canvas_previews.is_vertical_shown, timeout=5000)


def test_a_refused_key_fails_its_destination_in_words_while_the_other_stays_live(window, qtbot, small_vertical):
    controller = window.golive
    with RtmpServer(keys=[WIDE_KEY, TALL_KEY]) as server:
        _set_up(window, server, WRONG_KEY)
        dialog = _open_dialog(qtbot, window)
        qtbot.mouseClick(dialog.start_all_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.state_of("Shop TikTok").startswith("Failed: "), timeout=LIVE_TIMEOUT_MS)
        qtbot.waitUntil(lambda: dialog.state_of("Shop YouTube") == "Live", timeout=LIVE_TIMEOUT_MS)
        failure = dialog.state_of("Shop TikTok")
        assert "refused" in failure and "Traceback" not in failure
        # The dialog reads the destinations' stats on a timer; the show's state follows as a queued event.
        qtbot.waitUntil(lambda: controller.state == LIVE, timeout=5000)
        assert "Shop TikTok failed" in window.golive_widget.state_label.text()
        window.health_dock.update_stats()
        assert _health_row(window, "Shop TikTok")["State"] == failure
        assert _health_row(window, "Shop YouTube")["State"] == "Live"
        qtbot.wait(1000)
        assert dialog.state_of("Shop YouTube") == "Live"
        _assert_no_key_shows(window, dialog)
        qtbot.mouseClick(dialog.stop_all_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: controller.state == IDLE and not controller.is_busy, timeout=20_000)


def test_the_dialog_picks_destinations_and_canvases_and_refuses_two_whip_in_words(window, qtbot):
    settings = window.settings
    settings.destinations = [
        Destination(id="a", name="Room A", whip_url="http://127.0.0.1:9/whip/a"),
        Destination(id="b", name="Room B", whip_url="http://127.0.0.1:9/whip/b"),
        Destination(id="c", name="Shop Kick", kind="rtmp", platform="kick", rtmp_server="rtmp://127.0.0.1:9/app",
                    is_enabled=False),
    ]
    window.golive_widget.reload_destinations()
    window.open_golive_dialog()
    dialog = window.golive_dialog
    assert dialog.state_of("Shop Kick") == "Not in this show"
    assert not dialog.canvas_combo("Room A").isEnabled()  # WHIP takes the horizontal canvas
    assert "Only one WHIP destination" in dialog.hint_label.text()
    dialog.enabled_check("Shop Kick").setChecked(True)
    combo = dialog.canvas_combo("Shop Kick")
    combo.setCurrentIndex(combo.findData("vertical"))
    combo.activated.emit(combo.currentIndex())
    kick = next(d for d in settings.destinations if d.id == "c")
    assert kick.is_enabled and kick.canvas == "vertical"
    assert window.golive_widget.destinations_button.text().startswith("3 destinations")
    # Going live with two WHIP destinations ticked is refused up front, in words.
    qtbot.mouseClick(dialog.start_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.golive.state == "failed" and not window.golive.is_busy, timeout=10_000)
    assert dialog.status_label.text().startswith("Not live: Only one WHIP destination can go live at a time")
    dialog.enabled_check("Room B").setChecked(False)
    assert not next(d for d in settings.destinations if d.id == "b").is_enabled
    assert dialog.hint_label.text() == "Vertical destinations get the 9:16 canvas; it is made when the show starts."
