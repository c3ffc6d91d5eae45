"""The click track (``ClickInput``): a burst at every whole wall-clock second, placed where the
mixer's capture stamp says that second is — the audio half of the A/V sync measurement."""
from __future__ import annotations

import random

import numpy as np
import pytest

from bench.testbed.av_sync import click_onsets
from studio.audio import AudioMixer, create_input
from studio.audio.inputs import INPUT_KINDS, ClickInput
from studio.core.clock import NS_PER_MS, NS_PER_S, media_to_wall_ms

SAMPLE_RATE = 48_000
BLOCK = 960  # the mixer's 20 ms
BLOCK_NS = BLOCK * NS_PER_S // SAMPLE_RATE


class FakeClocks:
    """A media clock the test moves, and a wall clock ``offset_ns`` ahead of it."""

    def __init__(self, media_ns: int, offset_ns: int) -> None:
        self.media = media_ns
        self.offset_ns = offset_ns

    def media_ns(self) -> int:
        return self.media

    def wall_ns(self) -> int:
        return self.media + self.offset_ns


def read_like_the_mixer(click: ClickInput, clocks: FakeClocks, grid_ns: int, blocks: int,
                        lateness_ns) -> np.ndarray:
    """Read ``blocks`` blocks as the mixer does: block k (stamped grid + k·block) is read at
    its end plus a wake-up lateness (never early)."""
    out = []
    for k in range(blocks):
        clocks.media = grid_ns + (k + 1) * BLOCK_NS + lateness_ns(k)
        out.append(click.read_block(BLOCK)[:, 0])
    return np.concatenate(out)


def onset_errors_ns(mono: np.ndarray, grid_ns: int, offset_ns: int) -> list[int]:
    """For each click: its onset's wall time (by the mixer's stamp) minus the nearest whole second."""
    errors = []
    for index in click_onsets(mono, SAMPLE_RATE):
        wall_ns = grid_ns + index * NS_PER_S // SAMPLE_RATE + offset_ns
        errors.append(wall_ns - round(wall_ns / NS_PER_S) * NS_PER_S)
    return errors


def test_is_a_registered_input_kind_with_its_settings():
    assert INPUT_KINDS["click"] is ClickInput
    click = create_input("click", "click", "Click", burst_ms=30, level_dbfs=-3, gain_db=-2)
    assert isinstance(click, ClickInput)
    described = click.describe()
    assert described["kind"] == "click" and described["burst_ms"] == 30.0 and described["level_dbfs"] == -3.0
    assert described["frequency_hz"] == 1000.0 and described["gain_db"] == -2.0


def test_silent_until_started():
    click = ClickInput("c", "Click")
    assert not click.read_block(BLOCK).any()


@pytest.mark.parametrize("phase_ms", [0.0, 7.3, 12.5, 19.99])
def test_onset_lands_on_the_wall_second_under_the_mixer_stamp(phase_ms):
    """The grid (the mixer's stamps) is only known through read times that come late by a
    random wake-up delay; after the first second the estimate has converged to the least
    lateness seen (here 30 µs), so the onset sits within a sample of the whole second."""
    rng = random.Random(1)
    grid_ns = 5_000 * NS_PER_S + 123_456
    # Wall second boundaries fall ``phase_ms`` into some block of the grid.
    offset_ns = 1_700_000_000 * NS_PER_S - grid_ns - int(0.5 * NS_PER_S) + int(phase_ms * NS_PER_MS)
    clocks = FakeClocks(grid_ns, offset_ns)
    click = ClickInput("c", "Click", media_ns=clocks.media_ns, wall_ns=clocks.wall_ns)
    click.start()
    # The first read is very late (2 ms); later ones late by 30 µs … 3 ms, now and then 40 ms.
    lateness = [2_000_000] + [rng.choice([30_000, rng.randint(30_000, 3_000_000), 40_000_000])
                              for _ in range(299)]
    mono = read_like_the_mixer(click, clocks, grid_ns, 300, lambda k: lateness[k])
    errors = onset_errors_ns(mono, grid_ns, offset_ns)
    assert len(errors) == 6, errors  # 6 s of audio, a click each second
    # The first click may carry the first read's lateness; once converged: within a sample.
    assert all(abs(error) <= 2_000_000 + NS_PER_S // SAMPLE_RATE for error in errors[:1]), errors
    assert all(abs(error) <= 30_000 + NS_PER_S // SAMPLE_RATE for error in errors[1:]), errors


def test_burst_shape_across_block_boundaries():
    """A 20 ms burst of 1 kHz at phase 0 from the second on, silence elsewhere, even when
    the second falls in the middle of a block (the burst spans two blocks)."""
    grid_ns = 10 * NS_PER_S
    offset_ns = -grid_ns + 3 * NS_PER_S - 10 * NS_PER_MS  # the second falls half-way into block 1
    clocks = FakeClocks(grid_ns, offset_ns)
    click = ClickInput("c", "Click", level_dbfs=-6.0, media_ns=clocks.media_ns, wall_ns=clocks.wall_ns)
    click.start()
    mono = read_like_the_mixer(click, clocks, grid_ns, 5, lambda k: 0)
    onset = 480  # 10 ms into the reads
    burst = 960  # 20 ms
    assert not mono[:onset].any() and not mono[onset + burst:].any()
    expected = 10 ** (-6 / 20) * np.sin(2 * np.pi * 1000.0 * np.arange(burst) / SAMPLE_RATE)
    np.testing.assert_allclose(mono[onset:onset + burst], expected, atol=1e-5)
    # The detector hears it once a quarter of the peak is reached: 2 samples (0.04 ms) in.
    assert click_onsets(mono, SAMPLE_RATE) == [onset + 2]


def test_follows_blocks_the_mixer_skipped():
    """More than 5 blocks late, the mixer skips blocks (their time becomes a gap in its pts)
    that the input never read; the sliding grid window picks up the new grid within a second."""
    grid_ns = 100 * NS_PER_S
    offset_ns = -grid_ns + 200 * NS_PER_S + 300 * NS_PER_MS
    clocks = FakeClocks(grid_ns, offset_ns)
    click = ClickInput("c", "Click", media_ns=clocks.media_ns, wall_ns=clocks.wall_ns)
    click.start()
    read_like_the_mixer(click, clocks, grid_ns, 20, lambda k: 50_000)
    # The mixer skips 10 blocks: from now on our block k is the mixer's block k + 10.
    shifted_grid_ns = grid_ns + 10 * BLOCK_NS
    pieces = []
    for k in range(20, 20 + 250):
        clocks.media = shifted_grid_ns + (k + 1) * BLOCK_NS + 50_000
        pieces.append(click.read_block(BLOCK)[:, 0])
    mono = np.concatenate(pieces)
    errors = onset_errors_ns(mono, shifted_grid_ns + 20 * BLOCK_NS, offset_ns)
    assert len(errors) == 5, errors
    assert all(abs(error) <= 50_000 + NS_PER_S // SAMPLE_RATE for error in errors[1:]), errors


def test_through_the_real_mixer_the_onsets_are_at_whole_wall_seconds():
    """Real clocks and the real mixer thread: every block's ``capture_ns`` (the stamp outputs
    use) puts each click's onset at a whole second of ``time.time()``, within a millisecond
    (the ticker's wake-up latency bounds the grid estimate; media→wall mapping is ~µs)."""
    mixer = AudioMixer()
    mixer.add_input(ClickInput("c", "Click"))
    subscription = mixer.subscribe(max_blocks=500)
    mixer.start()
    blocks = []
    try:
        while len(blocks) < 125:  # 2.5 s: at least two whole seconds pass
            block = subscription.get(timeout=2)
            assert block is not None
            blocks.append(block)
    finally:
        mixer.stop()
    mono = np.concatenate([block.samples[:, 0] for block in blocks])
    onsets = click_onsets(mono, SAMPLE_RATE)
    assert len(onsets) >= 2, onsets
    errors_ms = []
    for index in onsets:
        block = blocks[index // BLOCK]
        onset_ns = block.capture_ns + (index % BLOCK) * NS_PER_S // SAMPLE_RATE
        wall_ms = media_to_wall_ms(onset_ns)
        errors_ms.append(wall_ms - round(wall_ms / 1000) * 1000)
    assert all(abs(error) <= 1 for error in errors_ms), errors_ms
