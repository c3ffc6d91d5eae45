"""LoopThread: the one way the studio runs an asyncio loop on its own thread."""
from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from studio.core.loop_thread import LoopThread


def test_start_returns_with_the_loop_running_on_a_named_thread():
    runner = LoopThread("loop-thread-test").start()
    try:
        assert runner.is_running
        assert runner.loop.is_running()
        names = runner.run(_thread_name(), timeout_s=5)
        assert names == "loop-thread-test"
        assert not runner.is_loop_thread
    finally:
        assert runner.stop(5)
    assert not runner.is_running
    assert runner.loop.is_closed()
    assert not runner.thread.is_alive()


async def _thread_name() -> str:
    return threading.current_thread().name


def test_submit_returns_a_concurrent_future_with_the_result_or_the_exception():
    with LoopThread("loop-thread-test") as runner:
        assert runner.submit(asyncio.sleep(0, result=42)).result(5) == 42

        async def boom() -> None:
            raise ValueError("nope")

        with pytest.raises(ValueError, match="nope"):
            runner.submit(boom()).result(5)


def test_call_soon_runs_on_the_loop_thread_and_reports_a_closed_loop():
    runner = LoopThread("loop-thread-test").start()
    seen = threading.Event()
    where: list[str] = []

    def callback(tag: str) -> None:
        where.append(f"{tag}@{threading.current_thread().name}")
        seen.set()

    assert runner.call_soon(callback, "x")
    assert seen.wait(5)
    assert where == ["x@loop-thread-test"]
    runner.stop(5)
    assert runner.call_soon(callback, "y") is False
    with pytest.raises(RuntimeError):
        runner.submit(asyncio.sleep(0))


def test_stop_cancels_pending_tasks_and_closes_async_generators():
    runner = LoopThread("loop-thread-test").start()
    cancelled = threading.Event()
    generator_closed = threading.Event()
    started = threading.Event()
    suspended: list = []  # keeps the generator alive, suspended at its first yield

    async def forever() -> None:
        try:
            started.set()
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def ticks():
        try:
            while True:
                yield 1
                await asyncio.sleep(0.01)
        finally:
            generator_closed.set()

    async def start_generator() -> None:
        agen = ticks()
        await agen.__anext__()
        suspended.append(agen)

    future = runner.submit(forever())
    runner.run(start_generator(), timeout_s=5)
    assert started.wait(5)
    assert runner.stop(5)
    assert cancelled.is_set()
    assert generator_closed.is_set()
    assert future.cancelled()


def test_stop_is_idempotent_and_safe_before_start():
    runner = LoopThread("loop-thread-test")
    assert runner.stop(1)
    runner.start()
    assert runner.stop(5)
    assert runner.stop(5)
    with pytest.raises(RuntimeError):
        runner.start()


def test_stop_from_the_loop_thread_stops_without_joining_itself():
    runner = LoopThread("loop-thread-test").start()
    results: list[bool] = []
    runner.call_soon(lambda: results.append(runner.stop(1)))
    runner.thread.join(5)
    assert results == [False]
    assert not runner.thread.is_alive()
    assert runner.loop.is_closed()


def test_run_on_the_loop_thread_is_refused():
    with LoopThread("loop-thread-test") as runner:
        async def nested() -> str:
            try:
                runner.run(asyncio.sleep(0))
            except RuntimeError as exc:
                return str(exc)
            return "ran"

        assert "wait for itself" in runner.run(nested(), timeout_s=5)


def test_background_failures_are_logged_with_a_traceback(caplog):
    caplog.set_level(logging.ERROR, logger="studio.core.loop_thread")
    with LoopThread("loop-thread-test") as runner:
        async def boom() -> None:
            raise ValueError("spawned and failed")

        future = runner.spawn(boom())
        with pytest.raises(ValueError):
            future.result(5)

        def bad_callback() -> None:
            raise KeyError("callback failed")

        runner.call_soon(bad_callback)
        runner.run(asyncio.sleep(0.05), timeout_s=5)
    records = [r for r in caplog.records if r.exc_info]
    messages = [str(r.exc_info[1]) for r in records]
    assert "spawned and failed" in messages
    assert "'callback failed'" in messages
    assert all(r.exc_info[2] is not None for r in records)  # a traceback, not just the message
