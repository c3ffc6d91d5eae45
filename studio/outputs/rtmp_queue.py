"""The hand-off between the encoders and an RTMP destination's writer thread.

:class:`PacketQueue` is bounded, never blocks a producer and never lets a connection start
anywhere but on a keyframe:

* ``open()`` (each connection) empties it and waits for a keyframe: pictures before it are
  skipped (``skipped_before_keyframe``), a keyframe is asked for (``on_keyframe_needed``),
  and the sound captured from the keyframe on is kept (it is encoded faster than the
  picture, so some arrives first);
* when full (the network is slower than the stream), a new keyframe replaces everything
  queued — the stale run goes, what stays decodes from its first packet — and a picture that
  is not a keyframe is dropped along with every picture after it until the next keyframe
  (later pictures reference it); the oldest sound is dropped to make room for new sound.
  Every dropped packet is counted.

Producers only append (under a short lock): the keyframe requests are made by the consumer,
in :meth:`PacketQueue.open` and :meth:`PacketQueue.ask_again_if_due` (at most once per
``keyframe_request_interval_s``), never from inside an encoder's packet callback.

:class:`RateWindow` turns what the writer sent into the bitrate and frame rate of the last
seconds.
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger(__name__)

KEYFRAME_REQUEST_INTERVAL_S = 1.0
AUDIO_PREROLL_PACKETS = 50  # ≈ 1 s of AAC kept while waiting for the first keyframe
STATS_WINDOW_S = 2.0


@dataclass(slots=True)
class QueuedPacket:
    is_video: bool
    data: bytes
    capture_ns: int
    is_keyframe: bool = True


class PacketQueue:
    """Pictures and sound for one destination, oldest first (see the module docstring)."""

    def __init__(self, max_packets: int, *, on_keyframe_needed: Callable[[], Any] | None = None,
                 keyframe_request_interval_s: float = KEYFRAME_REQUEST_INTERVAL_S) -> None:
        if max_packets < 2:
            raise ValueError("a packet queue holds at least 2 packets")
        self.max_packets = int(max_packets)
        self.on_keyframe_needed = on_keyframe_needed
        self.keyframe_request_interval_s = float(keyframe_request_interval_s)
        self._cond = threading.Condition()
        self._packets: collections.deque[QueuedPacket] = collections.deque()
        self._preroll: collections.deque[QueuedPacket] = collections.deque(maxlen=AUDIO_PREROLL_PACKETS)
        self._is_open = False
        self._is_waiting_for_keyframe = True  # a connection starts: skip to a keyframe, keep the sound
        self._is_skipping_to_keyframe = False  # the queue overflowed: drop pictures until a keyframe
        self._last_request = float("-inf")
        self._wants_keyframe = False  # a producer dropped pictures: the consumer should ask
        self.dropped_video = 0
        self.dropped_audio = 0
        self.skipped_before_keyframe = 0
        self.keyframe_requests = 0

    # ------------------------------------------------------------------ consumer

    def open(self) -> None:
        """Start taking packets for a new connection: empty, waiting for a keyframe (asked for)."""
        with self._cond:
            self._packets.clear()
            self._preroll.clear()
            self._is_waiting_for_keyframe = True
            self._is_skipping_to_keyframe = False
            self._wants_keyframe = False
            self._is_open = True
            self._last_request = time.monotonic()
        self._ask_for_keyframe()

    def close(self) -> None:
        """Stop taking packets; drop what is queued (not counted: nobody was going to send it)."""
        with self._cond:
            self._is_open = False
            self._packets.clear()
            self._preroll.clear()
            self._cond.notify_all()

    def take(self, timeout_s: float) -> list[QueuedPacket]:
        """Everything queued, waiting up to ``timeout_s`` for something."""
        with self._cond:
            if not self._packets:
                self._cond.wait(timeout_s)
            batch = list(self._packets)
            self._packets.clear()
        return batch

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    @property
    def is_waiting_for_keyframe(self) -> bool:
        return self._is_waiting_for_keyframe

    def ask_again_if_due(self) -> None:
        """Still waiting for a keyframe, or skipping to one: ask (rate-limited).  Consumer side."""
        with self._cond:
            is_wanted = self._is_open and (self._is_waiting_for_keyframe or self._wants_keyframe)
            is_due = is_wanted and self._request_is_due()
            if is_due:
                self._wants_keyframe = False
        if is_due:
            self._ask_for_keyframe()

    def __len__(self) -> int:
        with self._cond:
            return len(self._packets)

    # ------------------------------------------------------------------ producers (any thread)

    def put_video(self, data: bytes, capture_ns: int, is_keyframe: bool) -> None:
        with self._cond:
            if not self._is_open:
                return
            packet = QueuedPacket(True, data, capture_ns, is_keyframe)
            if self._is_waiting_for_keyframe:
                if not is_keyframe:
                    self.skipped_before_keyframe += 1
                else:
                    self._is_waiting_for_keyframe = False
                    self._packets.append(packet)
                    self._packets.extend(sound for sound in self._preroll if sound.capture_ns >= capture_ns)
                    self._preroll.clear()
                    self._cond.notify_all()
            elif self._is_skipping_to_keyframe or len(self._packets) >= self.max_packets:
                if is_keyframe:
                    if len(self._packets) >= self.max_packets:
                        self._drop_all()
                    self._is_skipping_to_keyframe = False
                    self._packets.append(packet)
                    self._cond.notify_all()
                else:
                    self.dropped_video += 1
                    if not self._is_skipping_to_keyframe:
                        self._is_skipping_to_keyframe = True
                        self._wants_keyframe = True
                        self._cond.notify_all()  # the consumer asks for one
            else:
                self._packets.append(packet)
                self._cond.notify_all()

    def put_audio(self, data: bytes, capture_ns: int) -> None:
        with self._cond:
            if not self._is_open:
                return
            packet = QueuedPacket(False, data, capture_ns, True)
            if self._is_waiting_for_keyframe:
                self._preroll.append(packet)
                return
            if len(self._packets) >= self.max_packets:
                for index, queued in enumerate(self._packets):
                    if not queued.is_video:
                        del self._packets[index]
                        break
                self.dropped_audio += 1
                if len(self._packets) >= self.max_packets:
                    return  # only pictures queued: this sound is the one that goes
            self._packets.append(packet)
            self._cond.notify_all()

    # ------------------------------------------------------------------ helpers

    def _drop_all(self) -> None:
        for packet in self._packets:
            if packet.is_video:
                self.dropped_video += 1
            else:
                self.dropped_audio += 1
        self._packets.clear()

    def _request_is_due(self) -> bool:
        now = time.monotonic()
        if now - self._last_request < self.keyframe_request_interval_s:
            return False
        self._last_request = now
        return True

    def _ask_for_keyframe(self) -> None:
        callback = self.on_keyframe_needed
        if callback is None:
            return
        self.keyframe_requests += 1
        try:
            callback()
        except Exception:  # the encoder's problem; the queue keeps waiting for a keyframe
            log.exception("keyframe request failed")


class RateWindow:
    """Bytes and pictures sent over the last ``window_s`` seconds → bitrate and frame rate.

    ``add`` takes the packet's capture time as ``now`` (the output sends in batches: the time
    of sending bunches pictures together, their capture times do not)."""

    def __init__(self, window_s: float = STATS_WINDOW_S) -> None:
        self.window_s = float(window_s)
        self._lock = threading.Lock()
        self._entries: collections.deque[tuple[float, int, bool]] = collections.deque()
        self._since: float | None = None

    def start(self, now: float | None = None) -> None:
        with self._lock:
            self._entries.clear()
            self._since = time.monotonic() if now is None else now

    def stop(self) -> None:
        with self._lock:
            self._entries.clear()
            self._since = None

    def add(self, size_bytes: int, is_video: bool, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._entries.append((now, size_bytes, is_video))
            while self._entries and now - self._entries[0][0] > self.window_s:
                self._entries.popleft()

    def rates(self, now: float | None = None) -> tuple[int | None, float | None]:
        """``(bitrate_bps, fps)`` over the window (or since ``start`` when shorter); None when stopped."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._since is None:
                return None, None
            entries = [entry for entry in self._entries if now - entry[0] <= self.window_s]
            span = min(self.window_s, max(now - self._since, 1e-3))
        bitrate_bps = int(sum(size for _t, size, _v in entries) * 8 / span)
        pictures = [t for t, _s, is_video in entries if is_video]
        if len(pictures) >= 2 and pictures[-1] - pictures[0] >= self.window_s / 2:
            # From the pictures' own spacing: a count in a window whose edge falls between two
            # pictures is off by one (±0.5 fps at 2 s), which reads as a stream that stutters.
            fps = round((len(pictures) - 1) / (pictures[-1] - pictures[0]), 1)
        else:
            fps = round(len(pictures) / span, 1)
        return bitrate_bps, fps


__all__ = ["PacketQueue", "QueuedPacket", "RateWindow"]
