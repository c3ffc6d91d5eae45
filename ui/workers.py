"""Run a blocking call on Qt's thread pool and get its result back on the GUI thread.

Files and device lists are read here, never on the GUI thread.  The result travels through
a small relay QObject on the GUI thread that nothing deletes while a pool thread may still emit
on it (a relay owned by the receiver could be destroyed by the GUI thread in the middle of the
worker's emit — a crash seen when a dialog closed as its task finished); if the receiver is gone
by the time the result arrives, the result is dropped instead of reaching a dead widget.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


_PENDING: set["_Relay"] = set()  # relays whose result has not arrived yet (kept alive here)


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, on_done: Callable[[Any], None], on_error: Callable[[BaseException], None] | None, receiver: QObject) -> None:
        super().__init__()  # no parent: only _release() ends it, after the worker's emit
        self._receiver = receiver
        self._on_done = on_done
        self._on_error = on_error
        _PENDING.add(self)
        # Queued explicitly: the relay lives on the GUI thread, so the slots run there.
        self.done.connect(self._deliver_done, Qt.ConnectionType.QueuedConnection)
        self.failed.connect(self._deliver_failed, Qt.ConnectionType.QueuedConnection)

    def _is_receiver_alive(self) -> bool:
        return shiboken6.isValid(self._receiver)

    def _release(self) -> None:
        _PENDING.discard(self)
        self._receiver = None
        self.deleteLater()

    @Slot(object)
    def _deliver_done(self, result: Any) -> None:
        try:
            if self._is_receiver_alive():
                self._on_done(result)
        finally:
            self._release()

    @Slot(object)
    def _deliver_failed(self, error: BaseException) -> None:
        try:
            if not self._is_receiver_alive():
                pass
            elif self._on_error is not None:
                self._on_error(error)
            else:
                log.error("background task failed: %s", error)
        finally:
            self._release()


class _Task(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:  # handed to the GUI thread, which shows it in words
            if not isinstance(exc, ValueError | OSError):
                log.exception("background task failed")
            self._emit(self._relay.failed, exc)
        else:
            self._emit(self._relay.done, result)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:
            pass  # the receiver (and its relay) was deleted meanwhile: nobody wants the result


def run_in_background(
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None] | None = None,
    receiver: QObject | None = None,
    pool: QThreadPool | None = None,
) -> None:
    """Call ``work()`` on a pool thread; ``on_done(result)``/``on_error(exc)`` run on the GUI thread.

    ``receiver`` owns the hand-off: delete it and the callbacks are never called.
    """
    if receiver is None:
        raise ValueError("run_in_background needs a receiver QObject living on the GUI thread")
    relay = _Relay(on_done, on_error, receiver)
    (pool or QThreadPool.globalInstance()).start(_Task(work, relay))
