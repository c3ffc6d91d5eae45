"""Readouts the host can trust (issue #13): the health verdict counts frames, the rehearsal
viewer's latency is a figure or a reason, and its pictures go when the show stops."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, Signal

from tests.ui.conftest import solid_png
from ui.golive import IDLE, LIVE
from ui.health_dock import FPS_SHORT_FOR_S, HealthDock
from ui.rehearsal_dock import RehearsalDock

LIVE_TIMEOUT_MS = 30_000
AMBER = "#d29922"
GREEN = "#3fb950"


class FakeController(QObject):
    """The controller surface the docks read, with stats the test writes."""

    changed = Signal()
    outputs_changed = Signal()

    def __init__(self, canvas_fps: float = 30.0) -> None:
        super().__init__()
        self.state = LIVE
        self.failure_text = None
        self.live_since = 0.0
        self.data: dict[str, Any] = {}
        self.receiver = None
        self.studio = SimpleNamespace(compositor=SimpleNamespace(fps=canvas_fps, is_latency_probe_on=False))

    @property
    def is_active(self) -> bool:
        return self.state == LIVE

    def stats(self) -> dict[str, Any]:
        return self.data


def _layer(rid: str, height: int, fps: float | None, bitrate_bps: int = 2_000_000, is_active: bool = True) -> dict[str, Any]:
    return {"rid": rid, "width": height * 16 // 9, "height": height, "fps": fps, "bitrate_bps": bitrate_bps, "active": is_active}


def _stats(*layers: dict[str, Any], loss: float | None = 0.0, estimate: int | None = None) -> dict[str, Any]:
    return {"state": "live", "layers": list(layers), "rtt_ms": 20.0, "loss_fraction": loss,
            "available_bitrate_bps": estimate, "dropped_frames": 0, "encoder": "libx264"}


class FakeClock:
    """The dock's clock, moved on by the test (no waiting)."""

    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def _health_dock(qtbot, controller):
    dock = HealthDock(controller)
    qtbot.addWidget(dock)
    dock.clock = FakeClock()
    return dock


def _judge(dock) -> str:
    """The verdict once a shortfall has lasted long enough to be called (and no sooner)."""
    dock.update_stats(sample=False)
    dock.clock.now_s += FPS_SHORT_FOR_S
    dock.update_stats(sample=False)
    return dock.verdict_label.text()


@pytest.fixture
def health(qtbot):
    controller = FakeController()
    return controller, _health_dock(qtbot, controller)


def test_healthy_only_when_the_best_layer_keeps_the_canvas_frame_rate(health):
    controller, dock = health
    ladder = (_layer("m", 540, 30.0, 1_200_000), _layer("l", 270, 30.0, 400_000))
    controller.data = _stats(_layer("h", 1080, 29.4), *ladder)
    assert _judge(dock) == "Healthy: viewers get 1080p"
    assert GREEN in dock.verdict_label.styleSheet()

    # The report from the field: the top layer at 20–21 fps of 30 was called healthy.
    controller.data = _stats(_layer("h", 1080, 20.6), *ladder)
    dock.update_stats(sample=False)
    assert dock.verdict_label.text() == "Healthy: viewers get 1080p"  # one low second is a measuring window, not a verdict
    dock.clock.now_s += FPS_SHORT_FOR_S
    dock.update_stats(sample=False)
    assert dock.verdict_label.text() == "Viewers get 1080p at 21 fps of 30: the encoder can't keep up"
    assert AMBER in dock.verdict_label.styleSheet()
    # Back to full rate: healthy again at once; a new shortfall must last again to be called.
    controller.data = _stats(_layer("h", 1080, 30.0), *ladder)
    dock.update_stats(sample=False)
    assert dock.verdict_label.text() == "Healthy: viewers get 1080p"
    controller.data = _stats(_layer("h", 1080, 20.6), *ladder)
    dock.update_stats(sample=False)
    assert dock.verdict_label.text() == "Healthy: viewers get 1080p"


def test_a_slow_layer_and_a_limiting_network_are_both_said(health):
    controller, dock = health
    controller.data = _stats(_layer("h", 1080, None, None, is_active=False), _layer("m", 720, 18.0), loss=0.12)
    assert _judge(dock) == "Network is limiting quality: viewers get 720p at 18 fps of 30"
    # At full rate the network alone is named, as before.
    controller.data = _stats(_layer("h", 1080, None, None, is_active=False), _layer("m", 720, 30.0), loss=0.12)
    dock.update_stats(sample=False)
    assert dock.verdict_label.text() == "Network is limiting quality: viewers get 720p"


def test_the_verdict_compares_with_the_canvas_rate_and_never_guesses(qtbot):
    controller = FakeController(canvas_fps=60.0)
    dock = _health_dock(qtbot, controller)
    controller.data = _stats(_layer("h", 720, 30.0))
    assert _judge(dock) == "Viewers get 720p at 30 fps of 60: the encoder can't keep up"
    # Of two layers of the same height, the faster one is what viewers get.
    controller.data = _stats(_layer("h", 720, 59.0), _layer("h2", 720, 12.0))
    assert _judge(dock) == "Healthy: viewers get 720p"
    # No canvas rate known: nothing is claimed about frames.
    controller.studio = SimpleNamespace()
    controller.data = _stats(_layer("h", 720, 12.0))
    assert _judge(dock) == "Healthy: viewers get 720p"
    # Not live any more: the shortfall's start is forgotten.
    controller.studio = SimpleNamespace(compositor=SimpleNamespace(fps=60.0))
    dock.update_stats(sample=False)
    controller.state = IDLE
    dock.update_stats(sample=False)
    assert dock.verdict_label.text() == "Not live"


class FakeReceiver:
    """Rehearsal receiver stats as the test writes them, and one picture per layer."""

    def __init__(self) -> None:
        self.layers: dict[str, dict[str, Any]] = {}

    def stats(self) -> dict[str, Any]:
        return {"layers": [dict(layer) for layer in self.layers.values()]}

    def last_frame(self, rid: str) -> np.ndarray | None:
        return np.full((90, 160, 3), 128, np.uint8) if rid in self.layers else None


@pytest.fixture
def rehearsal(qtbot):
    controller = FakeController()
    controller.receiver = FakeReceiver()
    dock = RehearsalDock(controller)
    qtbot.addWidget(dock)
    return controller, controller.receiver, dock


def _sample(dock) -> None:
    dock._ticks = 0  # the next tick reads the stats (twice a second on its own)
    dock.tick()


def test_latency_is_a_figure_while_the_strip_is_read_and_a_reason_when_not(rehearsal):
    controller, receiver, dock = rehearsal
    receiver.layers["h"] = {"rid": "h", "width": 1920, "height": 1080, "fps": 30.0, "frames_decoded": 5,
                            "latency_frames": 0, "latency_p50_ms": None}
    _sample(dock)
    assert dock.previews["h"].caption.text().endswith("latency p50 measuring…")
    receiver.layers["h"].update(frames_decoded=40, latency_frames=35, latency_p50_ms=42.4)
    _sample(dock)
    assert dock.previews["h"].caption.text() == "h: 1920×1080 · 30.0 fps\nlatency p50 42 ms"
    assert dock.previews["h"].frames_shown == 2
    # The scene cut to a camera: frames keep coming, readings stop.  The old p50 is not repeated.
    receiver.layers["h"].update(frames_decoded=60)
    _sample(dock)
    assert dock.previews["h"].caption.text().endswith("latency p50 unknown: no time-code strip")
    assert "Latency probe" in dock.message.text() and "camera" in dock.message.text()
    receiver.layers["h"].update(frames_decoded=66)  # too few frames to judge again: it stands
    _sample(dock)
    assert dock.latency_states["h"] == "no_strip"
    controller.studio.compositor.is_latency_probe_on = True
    receiver.layers["h"].update(frames_decoded=90)
    _sample(dock)
    assert "cannot be read" in dock.message.text()
    # The sender paused the layer: no pictures, so no figure (the last p50 is not repeated).
    receiver.layers["h"].update(fps=0.0, active=False, latency_frames=40, latency_p50_ms=40.0)
    _sample(dock)
    assert dock.previews["h"].caption.text().endswith("latency p50 none: the layer is paused")
    receiver.layers["h"].update(fps=30.0, active=True)
    # The strip is back: a figure again.
    receiver.layers["h"].update(frames_decoded=100, latency_frames=45, latency_p50_ms=38.0)
    _sample(dock)
    assert dock.previews["h"].caption.text().endswith("latency p50 38 ms")
    assert "Latency unknown" not in dock.message.text()


def test_stop_clears_the_pictures(rehearsal):
    controller, receiver, dock = rehearsal
    receiver.layers["h"] = {"rid": "h", "width": 640, "height": 360, "fps": 30.0, "frames_decoded": 40,
                            "latency_frames": 40, "latency_p50_ms": 30.0}
    _sample(dock)
    assert dock.previews and dock.previews["h"].frames_shown == 1
    controller.state = IDLE
    controller.changed.emit()
    assert not dock.previews and dock.last_stats is None
    assert dock.message.text().startswith("Not live\n")


def test_rehearsal_latency_from_the_test_pattern_then_a_reason_then_not_live(window, qtbot, tmp_path):
    """End to end over the real engine and rehearsal receiver."""
    controller, dock, studio = window.golive, window.rehearsal_dock, window.studio
    assert dock.message.text().startswith("Not live")
    assert controller.go_live()
    qtbot.waitUntil(lambda: controller.state == LIVE, timeout=LIVE_TIMEOUT_MS)
    qtbot.waitUntil(lambda: "h" in dock.previews and dock.previews["h"].caption.text().endswith(" ms"), timeout=15_000)

    # A full-canvas picture over the test pattern: no strip on the program any more.
    spec, _item = studio.add_source("image", "Product shot", {"path": str(solid_png(tmp_path / "p.png", (40, 120, 40), (640, 360)))})
    qtbot.waitUntil(lambda: "no time-code strip" in dock.previews["h"].caption.text(), timeout=15_000)
    assert "Latency probe" in dock.message.text()
    # The probe stamps the strip on the program: a figure again.
    window.probe_action.trigger()
    qtbot.waitUntil(lambda: dock.previews["h"].caption.text().endswith(" ms"), timeout=15_000)
    window.probe_action.trigger()

    controller.stop()
    qtbot.waitUntil(lambda: controller.state == IDLE and not controller.is_busy, timeout=15_000)
    assert not dock.previews
    assert dock.message.text().startswith("Not live")
    assert window.health_dock.verdict_label.text() == "Not live"
    assert spec.id in studio.sources
