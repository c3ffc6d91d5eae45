"""The one way an audio encoder takes the program sound: a thread on a bounded mixer subscription.

The mixer hands out a 20 ms block every 20 ms; each encoder (Opus for WHIP and the recording,
AAC for RTMP) reads them on a thread of its own from a subscription that holds at most
``max_blocks`` (the oldest is dropped and counted when the thread falls behind), so no queue can
grow and nothing is encoded on the network loop.  An encoder whose output can wait (AAC for
RTMP, seconds behind anyway) sets ``gather_s`` and takes the blocks that gathered in one wake-up.  The reading loop is here; subclasses say how
to open their encoder (:meth:`_open_encoder`) and what to do with one block (:meth:`_encode_block`).
"""
from __future__ import annotations

import logging
import threading
from typing import Any

import av

log = logging.getLogger(__name__)

MAX_GATHER_S = 0.1  # half of what a 10-block subscription holds: nothing is dropped while gathering


class MixerBlockThread:
    """Start/stop and drop counting for a thread that encodes the mixer's blocks."""

    def __init__(self, mixer: Any, *, name: str, max_blocks: int = 10, gather_s: float = 0.0) -> None:
        if not 0.0 <= gather_s <= MAX_GATHER_S:
            raise ValueError(f"gather_s must be between 0 and {MAX_GATHER_S} s")
        self.mixer = mixer
        self.name = name
        self.max_blocks = int(max_blocks)
        self.gather_s = float(gather_s)  # after each wake-up, let blocks gather this long (0: one by one)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscription: Any = None
        self._dropped_before = 0  # drops of earlier subscriptions (stop, then start again)
        self.blocks = 0
        self.wakeups = 0  # times the thread woke to blocks (fewer than blocks when gathering)
        self.errors = 0

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._subscription = self.mixer.subscribe(max_blocks=self.max_blocks)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        """Stop pulling and join the thread (idempotent)."""
        self._stop.set()
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            self._dropped_before += int(getattr(subscription, "dropped_blocks", 0))
            self.mixer.unsubscribe(subscription)  # also wakes a waiting get()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
            if thread.is_alive():
                log.warning("%s did not stop within %.1f s", self.name, timeout_s)

    @property
    def dropped_blocks(self) -> int:
        subscription = self._subscription
        current = int(getattr(subscription, "dropped_blocks", 0)) if subscription is not None else 0
        return self._dropped_before + current

    def _open_encoder(self) -> Any:
        """Make this thread's encoder (on the thread; it has a ``close()``)."""
        raise NotImplementedError  # each encoder kind has its own

    def _encode_block(self, encoder: Any, block: Any) -> None:
        """Encode one mixer block and hand its packets on (``av.FFmpegError``/``ValueError`` count
        as a failed block, the thread goes on)."""
        raise NotImplementedError  # each encoder kind has its own

    def _encode_one(self, encoder: Any, block: Any) -> None:
        self.blocks += 1
        try:
            self._encode_block(encoder, block)
        except (av.FFmpegError, ValueError):
            self.errors += 1
            log.exception("%s: encoding a block failed", self.name)

    def _run(self) -> None:
        subscription = self._subscription
        encoder: Any = None
        try:
            encoder = self._open_encoder()
            while not self._stop.is_set():
                block = subscription.get(timeout=0.2)
                if block is None:
                    if subscription.is_closed:
                        break
                    continue
                self.wakeups += 1
                while block is not None:
                    self._encode_one(encoder, block)
                    block = subscription.get(timeout=0) if self.gather_s else None
                if self.gather_s:
                    self._stop.wait(self.gather_s)
        except Exception:
            log.exception("%s stopped", self.name)
        finally:
            if encoder is not None:
                encoder.close()
            log.debug("%s ended", self.name)
