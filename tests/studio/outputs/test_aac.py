"""AAC for RTMP: encoded once from the mixer, timestamps on the capture clock, fanned out."""
from __future__ import annotations

import threading

import av
import numpy as np
import pytest

from studio.audio import AudioMixer, ToneInput
from studio.core.clock import NS_PER_S
from studio.outputs.aac import AAC_FRAME_SAMPLES, AacBlockEncoder, MixerAacSource
from studio.outputs.mixer_thread import MixerBlockThread
from tests.helpers import wait_until

BLOCK = 960  # the mixer's 20 ms


def tone(blocks: int, frequency_hz: float = 1000.0) -> list[np.ndarray]:
    t = np.arange(blocks * BLOCK) / 48_000
    mono = (0.5 * np.sin(2 * np.pi * frequency_hz * t)).astype(np.float32)
    stereo = np.repeat(mono[:, None], 2, axis=1)
    return [stereo[i * BLOCK:(i + 1) * BLOCK] for i in range(blocks)]


def decode(packets) -> np.ndarray:
    decoder = av.CodecContext.create("aac", "r")
    decoder.extradata = packets[0].extradata
    pcm = []
    for packet in packets:
        for frame in decoder.decode(av.Packet(packet.data)):
            pcm.append(frame.to_ndarray())
    return np.concatenate(pcm, axis=1)


def test_blocks_become_aac_lc_frames_with_capture_times():
    encoder = AacBlockEncoder()
    origin_ns = 7 * NS_PER_S
    packets = []
    for index, block in enumerate(tone(100)):  # 2 s
        packets += encoder.encode(block, origin_ns + index * 20_000_000)
    packets += encoder.flush()
    assert encoder.extradata[:2] == bytes([0x11, 0x90])  # AudioSpecificConfig: AAC-LC, 48 kHz, stereo
    assert len(packets) >= 100 * BLOCK // AAC_FRAME_SAMPLES
    # Each packet's capture time is its first sample's, on the blocks' clock (priming frame first).
    for packet in packets:
        expected = origin_ns + packet.pts_samples * NS_PER_S // 48_000
        assert abs(packet.capture_ns - expected) <= 1
    assert packets[0].pts_samples == -AAC_FRAME_SAMPLES
    assert [p.pts_samples for p in packets] == sorted(p.pts_samples for p in packets)
    # It decodes back to the tone (channels, level).
    pcm = decode(packets)
    assert pcm.shape[0] == 2
    steady = pcm[:, 48_000:96_000]
    assert 0.3 < float(np.sqrt(np.mean(steady**2))) < 0.4  # 0.5 peak sine → RMS ≈ 0.354


def test_capture_time_gaps_follow_the_blocks_anchors():
    encoder = AacBlockEncoder()
    packets = []
    for index, block in enumerate(tone(50)):
        # The mixer skipped 1 s after block 25: samples stay contiguous, capture times jump.
        capture_ns = index * 20_000_000 + (NS_PER_S if index >= 25 else 0)
        packets += encoder.encode(block, capture_ns)
    late = [p for p in packets if p.pts_samples >= 25 * BLOCK]
    assert late and all(p.capture_ns >= NS_PER_S + 25 * 20_000_000 for p in late)


def test_samples_beyond_full_scale_are_clipped_not_wrapped():
    encoder = AacBlockEncoder()
    packets = []
    for index, block in enumerate(tone(50)):
        packets += encoder.encode(block * 4.0, index * 20_000_000)  # a 2.0 peak sine: clipped to ±1
    pcm = decode(packets + encoder.flush())[:, 48_000 // 2:]
    assert 0.9 < float(np.max(np.abs(pcm))) < 1.2


def test_rejects_mono_blocks():
    with pytest.raises(ValueError):
        AacBlockEncoder().encode(np.zeros((960, 1), np.float32), 0)


def test_one_encoder_feeds_every_subscriber_from_the_mixer():
    mixer = AudioMixer()
    mixer.add_input(ToneInput("tone", "Tone", frequency_hz=440.0))
    source = MixerAacSource(mixer)
    received: dict[str, list] = {"a": [], "b": []}
    lock = threading.Lock()

    def subscriber(name):
        def on_packet(packet):
            with lock:
                received[name].append(packet)
        return on_packet

    def broken(packet):
        raise RuntimeError("a buggy output")

    first, second = subscriber("a"), subscriber("b")
    source.subscribe(first)
    source.subscribe(broken)
    source.subscribe(second)
    mixer.start()
    source.start()
    try:
        assert wait_until(lambda: len(received["b"]) >= 25, 5), source.stats()
        source.unsubscribe(second)
        with lock:
            count_b = len(received["b"])
        assert wait_until(lambda: len(received["a"]) >= count_b + 10, 5)
    finally:
        source.stop()
        mixer.stop()
    with lock:
        a, b = list(received["a"]), list(received["b"])
    assert b == a[:len(b)]  # the same packet objects: encoded once, shared
    assert len(received["b"]) == count_b  # nothing after unsubscribing
    stats = source.stats()
    assert stats["sample_rate"] == 48_000 and stats["channels"] == 2 and stats["errors"] == 0
    # Real-time pacing on the media clock: 25+ frames of 21.3 ms span about their duration.
    span_ns = a[-1].capture_ns - a[0].capture_ns
    assert abs(span_ns - (a[-1].pts_samples - a[0].pts_samples) * NS_PER_S // 48_000) < 50_000_000


def test_blocks_that_gathered_are_encoded_in_one_wake_up_without_a_gap():
    mixer = AudioMixer()
    mixer.add_input(ToneInput("tone", "Tone", frequency_hz=440.0))
    source = MixerAacSource(mixer)
    packets: list = []
    source.subscribe(packets.append)
    mixer.start()
    source.start()
    try:
        assert wait_until(lambda: source.blocks >= 50, 10), source.stats()
    finally:
        source.stop()
        mixer.stop()
    assert source.gather_s > 0 and source.blocks >= 2 * source.wakeups, (source.blocks, source.wakeups)
    assert source.dropped_blocks == 0 and source.errors == 0
    steps = {b.pts_samples - a.pts_samples for a, b in zip(packets, packets[1:])}
    assert steps == {AAC_FRAME_SAMPLES}  # every frame, in order


def test_gathering_is_bounded():
    with pytest.raises(ValueError):
        MixerBlockThread(AudioMixer(), name="x", gather_s=5.0)


def test_needs_a_48_khz_mixer():
    with pytest.raises(ValueError):
        MixerAacSource(AudioMixer(sample_rate=44_100))
