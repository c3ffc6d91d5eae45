"""The mixer thread with test tones: block size, timestamps, strip effects, subscribers."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from studio.audio.dsp import DB_FLOOR, measure_levels
from studio.audio.inputs import InputState, ToneInput
from studio.audio.mixer import AudioBlock, AudioMixer, AudioSubscription
from tests.helpers import wait_until


@pytest.fixture
def mixer():
    mixer = AudioMixer(sample_rate=48_000, block_ms=20)
    yield mixer
    mixer.stop()


def next_blocks(subscription: AudioSubscription, count: int, timeout_s: float = 2.0) -> list[AudioBlock]:
    blocks = []
    for _ in range(count):
        block = subscription.get(timeout=timeout_s)
        assert block is not None, "mixer delivered no block in time"
        blocks.append(block)
    return blocks


def test_block_is_960_frames_at_20_ms_with_continuous_pts(mixer):
    assert mixer.frames_per_block == 960
    mixer.add_input(ToneInput("tone", "Tone", level_dbfs=-12.0))
    subscription = mixer.subscribe()
    mixer.start()
    blocks = next_blocks(subscription, 10)
    for block in blocks:
        assert block.samples.shape == (960, 2) and block.samples.dtype == np.float32
        assert not block.samples.flags.writeable  # shared by subscribers
    assert blocks[0].pts_samples == 0
    assert [b.pts_samples for b in blocks] == [960 * i for i in range(10)]
    assert all(b.capture_ns - a.capture_ns == 20_000_000 for a, b in zip(blocks, blocks[1:]))
    assert blocks[-1].duration_ns == 20_000_000
    # The tone arrives intact through the default chain (master limiter at -1 dBFS is idle).
    levels = measure_levels(blocks[-1].samples)
    assert levels.peak_dbfs == pytest.approx(-12.0, abs=0.1)
    # Samples are continuous across blocks: one sine, no seams.
    joined = np.concatenate([b.samples[:, 0] for b in blocks])
    expected = 10 ** (-12 / 20) * np.sin(2 * np.pi * 1000 * np.arange(joined.size) / 48_000)
    np.testing.assert_allclose(joined, expected, atol=1e-5)


def test_mixer_runs_in_real_time_and_meters_at_least_20_times_a_second(mixer):
    tone = mixer.add_input(ToneInput("tone", "Tone"))
    input_readings, master_readings = [], []
    tone.levels.connect(lambda **kw: input_readings.append(kw))
    mixer.levels.connect(lambda **kw: master_readings.append(kw))
    mixer.start()
    time.sleep(0.5)
    mixer.stop()
    # Nobody takes blocks: the thread wakes every IDLE_WAKE_MS (40 ms) and mixes the two blocks due
    # as one, so the meters get 25 readings a second while the mix keeps pace with the clock.
    assert 10 <= len(input_readings) <= 15
    assert 20 <= mixer.blocks_mixed <= 30  # 25 blocks in 0.5 s
    assert len(master_readings) == len(input_readings)
    assert master_readings[-1]["peak_dbfs"] == pytest.approx(-12.0, abs=0.1)


def test_meters_follow_every_block_while_someone_takes_blocks(mixer):
    tone = mixer.add_input(ToneInput("tone", "Tone"))
    readings = []
    tone.levels.connect(lambda **kw: readings.append(kw))
    mixer.subscribe()
    mixer.start()
    time.sleep(0.5)
    mixer.stop()
    assert 20 <= len(readings) <= 30  # one a block: 25 in 0.5 s
    assert abs(len(readings) - mixer.blocks_mixed) <= 1


def test_a_monitored_input_is_mixed_block_by_block(mixer):
    tone = mixer.add_input(ToneInput("tone", "Tone"))
    tone.monitor_tap.is_monitored = True  # the speakers want each block as it comes
    readings = []
    tone.levels.connect(lambda **kw: readings.append(kw))
    mixer.start()
    time.sleep(0.5)
    mixer.stop()
    assert 20 <= len(readings) <= 30


def test_a_subscriber_added_while_only_meters_look_gets_every_block_in_order(mixer):
    mixer.add_input(ToneInput("tone", "Tone", level_dbfs=-12.0))
    mixer.start()
    assert wait_until(lambda: mixer.blocks_mixed >= 6, timeout_s=2.0)  # a few double blocks first
    subscription = mixer.subscribe()
    blocks = next_blocks(subscription, 12)
    assert all(block.samples.shape == (960, 2) for block in blocks)
    first = blocks[0].pts_samples
    assert first > 0 and first % 960 == 0
    assert [b.pts_samples for b in blocks] == [first + 960 * i for i in range(12)]
    assert all(b.capture_ns - a.capture_ns == 20_000_000 for a, b in zip(blocks, blocks[1:]))
    # The double blocks before kept the tone's phase: one sine across the hand-over.
    joined = np.concatenate([b.samples[:, 0] for b in blocks])
    expected = 10 ** (-12 / 20) * np.sin(2 * np.pi * 1000 * (first + np.arange(joined.size)) / 48_000)
    np.testing.assert_allclose(joined, expected, atol=1e-4)


def test_mute_gives_silence(mixer):
    tone = mixer.add_input(ToneInput("tone", "Tone"))
    subscription = mixer.subscribe()
    mixer.start()
    next_blocks(subscription, 2)
    tone.is_muted = True
    next_blocks(subscription, 2)  # the fade-out block passes
    for block in next_blocks(subscription, 5):
        assert not block.samples.any()
    assert mixer.last_levels.peak_dbfs == DB_FLOOR
    tone.is_muted = False
    next_blocks(subscription, 2)
    assert measure_levels(next_blocks(subscription, 1)[0].samples).peak_dbfs == pytest.approx(-12.0, abs=0.1)


def test_gain_changes_level(mixer):
    tone = mixer.add_input(ToneInput("tone", "Tone", level_dbfs=-12.0))
    subscription = mixer.subscribe()
    mixer.start()
    next_blocks(subscription, 1)
    tone.gain_db = -10.0
    next_blocks(subscription, 2)
    assert measure_levels(next_blocks(subscription, 1)[0].samples).peak_dbfs == pytest.approx(-22.0, abs=0.1)
    mixer.master_gain_db = -6.0
    next_blocks(subscription, 2)
    assert measure_levels(next_blocks(subscription, 1)[0].samples).peak_dbfs == pytest.approx(-28.0, abs=0.1)


def test_inputs_sum_and_master_limiter_holds_ceiling(mixer):
    mixer.add_input(ToneInput("a", "A", level_dbfs=-3.0))
    mixer.add_input(ToneInput("b", "B", level_dbfs=-3.0))  # in phase: sums to +3 dBFS
    subscription = mixer.subscribe()
    mixer.start()
    for block in next_blocks(subscription, 10):
        assert np.abs(block.samples).max() <= 10 ** (-1 / 20)
    mixer.update_master_limiter(is_enabled=False)
    next_blocks(subscription, 1)
    block = next_blocks(subscription, 1)[0]
    assert np.abs(block.samples).max() == 1.0  # unlimited: clipped to full scale, never beyond


def test_subscription_is_bounded_and_counts_drops(mixer):
    mixer.add_input(ToneInput("tone", "Tone"))
    slow = mixer.subscribe(max_blocks=3)
    fast = mixer.subscribe(max_blocks=50)
    mixer.start()
    blocks = next_blocks(fast, 10)
    assert slow.pending_blocks == 3
    assert slow.dropped_blocks >= 6
    kept = next_blocks(slow, 3)
    assert [b.pts_samples for b in kept] == [kept[0].pts_samples + 960 * i for i in range(3)]  # the newest
    assert kept[0].pts_samples >= blocks[-1].pts_samples - 2 * 960
    mixer.unsubscribe(slow)
    assert slow.is_closed and slow.get(timeout=0.01) is None


def test_subscription_get_times_out_and_close_wakes_a_waiter():
    subscription = AudioSubscription(max_blocks=2)
    started = time.monotonic()
    assert subscription.get(timeout=0.05) is None
    assert time.monotonic() - started >= 0.04
    result = []
    waiter = threading.Thread(target=lambda: result.append(subscription.get()))
    waiter.start()
    subscription.close()
    waiter.join(1.0)
    assert result == [None]
    with pytest.raises(ValueError):
        AudioSubscription(max_blocks=0)


def test_add_and_remove_inputs_while_running_start_and_stop_them(mixer):
    events = []
    mixer.changed.connect(lambda **kw: events.append((kw["change"], kw["input"] and kw["input"].input_id, kw["param"])))
    mixer.start()
    tone = mixer.add_input(ToneInput("tone", "Tone"))
    assert tone.state is InputState.ACTIVE
    with pytest.raises(ValueError):
        mixer.add_input(ToneInput("tone", "Duplicate"))
    tone.gain_db = -3.0
    mixer.master_gain_db = -1.0
    assert mixer.get_input("tone") is tone and mixer.inputs == [tone]
    assert mixer.remove_input("tone") is tone
    assert tone.state is InputState.STOPPED and mixer.inputs == []
    assert mixer.remove_input("tone") is None
    tone.gain_db = 0.0  # removed: no longer forwarded
    assert events == [
        ("added", "tone", None),
        ("param", "tone", "gain_db"),
        ("param", None, "master_gain_db"),
        ("removed", "tone", None),
    ]


def test_stop_stops_inputs_and_restart_begins_a_new_timeline(mixer):
    tone = mixer.add_input(ToneInput("tone", "Tone"))
    subscription = mixer.subscribe()
    mixer.start()
    next_blocks(subscription, 3)
    mixer.stop()
    assert not mixer.is_running and tone.state is InputState.STOPPED
    while subscription.get(timeout=0) is not None:
        pass
    mixer.start()
    assert next_blocks(subscription, 1)[0].pts_samples == 0
    assert tone.state is InputState.ACTIVE


def test_gui_thread_changes_while_mixing_are_safe(mixer):
    tone = mixer.add_input(ToneInput("tone", "Tone"))
    subscription = mixer.subscribe(max_blocks=100)
    mixer.start()
    deadline = time.monotonic() + 0.3
    step = 0
    while time.monotonic() < deadline:
        tone.gain_db = -(step % 20)
        tone.is_muted = step % 7 == 0
        tone.update_gate(is_enabled=step % 2 == 0, threshold_db=-60)
        tone.sync_offset_ms = step % 50
        step += 1
    assert wait_until(lambda: subscription.pending_blocks >= 10, 2.0)
    for block in next_blocks(subscription, 10):
        assert np.isfinite(block.samples).all() and np.abs(block.samples).max() <= 1.0


def test_mismatched_sample_rate_is_refused(mixer):
    with pytest.raises(ValueError):
        mixer.add_input(ToneInput("tone", "Tone", sample_rate=44_100))
    with pytest.raises(ValueError):
        AudioMixer(sample_rate=44_100, block_ms=1.5)


class BrokenInput(ToneInput):
    """An input whose device layer throws on every read."""

    def read_block(self, frames: int) -> np.ndarray:
        raise RuntimeError("driver exploded")


def test_a_failing_input_gives_silence_and_the_mix_goes_on(mixer, caplog):
    mixer.add_input(BrokenInput("broken", "Broken"))
    mixer.add_input(ToneInput("tone", "Tone", level_dbfs=-12.0))
    subscription = mixer.subscribe()
    mixer.start()
    blocks = next_blocks(subscription, 5)
    assert [b.pts_samples for b in blocks] == [960 * i for i in range(5)]
    assert measure_levels(blocks[-1].samples).peak_dbfs == pytest.approx(-12.0, abs=0.1)
    assert mixer.get_input("broken").last_levels.peak_dbfs == DB_FLOOR
    assert "driver exploded" in caplog.text
    broken = mixer.get_input("broken")
    assert broken.read_errors >= 5
    assert caplog.text.count("failed to read") == 1  # one traceback, not fifty a second
