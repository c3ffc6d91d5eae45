"""One asyncio event loop on its own thread, started and stopped the same way everywhere.

The network side of the studio (the WHIP publisher, the rehearsal receiver, the control API,
the comment and webhook clients) each needs an asyncio loop next to Qt and the media threads.
Hand-written, each of those threads shut down a little differently (some cancelled their
tasks, some closed async generators, some neither) and one leaked tasks into a closed loop.
:class:`LoopThread` is the one way: ``start()`` returns once the loop runs; work goes in with
:meth:`LoopThread.submit` / :meth:`LoopThread.call_soon` (``run_coroutine_threadsafe`` /
``call_soon_threadsafe``); ``stop()`` cancels what is still pending, closes async generators
and the default executor, closes the loop and joins the thread.  Anything that fails in the
background without an owner is logged with its traceback, never swallowed.

Standard library only: this module is part of ``studio.core``, the bottom layer.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any, Callable, Coroutine, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_START_TIMEOUT_S = 5.0
DEFAULT_STOP_TIMEOUT_S = 5.0
# How long stop() lets cancelled tasks run their clean-up (finally blocks, awaits in them).
CANCEL_GRACE_S = 2.0


class LoopThread:
    """An asyncio loop running on a daemon thread named ``name``.

    The thread is created by :meth:`start` on the calling thread (it inherits e.g. that
    thread's network namespace).  A ``LoopThread`` starts once; make a new one to run again.
    Every method may be called from any thread; :meth:`stop` is idempotent and also safe on
    the loop thread itself (it then asks the loop to stop and returns without joining).
    """

    def __init__(self, name: str, *, cancel_grace_s: float = CANCEL_GRACE_S) -> None:
        self.name = name
        self.cancel_grace_s = float(cancel_grace_s)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LoopThread({self.name!r}, running={self.is_running})"

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop (valid from :meth:`start` on; closed after :meth:`stop`)."""
        if self._loop is None:
            raise RuntimeError(f"{self.name}: the loop thread has not been started")
        return self._loop

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    @property
    def is_running(self) -> bool:
        """True while the thread is alive and its loop open."""
        thread, loop = self._thread, self._loop
        return thread is not None and thread.is_alive() and loop is not None and not loop.is_closed()

    @property
    def is_loop_thread(self) -> bool:
        """True when called on this loop's own thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout_s: float = DEFAULT_START_TIMEOUT_S) -> "LoopThread":
        """Start the thread; returns once its loop runs (TimeoutError if it does not in time)."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError(f"{self.name}: a LoopThread starts once; make a new one")
            self._loop = asyncio.new_event_loop()
            self._loop.set_exception_handler(self._log_background_error)
            self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
            self._thread.start()
        if not self._running.wait(timeout_s):
            raise TimeoutError(f"{self.name}: the event loop did not start within {timeout_s:.1f} s")
        return self

    def stop(self, timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> bool:
        """Stop the loop (pending tasks are cancelled), close it and join the thread.

        True when the thread has ended (or never started); False when it was still running
        after ``timeout_s`` (logged) or when called on the loop thread itself.
        """
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return True
        if not loop.is_closed():
            try:
                loop.call_soon_threadsafe(loop.stop)
            except RuntimeError:  # closed meanwhile: the thread is finishing anyway
                pass
        if thread is threading.current_thread():
            return False
        thread.join(timeout_s)
        if thread.is_alive():
            log.error("%s: the loop thread did not stop within %.1f s", self.name, timeout_s)
            return False
        return True

    def __enter__(self) -> "LoopThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ work in (any thread)

    def submit(self, coro: Coroutine[Any, Any, T]) -> "concurrent.futures.Future[T]":
        """Run ``coro`` on the loop; its result (or exception) arrives in the returned future.

        The caller owns the outcome; for fire-and-forget work use :meth:`spawn`.
        Raises RuntimeError (and closes ``coro``) when the loop is not running.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            coro.close()
            raise RuntimeError(f"{self.name}: the loop is not running")
        try:
            return asyncio.run_coroutine_threadsafe(coro, loop)
        except RuntimeError:
            coro.close()
            raise

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> "concurrent.futures.Future[Any]":
        """Like :meth:`submit`, for work nobody waits on: a failure is logged with its traceback."""
        future = self.submit(coro)
        future.add_done_callback(self._log_future_error)
        return future

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for its result (never call this on the loop thread)."""
        if self.is_loop_thread:
            coro.close()
            raise RuntimeError(f"{self.name}: run() on the loop thread would wait for itself")
        return self.submit(coro).result(timeout_s)

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> bool:
        """Call ``callback(*args)`` on the loop; False when the loop has closed (nothing runs)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # closed between the check and the call
            return False
        return True

    # ------------------------------------------------------------------ the thread

    def _main(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        loop.call_soon(self._running.set)
        try:
            loop.run_forever()
        except Exception:  # run_forever itself failing is a bug: report it, still clean up
            log.exception("%s: the event loop failed", self.name)
        finally:
            self._running.set()  # never leave start() waiting
            try:
                self._cancel_pending(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            except Exception:
                log.exception("%s: cleaning up the event loop failed", self.name)
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    def _cancel_pending(self, loop: asyncio.AbstractEventLoop) -> None:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        if not pending:
            return
        for task in pending:
            task.cancel()
        done, still_pending = loop.run_until_complete(asyncio.wait(pending, timeout=self.cancel_grace_s))
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                self._log_background_error(loop, {"message": "task failed while being cancelled", "exception": task.exception(), "task": task})
        if still_pending:
            log.warning("%s: %d task(s) ignored cancellation for %.1f s", self.name, len(still_pending), self.cancel_grace_s)

    def _log_background_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exception = context.get("exception")
        message = context.get("message", "unhandled error")
        where = context.get("task") or context.get("future") or context.get("handle")
        if exception is not None:
            log.error("%s: %s (%r)", self.name, message, where, exc_info=(type(exception), exception, exception.__traceback__))
        else:
            log.error("%s: %s (%r)", self.name, message, where)

    def _log_future_error(self, future: "concurrent.futures.Future[Any]") -> None:
        if future.cancelled():
            return
        exception = future.exception()
        if exception is not None:
            log.error("%s: background work failed", self.name, exc_info=(type(exception), exception, exception.__traceback__))


__all__ = ["LoopThread"]
