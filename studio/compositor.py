"""The compositor: renders the program picture on its own clock-driven thread.

Each tick it reads the newest frame of every source in the current scene (never waits for
one), draws the layers in order, blends overlays over their boxes only, stamps the
optional latency probe, and hands one ``VideoFrame`` to every consumer through a
latest-wins slot.  A tick that runs late is counted and skipped, never queued.

The scene arrives as an immutable render plan (tuple of ``LayerPlan``), swapped in
atomically by the engine, so the render thread takes no locks on the model.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable

import cv2
import numpy as np

from studio.core.clock import NS_PER_MS, NS_PER_S, Ticker, media_to_wall_ms, now_ns
from studio.core.frame import LatestSlot, VideoFrame
from studio.core.i18n import _
from studio.overlays import Overlay
from studio.slate import render_slate
from studio.sources.base import SourceState, VideoSource
from studio.timecode import draw_strip

log = logging.getLogger(__name__)

RENDER_HISTORY = 600  # ticks of render timings kept for stats (20 s at 30 fps)


@dataclass(frozen=True, slots=True)
class LayerPlan:
    """What to draw for one scene item: a snapshot, safe to read from the render thread."""

    item_id: str
    source_id: str
    x: int
    y: int
    width: int
    height: int
    crop: tuple[int, int, int, int] = (0, 0, 0, 0)  # left, top, right, bottom
    opacity: float = 1.0


RenderPlan = tuple[LayerPlan, ...]


@dataclass(frozen=True, slots=True)
class _Fade:
    from_plan: RenderPlan
    start_ns: int
    duration_ns: int


@dataclass(slots=True)
class _Picture:
    """A layer's pixels at layer size; ``weights`` = (alpha, 1 − alpha) float32 for transparent sources."""

    image: np.ndarray
    weights: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def is_opaque(self) -> bool:
        return self.weights is None


@dataclass(slots=True)
class _LayerCache:
    frame_key: tuple[int, int]  # (id of frame image, sequence)
    geometry: tuple[int, int, tuple[int, int, int, int]]
    picture: _Picture


class Compositor:
    """Clock-driven program renderer.  ``source_lookup(source_id)`` finds running sources."""

    def __init__(self, width: int, height: int, fps: float, source_lookup: Callable[[str], VideoSource | None]) -> None:
        self.width = int(width)
        self.height = int(height)
        self.fps = float(fps)
        self._lookup = source_lookup
        self._plan: RenderPlan = ()
        self._fade: _Fade | None = None
        self._overlays: tuple[Overlay, ...] = ()
        self._overlays_lock = threading.Lock()
        self.is_latency_probe_on = False
        self._cache: dict[str, _LayerCache] = {}
        self._subscribers: list[LatestSlot[VideoFrame]] = []
        self._subscribers_lock = threading.Lock()
        self._program: VideoFrame | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sequence = 0
        self.ticks = 0
        self.late_ticks = 0
        self.render_errors = 0
        self.render_ms: deque[float] = deque(maxlen=RENDER_HISTORY)

    # -- configuration (any thread) -----------------------------------------------------------
    def set_plan(self, plan: Iterable[LayerPlan], transition: str = "cut", duration_ms: int = 0) -> None:
        plan = tuple(plan)
        if transition == "fade" and duration_ms > 0 and self._plan != plan:
            self._fade = _Fade(self._plan, now_ns(), duration_ms * NS_PER_MS)
        elif transition != "fade" or duration_ms <= 0:
            self._fade = None
        self._plan = plan

    @property
    def plan(self) -> RenderPlan:
        return self._plan

    @property
    def is_transitioning(self) -> bool:
        fade = self._fade
        return fade is not None and now_ns() - fade.start_ns < fade.duration_ns

    def set_overlay(self, overlay: Overlay) -> None:
        with self._overlays_lock:
            kept = [o for o in self._overlays if o.overlay_id != overlay.overlay_id]
            kept.append(overlay)
            kept.sort(key=lambda o: o.z)
            self._overlays = tuple(kept)

    def remove_overlay(self, overlay_id: str) -> None:
        with self._overlays_lock:
            self._overlays = tuple(o for o in self._overlays if o.overlay_id != overlay_id)

    @property
    def overlays(self) -> tuple[Overlay, ...]:
        return self._overlays

    # -- consumers -------------------------------------------------------------------------
    def subscribe(self) -> LatestSlot[VideoFrame]:
        """A new latest-wins slot receiving every program frame (drops counted per slot)."""
        slot: LatestSlot[VideoFrame] = LatestSlot()
        with self._subscribers_lock:
            self._subscribers.append(slot)
        return slot

    def unsubscribe(self, slot: LatestSlot[VideoFrame]) -> None:
        with self._subscribers_lock:
            if slot in self._subscribers:
                self._subscribers.remove(slot)
        slot.close()

    def latest_program(self) -> VideoFrame | None:
        return self._program

    # -- thread --------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="compositor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._subscribers_lock:
            for slot in self._subscribers:
                slot.close()

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        ticker = Ticker(int(NS_PER_S / self.fps), self._stop)
        while not self._stop.is_set():
            tick_ns = now_ns()
            try:
                self.publish(self.render(tick_ns))
            except Exception:  # keep the program alive; a broken tick is counted and logged
                self.render_errors += 1
                log.exception("compositor tick failed")
            self.late_ticks += ticker.wait_next()

    # -- rendering -------------------------------------------------------------------------
    def publish(self, frame: VideoFrame) -> None:
        self._program = frame
        with self._subscribers_lock:
            subscribers = list(self._subscribers)
        for slot in subscribers:
            slot.put(frame)

    def render(self, tick_ns: int | None = None) -> VideoFrame:
        """Render one program frame for ``tick_ns`` (callable without the thread: tests, bench)."""
        tick_ns = now_ns() if tick_ns is None else tick_ns
        started = now_ns()
        plan, fade, overlays = self._plan, self._fade, self._overlays
        needs_drawing_on_top = bool(overlays) or self.is_latency_probe_on
        if fade is not None and tick_ns - fade.start_ns >= fade.duration_ns:
            self._fade = fade = None
        if fade is not None:
            progress = (tick_ns - fade.start_ns) / fade.duration_ns
            old = self._render_plan(fade.from_plan, writable=False)
            new = self._render_plan(plan, writable=False)
            canvas = cv2.addWeighted(new, progress, old, 1.0 - progress, 0.0)
        else:
            canvas = self._render_plan(plan, writable=needs_drawing_on_top)
        for overlay in overlays:
            overlay.blend_into(canvas, tick_ns)  # animations move on the frame's own clock
        if self.is_latency_probe_on:
            draw_strip(canvas, media_to_wall_ms(tick_ns))
        self._sequence += 1
        self.ticks += 1
        self.render_ms.append((now_ns() - started) / NS_PER_MS)
        return VideoFrame(image=canvas, capture_ns=tick_ns, sequence=self._sequence)

    def _render_plan(self, plan: RenderPlan, writable: bool) -> np.ndarray:
        pictures = [(layer, self._layer_picture(layer)) for layer in plan]
        pictures = [(layer, picture) for layer, picture in pictures if picture is not None]
        if len(pictures) == 1 and not writable:
            layer, picture = pictures[0]
            if picture.is_opaque and layer.opacity >= 1.0 and layer.x == 0 and layer.y == 0 and picture.image.shape[:2] == (self.height, self.width):
                # One full-canvas opaque layer and nothing on top: the source's own frame is
                # the program frame — no copy at all.
                return picture.image
        canvas: np.ndarray | None = None
        for layer, picture in pictures:
            if canvas is None:
                image = picture.image
                covers = (
                    picture.is_opaque
                    and layer.opacity >= 1.0
                    and layer.x <= 0
                    and layer.y <= 0
                    and layer.x + image.shape[1] >= self.width
                    and layer.y + image.shape[0] >= self.height
                )
                if covers:
                    canvas = np.array(image[-layer.y : -layer.y + self.height, -layer.x : -layer.x + self.width])
                    continue
                canvas = np.zeros((self.height, self.width, 3), np.uint8)
            self._place(canvas, layer, picture)
        if canvas is None:
            canvas = np.zeros((self.height, self.width, 3), np.uint8)
        return canvas

    def _layer_picture(self, layer: LayerPlan) -> _Picture | None:
        """The layer's source picture cropped and scaled to the layer size (cached per frame)."""
        source = self._lookup(layer.source_id)
        frame = source.latest_frame() if source is not None else None
        if source is None or source.state in (SourceState.NO_SIGNAL, SourceState.FAILED) or (frame is None and source.state is SourceState.STOPPED):
            name = source.name if source is not None else layer.source_id
            detail = (source.state_message if source is not None and source.state_message else _("Reconnecting…")) if source is not None else _("Source missing")
            return _Picture(render_slate(layer.width, layer.height, _("No signal — {name}").format(name=name), detail[:120]))
        if frame is None:
            return None
        frame_key = (id(frame.image), frame.sequence)
        geometry = (layer.width, layer.height, layer.crop)
        cached = self._cache.get(layer.item_id)
        if cached is not None and cached.frame_key == frame_key and cached.geometry == geometry:
            return cached.picture
        image = self._fit(frame.image, layer)
        weights = None
        if frame.alpha is not None:
            alpha = self._fit(frame.alpha, layer).astype(np.float32) * (1.0 / 255.0)
            weights = (alpha, 1.0 - alpha)
        picture = _Picture(image, weights)
        self._cache[layer.item_id] = _LayerCache(frame_key, geometry, picture)
        if len(self._cache) > 256:
            self._cache.clear()
        return picture

    @staticmethod
    def _fit(image: np.ndarray, layer: LayerPlan) -> np.ndarray:
        """Crop then scale a source picture (or its alpha plane) to the layer's size."""
        left, top, right, bottom = layer.crop
        if left or top or right or bottom:
            h, w = image.shape[:2]
            image = image[min(top, h - 1) : max(min(top, h - 1) + 1, h - bottom), min(left, w - 1) : max(min(left, w - 1) + 1, w - right)]
        if image.shape[1] != layer.width or image.shape[0] != layer.height:
            shrinking = image.shape[1] > layer.width and image.shape[0] > layer.height
            image = cv2.resize(image, (layer.width, layer.height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
        return image

    def _place(self, canvas: np.ndarray, layer: LayerPlan, picture: _Picture) -> None:
        x0, y0 = layer.x, layer.y
        image = picture.image
        cx0, cy0 = max(0, x0), max(0, y0)
        cx1, cy1 = min(self.width, x0 + image.shape[1]), min(self.height, y0 + image.shape[0])
        if cx1 <= cx0 or cy1 <= cy0 or layer.opacity <= 0.0:
            return
        rows, cols = slice(cy0 - y0, cy1 - y0), slice(cx0 - x0, cx1 - x0)
        part = image[rows, cols]
        roi = canvas[cy0:cy1, cx0:cx1]
        if picture.weights is not None:
            alpha, inverse = picture.weights
            if layer.opacity < 1.0:
                alpha = alpha * layer.opacity
                inverse = 1.0 - alpha
            roi[...] = cv2.blendLinear(part, roi, np.ascontiguousarray(alpha[rows, cols]), np.ascontiguousarray(inverse[rows, cols]))
        elif layer.opacity >= 1.0:
            np.copyto(roi, part)
        else:
            cv2.addWeighted(part, layer.opacity, roi, 1.0 - layer.opacity, 0.0, dst=roi)

    # -- stats -------------------------------------------------------------------------------------
    def consumer_drops(self) -> int:
        with self._subscribers_lock:
            return sum(slot.dropped for slot in self._subscribers)
