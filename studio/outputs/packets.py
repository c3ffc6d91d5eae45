"""What travels from the encoders to the senders, and what a sender counts.

:class:`PacketItem` is the hand-off from encoder threads (and the Opus thread) to the
network thread's tracks; :class:`SenderCounters` is what a sender saw, read by stats and by
the congestion feed.  Both are aiortc-free, so the recorder, the audio source and the
congestion code use them without touching the aiortc adapter.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import av
import numpy as np


@dataclass(slots=True)
class PacketItem:
    """One encoded frame (video) or Opus packet (audio) and what the sender needs to know."""

    packet: av.Packet
    capture_ns: int
    is_keyframe: bool = False
    width: int = 0
    height: int = 0
    audio_level: int | None = None  # RFC 6464: 0 (loud) .. 127 (silence), i.e. −dBov
    is_voice: bool = False
    encoder: str | None = None

    @property
    def size(self) -> int:
        return self.packet.size


def audio_level_dbov(samples: np.ndarray) -> int:
    """RFC 6465 level of float samples in [−1, 1]: 0 = full scale … 127 = silence (−dBov)."""
    if samples.size == 0:
        return 127
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    if rms <= 0.0:
        return 127
    return int(min(127, max(0, round(-20.0 * math.log10(rms)))))



@dataclass
class SenderCounters:
    """What one PacketSender sent (payload bytes, as RTCP counts them)."""

    frames: int = 0
    keyframes: int = 0
    packets: int = 0
    payload_bytes: int = 0
    keyframe_requests: int = 0  # PLI + FIR received for this SSRC
    nacks: int = 0  # sequence numbers NACKed (a receiver's repeated NACKs each count)
    nacked_packets: int = 0  # distinct packets NACKed (a repeat within a second counts once): the loss
    retransmits: int = 0  # NACKed packets resent from the history
    retransmit_bytes: int = 0
    retransmit_misses: int = 0  # NACKed packets no longer (or never) in the history
    remb_bps: int | None = None
    remb_updates: int = 0
    reports: int = 0  # RTCP report blocks about this SSRC
    fraction_lost: float | None = None  # from the last report block, 0..1
    rtt_s: float | None = None  # the round trip the last report block gave (studio.outputs.round_trip)
    rtt_samples: int = 0  # report blocks that gave a round trip
    jitter_s: float | None = None
    malformed: int = 0
    width: int = 0
    height: int = 0
    encoder: str | None = None


__all__ = ["PacketItem", "SenderCounters", "audio_level_dbov"]
