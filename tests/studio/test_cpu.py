"""The shared process CPU meter used by the stream-health stats."""
from __future__ import annotations

import threading
import time

from studio.cpu import ProcessCpu


def busy(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_meter_reports_none_until_a_window_passed_then_one_figure_for_everyone():
    meter = ProcessCpu(window_s=0.3)
    assert meter.percent() is None
    wall0, cpu0 = time.monotonic(), time.process_time()
    busy(0.35)
    # What the busy loop (0.35 s of CPU) really got: a whole core on a quiet machine, a share of one on a busy one.
    got = 100.0 * (time.process_time() - cpu0) / (time.monotonic() - wall0)
    first = meter.percent()
    assert first is not None and first >= 0.5 * got > 0, (first, got)  # a busy loop on this thread
    assert meter.percent() == first  # a second reader within the window sees the same figure


def test_idle_process_reads_low():
    meter = ProcessCpu(window_s=0.3)
    time.sleep(0.35)
    assert meter.percent() < 30.0


def test_concurrent_readers_do_not_break_it():
    meter = ProcessCpu(window_s=0.05)
    values = []
    threads = [threading.Thread(target=lambda: [values.append(meter.percent()) or time.sleep(0.01) for _ in range(20)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(values) == 80
    assert all(v is None or v >= 0.0 for v in values)
