"""A browser-like video jitter buffer for the aiortc test subscriber.

aiortc 1.16's ``JitterBuffer`` releases frames strictly in sequence-number order: once a
packet is lost for good (its retransmission lost too), nothing is released until 512 later
packets overflow the buffer — on a 100 kbit/s simulcast layer that is a freeze of ~16 s,
and a keyframe arriving meanwhile does not help.  A browser (libwebrtc) assembles frames
independently, NACKs the gap, asks for a keyframe when the gap is not repaired, and decodes
again from the first complete keyframe after it.  Measuring "frozen time at the subscriber"
with aiortc's buffer would measure aiortc, not the stream; this buffer makes the test
subscriber recover the way a viewer's browser does:

* frames are released in order while the sequence is complete (as aiortc does);
* when the oldest missing packet stays missing for ``keyframe_after_s`` (200 ms, libwebrtc's
  ``max_wait_for_keyframe``), a PLI is asked for (at most once per ``pli_interval_s``);
* when a complete keyframe (IDR with SPS) sits after the gap, everything before it is dropped
  and decoding resumes from it.

Kept from aiortc: a frame is released when the next one starts, and at most one frame per
packet arrives (frames held up by a wait drain at keyframes, which span several packets).
"""
from __future__ import annotations

import time
from typing import Any, Callable

from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.utils import uint16_add

H264_IDR = 5
H264_SPS = 7


def nal_types(annexb: bytes) -> set[int]:
    """NAL unit types in an Annex-B buffer (aiortc's H.264 depayloader output)."""
    types: set[int] = set()
    start = 0
    while True:
        index = annexb.find(b"\x00\x00\x01", start)
        if index < 0 or index + 3 >= len(annexb):
            return types
        types.add(annexb[index + 3] & 0x1F)
        start = index + 3


class RecoveringJitterBuffer(JitterBuffer):
    """aiortc's jitter buffer plus keyframe recovery after an unrepaired loss (see module)."""

    def __init__(self, capacity: int = 512, *, keyframe_after_s: float = 0.2, pli_interval_s: float = 0.3,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(capacity, is_video=True)
        self.keyframe_after_s = keyframe_after_s
        self.pli_interval_s = pli_interval_s
        self._clock = clock
        self._stuck_since: float | None = None
        self._last_pli = -1e9
        self.plis = 0
        self.skips = 0
        self.skipped_packets = 0
        self.packets = 0
        self.frames = 0

    def add(self, packet: Any) -> tuple[bool, JitterFrame | None]:
        pli, frame = super().add(packet)
        self.packets += 1
        if frame is not None or not self._has_hole():
            self.frames += frame is not None
            self._stuck_since = None
            return pli, frame
        # Later packets wait on a missing one (NACKed by aiortc already).
        now = self._clock()
        if self._stuck_since is None:
            self._stuck_since = now
            return pli, frame
        if now - self._stuck_since < self.keyframe_after_s:
            return pli, frame
        keyframe_offset = self._complete_keyframe_offset()
        if keyframe_offset is not None:
            self.remove(keyframe_offset)  # drop the broken frames before the keyframe
            self.skips += 1
            self.skipped_packets += keyframe_offset
            self._stuck_since = None
            frame = self._remove_frame(packet.sequence_number)
            self.frames += frame is not None
            return pli, frame
        if now - self._last_pli >= self.pli_interval_s:
            self._last_pli = now
            self.plis += 1
            pli = True
        return pli, frame

    def _has_hole(self) -> bool:
        """Is a position between the origin and the newest packet empty?"""
        if self._origin is None:
            return False
        seen_gap = False
        for offset in range(self._capacity):
            if self._packets[(self._origin + offset) % self._capacity] is None:
                seen_gap = True
            elif seen_gap:
                return True
        return False

    def _complete_keyframe_offset(self) -> int | None:
        """Offset from the origin of the first packet of a complete IDR frame (SPS + IDR,
        every packet up to the marker present), or None."""
        assert self._origin is not None
        offset = 0
        while offset < self._capacity:
            packet = self._packets[(self._origin + offset) % self._capacity]
            if packet is None or not _starts_keyframe(packet):
                offset += 1
                continue
            # Is the frame complete: consecutive packets of this timestamp up to the marker?
            end = offset
            while end < self._capacity:
                candidate = self._packets[(self._origin + end) % self._capacity]
                if candidate is None or candidate.timestamp != packet.timestamp:
                    break
                if candidate.marker:
                    # A frame is only released when the next one starts (aiortc's rule).
                    following = self._packets[uint16_add(self._origin, end + 1) % self._capacity]
                    if following is not None:
                        return offset
                    break
                end += 1
            offset = end + 1
        return None


def _starts_keyframe(packet: Any) -> bool:
    # Emulation prevention keeps 00 00 01 out of NAL payloads, so every start code found in
    # the depayloaded data (FU-A middles carry none) begins a real NAL unit.
    return bool(nal_types(getattr(packet, "_data", b"") or b"") & {H264_SPS, H264_IDR})


def install(receiver: Any, **options: Any) -> RecoveringJitterBuffer:
    """Replace an aiortc ``RTCRtpReceiver``'s video jitter buffer (test subscribers only)."""
    buffer = RecoveringJitterBuffer(**options)
    attribute = "_RTCRtpReceiver__jitter_buffer"
    if not hasattr(receiver, attribute):
        raise RuntimeError("aiortc's RTCRtpReceiver has no jitter buffer attribute; check the aiortc version")
    setattr(receiver, attribute, buffer)
    return buffer
