"""The mixer dock drives the real AudioMixer: meters follow the model, mute silences."""
from __future__ import annotations

from PySide6.QtCore import Qt

from studio.audio.dsp import DB_FLOOR


def test_mute_a_tone_input_silences_meter_and_mixer_output(window, qtbot):
    dock = window.mixer_dock
    mixer = window.studio.mixer
    assert mixer.is_running
    assert dock.empty_label.isVisibleTo(dock)
    dock.tone_action.trigger()  # "+" → "Test tone"
    tone = mixer.inputs[0]
    qtbot.waitUntil(lambda: tone.input_id in dock.strips, timeout=2000)
    strip = dock.strip_for(tone.input_id)
    assert strip.name_label.text() == "Test tone"
    assert not dock.empty_label.isVisibleTo(dock)

    # The meter shows the −20 dBFS tone (read through the level store on the GUI timer).
    qtbot.waitUntil(lambda: -21.0 < strip.meter.peak_dbfs < -19.0, timeout=3000)
    qtbot.waitUntil(lambda: mixer.last_levels.peak_dbfs > -22.0, timeout=3000)

    qtbot.mouseClick(strip.mute_button, Qt.MouseButton.LeftButton)
    assert tone.is_muted
    # The model goes silent (mute ramps over one block), and so do the meters.
    qtbot.waitUntil(lambda: tone.last_levels.peak_dbfs <= DB_FLOOR + 1 and mixer.last_levels.peak_dbfs <= DB_FLOOR + 1, timeout=3000)
    qtbot.waitUntil(lambda: strip.meter.peak_dbfs <= -60.0 and dock.master_strip.meter.peak_dbfs <= -60.0, timeout=3000)

    qtbot.mouseClick(strip.mute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: strip.meter.peak_dbfs > -22.0, timeout=3000)


def test_fader_and_settings_reach_the_input(window, qtbot):
    dock = window.mixer_dock
    tone = dock.add_tone()
    qtbot.waitUntil(lambda: tone.input_id in dock.strips, timeout=2000)
    strip = dock.strip_for(tone.input_id)
    strip.fader.setValue(-60)  # −6.0 dB in tenths
    assert tone.gain_db == -6.0
    assert strip.gain_label.text() == "-6.0 dB"
    qtbot.waitUntil(lambda: -27.0 < strip.meter.peak_dbfs < -25.0, timeout=3000)

    # A change made elsewhere (e.g. the control API) shows in the strip.
    tone.is_muted = True
    qtbot.waitUntil(lambda: strip.mute_button.isChecked(), timeout=2000)
    tone.is_muted = False

    dialog = strip.open_settings()
    dialog.sync_spin.setValue(120)
    dialog.gate_box.setChecked(True)
    dialog.gate_threshold.setValue(-30.0)
    dialog.limiter_box.setChecked(True)
    dialog.limiter_ceiling.setValue(-3.0)
    dialog.accept()
    assert tone.sync_offset_ms == 120.0
    assert tone.gate.is_enabled and tone.gate.threshold_db == -30.0
    assert tone.limiter.is_enabled and tone.limiter.ceiling_dbfs == -3.0

    dock.remove_input(tone)
    qtbot.waitUntil(lambda: tone.input_id not in dock.strips, timeout=2000)
    assert dock.empty_label.isVisibleTo(dock)


def test_missing_microphone_shows_no_device(window, qtbot):
    dock = window.mixer_dock
    mic = dock.add_device("no-such-microphone", "Lapel mic")
    qtbot.waitUntil(lambda: mic.input_id in dock.strips, timeout=2000)
    strip = dock.strip_for(mic.input_id)
    assert strip.name_label.text() == "Lapel mic"
    qtbot.waitUntil(lambda: strip.state_label.text() == "no device", timeout=5000)
    assert "no-such-microphone" in strip.state_label.toolTip()
