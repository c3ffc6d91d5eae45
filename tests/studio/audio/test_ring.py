"""The bounded FIFO between a device callback and the mixer."""
from __future__ import annotations

import threading
import time

import numpy as np

from studio.audio.ring import SampleRing


def frames(start: int, count: int) -> np.ndarray:
    return np.arange(start, start + count, dtype=np.float32)[:, None].repeat(2, axis=1)


def test_fifo_order_across_wraparound():
    ring = SampleRing(10)
    ring.write(frames(0, 7))
    np.testing.assert_array_equal(ring.read(5), frames(0, 5))
    ring.write(frames(7, 6))  # wraps
    assert ring.available_frames == 8
    np.testing.assert_array_equal(ring.read(100), frames(5, 8))  # short read: what there is
    assert ring.available_frames == 0


def test_overflow_drops_oldest_and_counts():
    ring = SampleRing(10)
    ring.write(frames(0, 8))
    ring.write(frames(8, 5))
    assert ring.overflow_frames == 3
    np.testing.assert_array_equal(ring.read(10), frames(3, 10))
    ring.write(frames(0, 25))  # one write larger than the ring
    assert ring.overflow_frames == 3 + 15
    np.testing.assert_array_equal(ring.read(10), frames(15, 10))


def test_discard_and_clear():
    ring = SampleRing(10)
    ring.write(frames(0, 6))
    assert ring.discard(4) == 4
    np.testing.assert_array_equal(ring.read(2), frames(4, 2))
    ring.write(frames(0, 3))
    ring.clear()
    assert ring.available_frames == 0


def test_concurrent_writer_and_reader_keep_order():
    ring = SampleRing(4096)  # small: many wraparounds
    total = 200 * 441
    received = []

    def writer():
        for start in range(0, total, 441):
            while ring.available_frames > ring.capacity_frames - 441:
                time.sleep(0.0005)  # a real device never waits; here we want no overflow
            ring.write(frames(start, 441))

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = time.monotonic() + 10
    while sum(len(chunk) for chunk in received) < total and time.monotonic() < deadline:
        chunk = ring.read(960)
        if len(chunk):
            received.append(chunk)
        else:
            time.sleep(0.0005)
    thread.join()
    assert ring.overflow_frames == 0
    np.testing.assert_array_equal(np.concatenate(received)[:, 0], np.arange(total, dtype=np.float32))
