"""One layer's controls and what they decide, frame by frame and packet by packet.

Controls come from any thread (the WHIP publisher's loop, the engine): pause, resume, a new
bitrate, a keyframe request.  The layer's worker asks before each frame whether to encode it and
how (``plan_frame``), and for each packet whether it may go out (``admit``).  The rules, in one
place and without threads or encoders:

- a paused layer encodes nothing; packets still being encoded when it paused are discarded
  (every pause and resume starts a new epoch), and the first packet after a resume is a keyframe;
- a keyframe request is honoured at most once per ``keyframe_min_interval_ns`` of capture time,
  and requests that arrive while one waits are absorbed (counted as coalesced);
- a layer slower than the program keeps every n-th frame, by capture time.

One re-entrant lock guards all of it; the worker also holds it while it emits a frame's packets,
so once ``pause()`` returns nothing more goes out.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from encoders.base import EncodedPacket
from encoders.layer_stats import LayerCounters
from encoders.layers import LayerSpec
from studio.core.clock import NS_PER_S


@dataclass(frozen=True, slots=True)
class FramePlan:
    """How to encode one frame."""

    epoch: int  # its packets go out only if the layer is still in this epoch
    is_keyframe_forced: bool
    new_bitrate_bps: int | None  # a new target to give the encoder first


class LayerControl:
    """A layer's pause state, keyframe debts and pending bitrate (thread-safe)."""

    def __init__(self, spec: LayerSpec, *, program_fps: float, keyframe_min_interval_ns: int, counters: LayerCounters,
                 keyframe_interval_ns: int | None = None) -> None:
        self.lock = threading.RLock()
        self._spec = spec
        self._program_fps = program_fps
        self._keyframe_min_interval_ns = keyframe_min_interval_ns
        # Keyframes by capture time, not frame count: platforms want one at least every 2 s, and
        # a frame count stretches past that with every frame dropped in the GOP.  Due half a frame
        # early (capture-time jitter); the encoder's own GOP stays the backstop.
        frame_ns = int(NS_PER_S / max(1.0, program_fps))
        self._keyframe_due_ns = (keyframe_interval_ns - frame_ns // 2) if keyframe_interval_ns else None
        self._counters = counters
        self._target_bitrate_bps = spec.bitrate_bps
        self._pending_bitrate_bps: int | None = None
        self._is_active = True
        self._is_failed = False
        self._epoch = 0
        self._is_resume_keyframe_due = False
        self._is_awaiting_keyframe = False  # after a resume: drop packets until a keyframe
        self._is_keyframe_requested = False
        self._last_keyframe_capture_ns: int | None = None
        self._next_due_ns: int | None = None  # capture time of the next frame a slow layer keeps

    @property
    def is_active(self) -> bool:
        return self._is_active

    @property
    def is_failed(self) -> bool:
        return self._is_failed

    @property
    def is_taking_frames(self) -> bool:
        """Worth converting for: neither paused nor failed."""
        return self._is_active and not self._is_failed

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def target_bitrate_bps(self) -> int:
        return self._target_bitrate_bps

    # ------------------------------------------------------------------ controls

    def pause(self) -> None:
        with self.lock:
            if self._is_active:
                self._is_active = False
                self._epoch += 1

    def resume(self) -> None:
        with self.lock:
            if not self._is_active:
                self._is_active = True
                self._epoch += 1
                self._is_resume_keyframe_due = True
                self._is_awaiting_keyframe = True

    def set_bitrate(self, bitrate_bps: int) -> None:
        """The new target, handed to the encoder with the next frame."""
        with self.lock:
            self._pending_bitrate_bps = bitrate_bps
            self._target_bitrate_bps = bitrate_bps

    def request_keyframe(self) -> bool:
        """True if newly queued; a request already waiting absorbs this one (counted)."""
        with self.lock:
            self._counters.keyframe_requests += 1
            if self._is_keyframe_requested:
                self._counters.keyframe_requests_coalesced += 1
                return False
            self._is_keyframe_requested = True
            return True

    def mark_failed(self) -> None:
        with self.lock:
            self._is_failed = True

    # ------------------------------------------------------------------ decisions

    def plan_frame(self, capture_ns: int) -> FramePlan | None:
        """How to encode the frame captured at ``capture_ns``; None: leave it out (failed,
        paused, or not due at this layer's slower rate; the last two are counted)."""
        spec = self._spec
        with self.lock:
            if self._is_failed:
                return None
            if not self._is_active:
                self._counters.frames_paused += 1
                return None
            if spec.fps < self._program_fps:  # a layer slower than the program keeps every n-th frame
                if self._next_due_ns is not None and capture_ns < self._next_due_ns:
                    self._counters.frames_skipped_fps += 1
                    return None
                interval_ns = int(NS_PER_S / spec.fps)
                # A quarter interval of slack: capture jitter must not skip a frame that is due.
                self._next_due_ns = capture_ns + interval_ns - interval_ns // 4
            is_keyframe_forced = False
            if self._is_resume_keyframe_due:
                is_keyframe_forced = True
                self._is_resume_keyframe_due = False
            elif self._is_keyframe_requested:
                last = self._last_keyframe_capture_ns
                if last is None or capture_ns - last >= self._keyframe_min_interval_ns:
                    is_keyframe_forced = True
            elif self._keyframe_due_ns is not None and self._last_keyframe_capture_ns is not None:
                is_keyframe_forced = capture_ns - self._last_keyframe_capture_ns >= self._keyframe_due_ns
            # The request stays set until a keyframe goes out (admit), so a forced one that the
            # encoder ignores, or an early one that waits, is still honoured later.
            new_bitrate_bps, self._pending_bitrate_bps = self._pending_bitrate_bps, None
            return FramePlan(self._epoch, is_keyframe_forced, new_bitrate_bps)

    def admit_frame(self, epoch: int, packet_count: int) -> bool:
        """False if the layer paused (or paused and resumed) since the frame was planned: its
        packets are discarded (counted)."""
        with self.lock:
            if not self._is_active or self._epoch != epoch:
                self._counters.packets_discarded += packet_count
                return False
            return True

    def admit(self, packet: EncodedPacket, capture_ns: int | None) -> bool:
        """Whether ``packet`` goes out (after a resume, nothing before a keyframe; counted);
        a keyframe that goes out settles the keyframe request and restarts its interval."""
        with self.lock:
            if self._is_awaiting_keyframe:
                if not packet.is_keyframe:
                    self._counters.packets_discarded += 1
                    return False
                self._is_awaiting_keyframe = False
            if packet.is_keyframe:
                self._counters.keyframes += 1
                self._is_keyframe_requested = False
                self._last_keyframe_capture_ns = packet.capture_ns if packet.capture_ns is not None else capture_ns
            return True
