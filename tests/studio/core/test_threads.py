"""Threads name themselves for the OS, and threads started inside inherit the name."""
from __future__ import annotations

import sys
import threading

import pytest

from studio.core.threads import named_while, native_name, set_native_name

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl names are Linux's")


def _comm(tid: int) -> str:
    with open(f"/proc/self/task/{tid}/comm", encoding="utf-8") as handle:
        return handle.read().strip()


def test_a_named_thread_and_the_threads_it_starts_carry_the_name():
    seen: dict[str, str] = {}

    def child() -> None:
        seen["child"] = _comm(threading.get_native_id())

    def worker() -> None:
        set_native_name("enc-h-and-a-long-tail")
        seen["worker"] = _comm(threading.get_native_id())
        inner = threading.Thread(target=child)
        inner.start()
        inner.join()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == {"worker": "enc-h-and-a-lon", "child": "enc-h-and-a-lon"}


def test_named_while_gives_the_name_back():
    before = native_name()
    with named_while("enc-m"):
        assert _comm(threading.get_native_id()) == "enc-m"
    assert native_name() == before
