"""Media tracks whose frames are already encoded, fed from encoder threads.

aiortc's tracks produce raw frames for aiortc's own encoders; the studio encodes outside
aiortc (hardware encoders, one ladder for every output), so these tracks carry
:class:`~studio.outputs.packets.PacketItem`s through a bounded mailbox.  When the network
side falls behind, video drops non-keyframes and asks for a keyframe instead of queueing
(drops are counted).  They subclass aiortc's ``MediaStreamTrack``, hence their place here.

Threads: ``put`` from any thread; everything else on the loop that owns the connection.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import threading
from typing import Any, Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from studio.outputs.packets import PacketItem

log = logging.getLogger(__name__)

DEFAULT_VIDEO_QUEUE_FRAMES = 10  # ≈ 330 ms at 30 fps: a paced keyframe fits, a stall does not
DEFAULT_AUDIO_QUEUE_PACKETS = 25  # 500 ms of 20 ms Opus packets

KeyframeCallback = Callable[[str | None], Any]


class PacketTrack(MediaStreamTrack):
    """A track whose frames are already encoded, fed from any thread through a bounded mailbox.

    ``put`` never blocks.  Before the sender starts (``open``) packets are refused, so nothing
    stale piles up while connecting.  ``recv`` returns ``av.Packet`` (aiortc's contract);
    :class:`PacketSender` uses ``recv_item`` to get the capture time too.
    """

    kind = "unknown"

    def __init__(self, *, max_items: int, rid: str | None = None) -> None:
        super().__init__()
        if max_items <= 0:
            raise ValueError("max_items must be positive")
        self.rid = rid
        self.max_items = int(max_items)
        self._lock = threading.Lock()
        self._items: collections.deque[PacketItem] = collections.deque()
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._is_waiting = False
        self._is_open = False
        self._is_ended = False
        # counters (read without the lock: approximate is fine for stats)
        self.accepted = 0
        self.dropped = 0
        self.refused_closed = 0

    # -- any thread ------------------------------------------------------------------------------
    def put(self, item: PacketItem) -> bool:
        """Hand over one item; False when it was dropped (or refused before ``open``)."""
        with self._lock:
            if not self._is_open or self._is_ended:
                self.refused_closed += 1
                return False
            accepted = self._admit(item)
            wake = accepted and self._is_waiting
            if wake:
                self._is_waiting = False
            loop = self._loop
            needs_keyframe = self._pop_keyframe_need()
        if wake and loop is not None:
            try:
                loop.call_soon_threadsafe(self._event.set)
            except RuntimeError:  # the loop closed meanwhile: nobody is listening any more
                pass
        if needs_keyframe:
            self._request_keyframe()
        return accepted

    def _admit(self, item: PacketItem) -> bool:
        """Under the lock: queue ``item`` or drop something; True when ``item`` was queued."""
        if len(self._items) >= self.max_items:
            self._items.popleft()
            self.dropped += 1
        self._items.append(item)
        self.accepted += 1
        return True

    def _pop_keyframe_need(self) -> bool:
        """Under the lock: did ``_admit`` decide a keyframe must be asked for (once)?"""
        return False

    def _request_keyframe(self) -> None:
        """Outside the lock: ask the encoder side for a keyframe (video only)."""

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._items)

    # -- the loop ----------------------------------------------------------------------------------
    def open(self) -> None:
        """Start accepting packets (the sender is about to send); binds the running loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._loop = loop
            self._is_open = True

    async def recv_item(self) -> PacketItem:
        while True:
            self._event.clear()
            with self._lock:
                if self._is_ended:
                    raise MediaStreamError
                if self._items:
                    return self._items.popleft()
                self._loop = asyncio.get_running_loop()
                self._is_waiting = True
            await self._event.wait()

    async def recv(self) -> av.Packet:
        item = await self.recv_item()
        packet = item.packet
        if packet.pts is None:
            packet.pts = 0
        return packet

    def stop(self) -> None:
        with self._lock:
            already = self._is_ended
            self._is_ended = True
            self._items.clear()
            loop = self._loop
        if not already and loop is not None and not loop.is_closed():
            try:
                if _is_loop_thread(loop):
                    self._event.set()
                else:
                    loop.call_soon_threadsafe(self._event.set)
            except RuntimeError:
                pass
        super().stop()


def _is_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class EncodedVideoTrack(PacketTrack):
    """Video frames from an encoder (one simulcast layer).

    When the mailbox is full the network side is behind: a non-keyframe is dropped (and so
    is every later one up to the next keyframe, which the decoder needs anyway) and a
    keyframe is requested once through ``on_keyframe_needed(rid)``; a keyframe replaces
    whatever was queued.  ``dropped`` counts frames lost that way; frames skipped while
    waiting for the first keyframe after ``open`` are counted in ``skipped_before_keyframe``.
    """

    kind = "video"

    def __init__(
        self,
        *,
        rid: str | None = None,
        max_frames: int = DEFAULT_VIDEO_QUEUE_FRAMES,
        on_keyframe_needed: KeyframeCallback | None = None,
    ) -> None:
        super().__init__(max_items=max_frames, rid=rid)
        self.on_keyframe_needed = on_keyframe_needed
        self._is_awaiting_keyframe = True
        self._is_starting = True  # awaiting the first keyframe since open()
        self._is_request_due = False
        self.keyframes_requested = 0
        self.skipped_before_keyframe = 0
        self.overflows = 0

    def open(self) -> None:
        super().open()
        with self._lock:
            self._is_awaiting_keyframe = True
            self._is_starting = True
        self._request_keyframe()

    def _admit(self, item: PacketItem) -> bool:
        if item.is_keyframe:
            if len(self._items) >= self.max_items:
                self.dropped += len(self._items)
                self._items.clear()
            self._is_awaiting_keyframe = False
            self._is_starting = False
        elif self._is_awaiting_keyframe:
            if self._is_starting:
                self.skipped_before_keyframe += 1
            else:
                self.dropped += 1
            return False
        elif len(self._items) >= self.max_items:
            self.dropped += 1
            self.overflows += 1
            self._is_awaiting_keyframe = True
            self._is_request_due = True
            return False
        self._items.append(item)
        self.accepted += 1
        return True

    def _pop_keyframe_need(self) -> bool:
        # Once per overflow: the encoder side coalesces and rate-limits anyway.
        due, self._is_request_due = self._is_request_due, False
        return due

    def _request_keyframe(self) -> None:
        self.keyframes_requested += 1
        callback = self.on_keyframe_needed
        if callback is not None:
            try:
                callback(self.rid)
            except Exception:  # a consumer's bug must not break the hand-off
                log.exception("keyframe request for layer %s failed", self.rid)


class EncodedAudioTrack(PacketTrack):
    """Opus packets (20 ms each); when full, the oldest packet is dropped (counted)."""

    kind = "audio"

    def __init__(self, *, max_packets: int = DEFAULT_AUDIO_QUEUE_PACKETS) -> None:
        super().__init__(max_items=max_packets)


__all__ = [
    "DEFAULT_AUDIO_QUEUE_PACKETS",
    "DEFAULT_VIDEO_QUEUE_FRAMES",
    "EncodedAudioTrack",
    "EncodedVideoTrack",
    "KeyframeCallback",
    "PacketTrack",
]
