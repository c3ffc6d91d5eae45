"""Monitor for every kind of input (issue #18 leftovers): a microphone and a test tone have the
strip's Monitor switch too, not only media files and playlists; monitoring never holds the mixer
up, even with the microphone's device missing; the switch is saved with the show (1366×768)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from studio.audio.monitor import MonitorState


def test_microphone_and_tone_strips_monitor_without_holding_the_mixer(window, qtbot):
    window.resize(1366, 768)
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert window.width() <= max(1366, screen.width()) and window.height() <= max(768, screen.height())
    dock, studio = window.mixer_dock, window.studio
    dock.tone_action.trigger()  # "+" → "Test tone"
    tone = studio.mixer.inputs[0]
    mic = dock.add_device("no-such-microphone", "Lapel mic")
    qtbot.waitUntil(lambda: tone.input_id in dock.strips and mic.input_id in dock.strips, timeout=3000)
    tone_strip, mic_strip = dock.strip_for(tone.input_id), dock.strip_for(mic.input_id)
    assert tone_strip.monitor_button is not None and mic_strip.monitor_button is not None
    qtbot.waitUntil(lambda: tone_strip.monitor_button.isVisibleTo(dock) and mic_strip.monitor_button.isVisibleTo(dock), timeout=3000)
    assert not dock.scroll.horizontalScrollBar().isVisible()  # the extra buttons fit the dock
    assert not tone_strip.monitor_button.isChecked() and not mic.monitor_tap.is_monitored  # off by default

    monitor = studio.audio_inputs.monitor
    qtbot.mouseClick(mic_strip.monitor_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tone_strip.monitor_button, Qt.MouseButton.LeftButton)
    assert mic.monitor_tap.is_monitored and tone.monitor_tap.is_monitored
    assert sorted(monitor.monitored_ids) == sorted([mic.input_id, tone.input_id])
    qtbot.waitUntil(lambda: monitor.state in (MonitorState.ACTIVE, MonitorState.NO_DEVICE), timeout=5000)
    if monitor.state is MonitorState.NO_DEVICE:  # no output here: said in words on the button
        qtbot.waitUntil(lambda: "monitoring" in tone_strip.monitor_button.toolTip(), timeout=2000)

    # The mixer goes on mixing with both monitored and the microphone missing: blocks keep coming
    # and the tone's meter moves.
    subscription = studio.mixer.subscribe(max_blocks=100)
    try:
        received = []
        qtbot.waitUntil(lambda: received.extend(iter(lambda: subscription.get(timeout=0), None)) or len(received) >= 25, timeout=5000)
    finally:
        studio.mixer.unsubscribe(subscription)
    qtbot.waitUntil(lambda: tone_strip.meter.peak_dbfs > -22.0, timeout=3000)
    qtbot.waitUntil(lambda: mic_strip.state_label.text() == "no device", timeout=5000)

    saved = {entry.id: entry.settings.get("is_monitored") for entry in studio.snapshot_collection().audio_inputs}
    assert saved == {tone.input_id: True, mic.input_id: True}
    qtbot.mouseClick(mic_strip.monitor_button, Qt.MouseButton.LeftButton)
    assert not mic.monitor_tap.is_monitored and monitor.monitored_ids == [tone.input_id]
