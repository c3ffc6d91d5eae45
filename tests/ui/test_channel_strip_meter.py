"""A channel strip's meter between readings: the mixer reports levels every 40 ms while only the
meters look, so a tick of the 30 fps meter timer without a reading is not silence."""
from __future__ import annotations

import time

from studio.audio.inputs import ToneInput
from studio.audio.mixer import IDLE_WAKE_MS
from ui.channel_strip import READING_GAP_S, ChannelStrip


def test_a_tick_without_a_reading_holds_the_bars_until_the_readings_stop(window, qtbot):
    strip = ChannelStrip(ToneInput("tone", "Tone"), window.mixer_dock)
    qtbot.addWidget(strip)
    assert READING_GAP_S * 1000 > 2 * IDLE_WAKE_MS  # a late reading is still not a gap
    strip.store.update(peak_dbfs=-12.0, rms_dbfs=-15.0)
    strip.refresh_meter()
    assert strip.meter.peak_dbfs == -12.0
    strip.refresh_meter()  # the next tick, before the next reading: the bars stay
    assert strip.meter.peak_dbfs == -12.0 and strip.meter.rms_dbfs == -15.0
    time.sleep(READING_GAP_S + 0.02)
    strip.refresh_meter()  # no reading for longer than the gap: the bars fall
    assert strip.meter.peak_dbfs < -12.0 and strip.meter.rms_dbfs < -15.0
    strip.detach()
