"""Program sound for a WHIP session: mixer blocks → Opus packets, on a thread of its own.

The mixer hands out a 20 ms block (960 stereo float32 frames at 48 kHz) every 20 ms of
real time; this thread encodes each one with PyAV's libopus as soon as it arrives and gives
the packet, stamped with the block's capture time, to ``on_packet``.  So audio leaves paced
by the mixer's clock (browsers need it in real time to sync) and no encoding happens on the
network loop.  One packet per block: libopus in ``lowdelay`` mode answers every 20 ms frame
at once, so the block → packet mapping (and its capture time) is exact.
"""
from __future__ import annotations

import logging
from fractions import Fraction
from typing import Any, Callable

import av
import numpy as np

from studio.core.threads import set_native_name
from studio.outputs.mixer_thread import MixerBlockThread
from studio.outputs.packets import PacketItem, audio_level_dbov

log = logging.getLogger(__name__)

OPUS_SAMPLE_RATE = 48_000
OPUS_FRAME_SAMPLES = 960  # 20 ms
DEFAULT_AUDIO_BITRATE_BPS = 96_000
# RFC 6464 voice-activity flag: a block louder than this (−dBov) counts as "voice".
VOICE_LEVEL_DBOV = 50


class OpusBlockEncoder:
    """Encodes 20 ms stereo float blocks into Opus packets (one packet per block)."""

    def __init__(self, bitrate_bps: int = DEFAULT_AUDIO_BITRATE_BPS) -> None:
        codec = av.CodecContext.create("libopus", "w")
        codec.sample_rate = OPUS_SAMPLE_RATE
        codec.layout = "stereo"
        codec.format = "s16"
        codec.bit_rate = int(bitrate_bps)
        codec.time_base = Fraction(1, OPUS_SAMPLE_RATE)
        codec.options = {"application": "lowdelay", "frame_duration": "20"}
        codec.open()
        self._codec = codec
        self._pts = 0

    def encode(self, samples: np.ndarray) -> list[av.Packet]:
        """``samples`` (frames, 2) float32 in [−1, 1]; frames must be a multiple of 960."""
        pcm = np.clip(samples, -1.0, 1.0)
        interleaved = (pcm * 32767.0).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout="stereo")
        frame.sample_rate = OPUS_SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = Fraction(1, OPUS_SAMPLE_RATE)
        self._pts += samples.shape[0]
        return list(self._codec.encode(frame))

    def close(self) -> None:
        self._codec = None  # type: ignore[assignment]


class MixerOpusSource(MixerBlockThread):
    """A thread pulling the mixer's blocks, encoding Opus and calling ``on_packet(item)``.

    ``on_packet`` receives a :class:`PacketItem` (capture time = the block's first sample,
    audio level for the RFC 6464 header extension).  ``start``/``stop`` (joins the thread).
    """

    def __init__(
        self,
        mixer: Any,
        on_packet: Callable[[PacketItem], Any],
        *,
        bitrate_bps: int = DEFAULT_AUDIO_BITRATE_BPS,
        name: str = "bridgecast-whip-audio",
    ) -> None:
        if getattr(mixer, "sample_rate", OPUS_SAMPLE_RATE) != OPUS_SAMPLE_RATE:
            raise ValueError("Opus publishing needs the mixer at 48 kHz")
        super().__init__(mixer, name=name, max_blocks=10)
        self.on_packet = on_packet
        self.bitrate_bps = int(bitrate_bps)
        self.packets = 0

    def _open_encoder(self) -> OpusBlockEncoder:
        set_native_name("opus")  # called on this thread, before its first block
        return OpusBlockEncoder(self.bitrate_bps)

    def _encode_block(self, encoder: OpusBlockEncoder, block: Any) -> None:
        packets = encoder.encode(block.samples)
        level = audio_level_dbov(block.samples)
        for packet in packets:
            self.packets += 1
            item = PacketItem(
                packet=packet,
                capture_ns=int(block.capture_ns),
                audio_level=level,
                is_voice=level < VOICE_LEVEL_DBOV,
                encoder="libopus",
            )
            try:
                self.on_packet(item)
            except Exception:  # the consumer's bug must not stop the sound
                log.exception("audio packet hand-off failed")
