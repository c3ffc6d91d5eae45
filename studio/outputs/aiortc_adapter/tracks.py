"""Media tracks whose frames are already encoded, fed from encoder threads.

aiortc's tracks produce raw frames for aiortc's own encoders; the studio encodes outside
aiortc (hardware encoders, one ladder for every output), so these tracks carry
:class:`~studio.outputs.packets.PacketItem`s through a bounded mailbox.  When the network
side falls behind, video drops non-keyframes and asks for a keyframe instead of queueing
(drops are counted).  They subclass aiortc's ``MediaStreamTrack``, hence their place here.

Threads: ``put`` from any thread; everything else on the loop that owns the connection.

Waking the loop: every ``call_soon_threadsafe`` wakes the network thread through its self-pipe,
and on the 2-core test machine each extra wake-up costs the loop ≈ 80–120 µs of CPU (measured:
three layers woken one by one, 90 wake-ups a second, 1.1–1.4 % of a core; the same three woken
together, 30 a second, 0.6–0.7 %).  So the tracks on one loop share a :class:`Doorbell`: the
layers of one capture time are woken together when the largest of them arrives (the ladder's
layers finish smallest first, a few ms apart), and a ring already on its way takes later tracks
along.  The price: a lower layer leaves when the top one does, its encode time later (4–9 ms
measured); the top layer never waits.  (A ladder whose top layer runs at a lower frame rate than
a lower one would hold that lower layer a frame interval on the top layer's off frames.)
"""
from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
import weakref
from typing import Any, Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from studio.outputs.packets import PacketItem

log = logging.getLogger(__name__)

DEFAULT_VIDEO_QUEUE_FRAMES = 10  # ≈ 330 ms at 30 fps: a paced keyframe fits, a stall does not
DEFAULT_AUDIO_QUEUE_PACKETS = 25  # 500 ms of 20 ms Opus packets

# A layer never waits longer than this for the rest of its capture time (a paused or late top
# layer): the next hand-off after it releases the layer anyway.
GROUP_HOLD_LIMIT_NS = 50_000_000

KeyframeCallback = Callable[[str | None], Any]


class Doorbell:
    """Wakes the senders of the tracks on one event loop with as few loop wake-ups as it can.

    A video frame is held (not woken for) while its capture time's largest frame, judged by the
    previous capture time's, has not arrived; that arrival, a newer capture time or
    ``GROUP_HOLD_LIMIT_NS`` releases it.  Audio, and anything released, is woken at once, but
    one ring on its way to the loop carries every track due by the time it runs.
    Any thread may call :meth:`notify`; the ring runs on the loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop_ref = weakref.ref(loop)
        self._lock = threading.Lock()
        self._due: list[PacketTrack] = []
        self._held: list[PacketTrack] = []
        self._is_ring_pending = False
        self._capture_ns: int | None = None  # the capture time being gathered
        self._started_ns = 0  # when its first frame arrived (monotonic)
        self._largest_pixels = 0  # its largest frame so far
        self._is_complete = False  # its largest frame is here: nothing of it waits any more
        self._closing_pixels = 0  # the previous capture time's largest frame
        self.rings = 0  # loop wake-ups asked for
        self.notices = 0  # hand-offs seen

    def notify(self, track: "PacketTrack", item: PacketItem, *, wake: bool) -> None:
        """``track`` queued ``item``; ``wake``: its sender waits for it and must be woken."""
        now = time.monotonic_ns()
        with self._lock:
            self.notices += 1
            pixels = item.width * item.height if track.kind == "video" else 0
            if pixels:
                if item.capture_ns != self._capture_ns:
                    if self._capture_ns is not None:
                        self._closing_pixels = self._largest_pixels
                    self._release()
                    self._capture_ns, self._started_ns = item.capture_ns, now
                    self._largest_pixels, self._is_complete = 0, False
                self._largest_pixels = max(self._largest_pixels, pixels)
                if pixels >= self._closing_pixels:
                    self._is_complete = True
                if wake:
                    (self._due if self._is_complete else self._held).append(track)
                if self._is_complete:
                    self._release()
            elif wake:
                self._due.append(track)
            if self._held and now - self._started_ns >= GROUP_HOLD_LIMIT_NS:
                self._release()
            if not self._due or self._is_ring_pending:
                return
            self._is_ring_pending = True
            self.rings += 1
        loop = self._loop_ref()
        try:
            if loop is None:
                raise RuntimeError("the loop is gone")
            loop.call_soon_threadsafe(self._ring)
        except RuntimeError:  # the loop closed meanwhile: nobody is listening any more
            with self._lock:
                self._is_ring_pending = False
                self._due.clear()

    def _release(self) -> None:
        """Under the lock: what is held is due now."""
        if self._held:
            self._due.extend(self._held)
            self._held.clear()

    def _ring(self) -> None:
        with self._lock:
            due, self._due = self._due, []
            self._is_ring_pending = False
        for track in due:
            track._event.set()


_doorbells: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Doorbell]" = weakref.WeakKeyDictionary()
_doorbells_lock = threading.Lock()


def doorbell_for(loop: asyncio.AbstractEventLoop) -> Doorbell:
    """The one :class:`Doorbell` of ``loop``."""
    with _doorbells_lock:
        doorbell = _doorbells.get(loop)
        if doorbell is None:
            doorbell = _doorbells[loop] = Doorbell(loop)
        return doorbell


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
        self._doorbell: Doorbell | None = None
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
            doorbell = self._doorbell
            needs_keyframe = self._pop_keyframe_need()
        if accepted and doorbell is not None:
            doorbell.notify(self, item, wake=wake)
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
        doorbell = doorbell_for(loop)
        with self._lock:
            self._loop = loop
            self._doorbell = doorbell
            self._is_open = True

    async def recv_item(self) -> PacketItem:
        while True:
            self._event.clear()
            with self._lock:
                if self._is_ended:
                    raise MediaStreamError
                if self._items:
                    return self._items.popleft()
                loop = asyncio.get_running_loop()
                if loop is not self._loop:
                    self._loop, self._doorbell = loop, doorbell_for(loop)
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
    "GROUP_HOLD_LIMIT_NS",
    "Doorbell",
    "EncodedAudioTrack",
    "EncodedVideoTrack",
    "KeyframeCallback",
    "PacketTrack",
    "doorbell_for",
]
