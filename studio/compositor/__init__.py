"""The compositor: renders the program picture on its own clock-driven thread.

Each tick it reads the newest frame of every source in the current scene (never waits for
one), draws the layers in order, blends overlays over their boxes only, stamps the
optional latency probe, and hands one ``VideoFrame`` to every consumer through a
latest-wins slot.  A tick that runs late is counted and skipped, never queued.

The scene arrives as an immutable render plan (tuple of ``LayerPlan``), swapped in
atomically by the engine, so the render thread takes no locks on the model.

A second, vertical canvas (``studio.compositor.vertical``) reads the same sources or cuts its
picture from this one: ``subscribe_clean()`` hands it the program *before* overlays and the
probe (the same array when there is nothing on top, one copy otherwise), with the capture time
of the picture's main layer, so the vertical strip can carry the time of the content.  Nobody
subscribed, nothing extra is done.
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
from studio.core.events import Signal
from studio.core.frame import LatestSlot, VideoFrame
from studio.core.i18n import _
from studio.core.threads import set_native_name
from studio.compositor.filter_cost import FilterCosts
from studio.compositor.filters import FilterState, apply_filters
from studio.compositor.preview import PreviewFeed
from studio.compositor.stinger import Stinger
from studio.overlays import Overlay
from studio.slate import render_slate
from studio.sources.base import SourceState, VideoSource
from studio.timecode import draw_strip

log = logging.getLogger(__name__)

RENDER_HISTORY = 600  # ticks of render timings kept for stats (20 s at 30 fps)


def scale_interpolation(from_width: int, from_height: int, to_width: int, to_height: int) -> int:
    """OpenCV interpolation for a scale: area averaging only when shrinking 2× or more.

    Below 2× bilinear already reads every source pixel, and OpenCV's area filter at a
    fractional ratio (1920 → 1080 wide: 1.78×) costs ten times as much (8.5 ms against 0.8 ms
    per 1080×608 picture here), which a 30 fps program cannot afford on every new frame.
    """
    if from_width >= 2 * to_width and from_height >= 2 * to_height:
        return cv2.INTER_AREA
    return cv2.INTER_LINEAR


def peek_frame(source: VideoSource) -> VideoFrame | None:
    """The source's newest frame without marking it read.

    A second compositor reading the same source uses this, so the source's drop count keeps
    meaning "frames the horizontal program never showed" instead of being hidden by the
    other reader.
    """
    return source.slot.peek()


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
    filters: tuple = ()  # studio.scene.ItemFilter models, applied in order (studio.compositor.filters)


RenderPlan = tuple[LayerPlan, ...]


# Transitions between two plans (scenes): "fade" mixes them; "slide" pushes the old picture out to
# the left as the new one comes in from the right; "swipe" draws the new one in from the right over
# the old.  Both moves ease in and out (smoothstep).  "stinger" plays a video with alpha over the
# program (studio.compositor.stinger), the new scene under it from its cut point, for the video's
# length; without a usable stinger it is a fade.
TRANSITIONS = ("cut", "fade", "slide", "swipe", "stinger")
STINGER_FALLBACK_MS = 300  # the fade a stinger that cannot play gives way to (with no duration set)


@dataclass(frozen=True, slots=True)
class _Fade:
    """A transition under way (``kind`` one of TRANSITIONS but "cut")."""

    from_plan: RenderPlan
    start_ns: int
    duration_ns: int
    kind: str = "fade"
    stinger: Stinger | None = None  # kind "stinger": the video played over the program
    cut_ns: int = 0  # kind "stinger": from here on the new scene is under the video


@dataclass(slots=True)
class _Picture:
    """A layer's pixels at layer size; ``weights`` = (alpha, 1 − alpha) float32 for transparent sources."""

    image: np.ndarray
    weights: tuple[np.ndarray, np.ndarray] | None = None
    capture_ns: int | None = None  # of the source frame it was made from (None: a slate)
    has_timecode: bool = False  # the source stamped the CONTRACTS.md strip into it at capture
    is_own: bool = False  # scaled or converted here: not the source's frame (may be drawn on)

    @property
    def is_opaque(self) -> bool:
        return self.weights is None


@dataclass(slots=True)
class _LayerCache:
    frame_key: tuple[int, int]  # (id of frame image, sequence)
    geometry: tuple[int, int, tuple[int, int, int, int], tuple]  # size, crop, filters
    picture: _Picture


@dataclass(frozen=True, slots=True)
class CleanPicture:
    """The program picture before overlays and the latency probe (never written after publishing).

    ``capture_ns`` is the program frame's own time (its ``VideoFrame.capture_ns``);
    ``content_capture_ns`` is the capture time of the frame of the layer covering most of the
    canvas (the host's camera, the test pattern), ``None`` when no layer has a live frame.
    """

    image: np.ndarray
    capture_ns: int
    sequence: int
    content_capture_ns: int | None = None
    has_timecode: bool = False  # the main layer carries the CONTRACTS.md strip from capture


@dataclass(frozen=True, slots=True)
class _Content:
    capture_ns: int | None = None
    has_timecode: bool = False


def _transition_frame(kind: str, old: np.ndarray, new: np.ndarray, progress: float) -> np.ndarray:
    """The program ``progress`` (0..1) of the way from ``old`` to ``new``."""
    if kind == "fade":
        return cv2.addWeighted(new, progress, old, 1.0 - progress, 0.0)
    eased = progress * progress * (3.0 - 2.0 * progress)  # smoothstep: starts and lands gently
    width = old.shape[1]
    offset = min(width, max(0, round(eased * width)))
    if kind == "slide":
        canvas = np.empty_like(old)
        canvas[:, : width - offset] = old[:, offset:]
    else:  # swipe
        canvas = old.copy()
    canvas[:, width - offset :] = new[:, :offset]
    return canvas


class Compositor:
    """Clock-driven program renderer.  ``source_lookup(source_id)`` finds running sources.

    ``marks_frames_read``: the horizontal compositor reads source frames the usual way (a
    frame it never read counts as a source drop); a second compositor on the same sources
    passes False and peeks, so it neither steals frames nor hides drops.
    """

    thread_name = "compositor"

    def __init__(
        self, width: int, height: int, fps: float, source_lookup: Callable[[str], VideoSource | None], *, marks_frames_read: bool = True
    ) -> None:
        self.width = int(width)
        self.height = int(height)
        self.fps = float(fps)
        self._lookup = source_lookup
        self._read_frame: Callable[[VideoSource], VideoFrame | None] = VideoSource.latest_frame if marks_frames_read else peek_frame
        self._plan: RenderPlan = ()
        self._fade: _Fade | None = None
        self._overlays: tuple[Overlay, ...] = ()
        self._overlays_lock = threading.Lock()
        self.is_latency_probe_on = False
        self._cache: dict[str, _LayerCache] = {}
        self._subscribers: list[LatestSlot[VideoFrame]] = []
        self._subscribers_lock = threading.Lock()
        self._program: VideoFrame | None = None
        self._clean_subscribers: tuple[LatestSlot[CleanPicture], ...] = ()
        self._clean: CleanPicture | None = None  # made by render(), handed out by publish()
        self._content = _Content()
        self._is_canvas_borrowed = False  # the canvas is a source's own frame (never drawn on)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sequence = 0
        self.ticks = 0
        self.late_ticks = 0
        self.render_errors = 0
        self.render_ms: deque[float] = deque(maxlen=RENDER_HISTORY)
        # emit(): a fade ended, so the sources of the scene it left are no longer drawn
        # (emitted on the render thread).
        self.fade_finished = Signal()
        self.preview = PreviewFeed()  # the program at the preview's size, while one is shown
        self.filter_problem: str | None = None  # a picture tool that cannot run now, in words
        self._filter_states: dict[str, FilterState] = {}  # per item: segmentation and faces between frames
        self.filter_costs = FilterCosts(self.fps)  # per item: what its filters cost a frame
        self.stinger: Stinger | None = None  # the stinger a "stinger" transition plays (set_stinger)
        self.transition_problem: str | None = None  # why the last stinger take was a fade, in words

    # -- configuration (any thread) -----------------------------------------------------------
    def set_plan(self, plan: Iterable[LayerPlan], transition: str | None = None, duration_ms: int = 0) -> None:
        """Draw ``plan`` from now on, with ``transition`` from the plan drawn so far.

        ``None`` (a scene's layers changed, not a scene switch) is a cut, except that a stinger under
        way plays on over the new layers: a source of the new scene waking up and being fitted to
        its size mid-take must not pull the video off the program."""
        plan = tuple(plan)
        old_fade = self._fade
        if transition is None:
            if old_fade is not None and old_fade.stinger is not None:
                self._plan = plan
                return
            transition = "cut"
        if transition == "stinger" and self._plan != plan:
            self._fade = self._stinger_fade(duration_ms)
            if old_fade is not None and old_fade.stinger is not None and old_fade.stinger is not self._fade.stinger:
                old_fade.stinger.finish()
            self._plan = plan
            return
        moves = transition in TRANSITIONS and transition != "cut"
        if moves and duration_ms > 0 and self._plan != plan:
            self._fade = _Fade(self._plan, now_ns(), duration_ms * NS_PER_MS, transition)
        elif not moves or duration_ms <= 0:
            self._fade = None
        if old_fade is not None and old_fade.stinger is not None and self._fade is not old_fade:
            old_fade.stinger.finish()
        self._plan = plan

    def _stinger_fade(self, duration_ms: int) -> _Fade:
        """The stinger's playback from now — or a fade, with ``transition_problem`` saying why."""
        stinger, start_ns = self.stinger, now_ns()
        if stinger is not None and stinger.is_ready and stinger.duration_ms:
            self.transition_problem = None
            stinger.start()  # a playback still under way (a take during a take) starts over
            return _Fade(self._plan, start_ns, int(stinger.duration_ms * NS_PER_MS), "stinger", stinger, stinger.cut_ns())
        if stinger is None:
            problem = _("No stinger video is chosen; the scene changed with a fade.")
        elif stinger.problem:
            problem = _("The stinger cannot play ({reason}); the scene changed with a fade.").format(reason=stinger.problem)
        else:
            problem = _("The stinger video is still loading; the scene changed with a fade.")
        if problem != self.transition_problem:
            log.warning("%s", problem)
        self.transition_problem = problem
        return _Fade(self._plan, start_ns, (duration_ms if duration_ms > 0 else STINGER_FALLBACK_MS) * NS_PER_MS, "fade")

    def set_stinger(self, path: str | None, cut_point_ms: int = 0) -> Stinger | None:
        """Use the video at ``path`` (None: none) for "stinger" transitions; decoding starts at once on
        its own thread.  The same file and cut point again keep the one already decoded."""
        old = self.stinger
        if old is not None and path == old.path and int(cut_point_ms) == old.cut_point_ms:
            return old
        self.stinger = Stinger(path, cut_point_ms, self.width, self.height) if path else None
        if old is not None:
            fade = self._fade
            if fade is not None and fade.stinger is old:
                self._fade = None
            old.close()
        return self.stinger

    @property
    def plan(self) -> RenderPlan:
        return self._plan

    def source_ids_in_use(self) -> set[str]:
        """The sources this compositor draws now: its plan's, and during a fade the old scene's too."""
        ids = {layer.source_id for layer in self._plan}
        fade = self._fade
        if fade is not None:
            ids.update(layer.source_id for layer in fade.from_plan)
        return ids

    @property
    def is_transitioning(self) -> bool:
        fade = self._fade
        return fade is not None and now_ns() - fade.start_ns < fade.duration_ns

    def set_overlay(self, overlay: Overlay, *, starts_now: bool = False) -> None:
        """Show ``overlay`` (replacing the one with its id).  ``starts_now``: its enter motion starts
        at this moment, stamped under the lock, so every frame ticked from then on carries it (a
        time taken by the caller before the call could fall before a frame drawn without it)."""
        with self._overlays_lock:
            if starts_now:
                overlay.shown_ns = now_ns()
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

    def subscribe_clean(self) -> LatestSlot[CleanPicture]:
        """A latest-wins slot receiving the program before overlays (for the vertical canvas's auto layout)."""
        slot: LatestSlot[CleanPicture] = LatestSlot()
        with self._subscribers_lock:
            self._clean_subscribers = (*self._clean_subscribers, slot)
        return slot

    def unsubscribe_clean(self, slot: LatestSlot[CleanPicture]) -> None:
        with self._subscribers_lock:
            self._clean_subscribers = tuple(s for s in self._clean_subscribers if s is not slot)
        slot.close()

    # -- thread --------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        stinger, self.stinger = self.stinger, None
        if stinger is not None:
            stinger.close()
        with self._subscribers_lock:
            for slot in self._subscribers:
                slot.close()
            for clean_slot in self._clean_subscribers:
                clean_slot.close()

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        set_native_name(self.thread_name)
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
        clean, self._clean = self._clean, None
        if clean is not None:
            for clean_slot in self._clean_subscribers:
                clean_slot.put(clean)
        self._program = frame
        with self._subscribers_lock:
            subscribers = list(self._subscribers)
        for slot in subscribers:
            slot.put(frame)
        self.preview.feed(frame)  # after the consumers: encoders never wait for the preview

    def render(self, tick_ns: int | None = None) -> VideoFrame:
        """Render one program frame for ``tick_ns`` (callable without the thread: tests, bench)."""
        tick_ns = now_ns() if tick_ns is None else tick_ns
        started = now_ns()
        plan, fade, overlays = self._plan, self._fade, self._overlays
        wants_clean = bool(self._clean_subscribers)
        if fade is not None and tick_ns - fade.start_ns >= fade.duration_ns:
            if fade.stinger is not None:
                fade.stinger.finish()
            self._fade = fade = None
            self.fade_finished.emit()
        if fade is not None and fade.stinger is not None:
            elapsed_ns = tick_ns - fade.start_ns
            under = self._render_plan(fade.from_plan if elapsed_ns < fade.cut_ns else plan, writable=False)
            picture = fade.stinger.picture_at(elapsed_ns / NS_PER_MS)
            canvas = picture.blend_over(under) if picture is not None else under.copy()
            self._is_canvas_borrowed = False
        elif fade is not None:
            progress = min(1.0, max(0.0, (tick_ns - fade.start_ns) / fade.duration_ns))
            old = self._render_plan(fade.from_plan, writable=False)
            new = self._render_plan(plan, writable=False)
            canvas = _transition_frame(fade.kind, old, new, progress)
            self._is_canvas_borrowed = False
        else:
            canvas = self._render_plan(plan, writable=self._draws_on_top(overlays) and not wants_clean)
        content = self._content
        self._sequence += 1
        if wants_clean:
            clean_image = canvas
            if self._draws_on_top(overlays):
                canvas = canvas.copy()  # the clean picture stays as it is; overlays go on the copy
                self._is_canvas_borrowed = False
            self._clean = CleanPicture(clean_image, tick_ns, self._sequence, content.capture_ns, content.has_timecode)
        for overlay in overlays:
            overlay.blend_into(canvas, tick_ns)  # animations move on the frame's own clock
        self._stamp(canvas, tick_ns, content)
        self.ticks += 1
        self.render_ms.append((now_ns() - started) / NS_PER_MS)
        return VideoFrame(image=canvas, capture_ns=tick_ns, sequence=self._sequence)

    def _draws_on_top(self, overlays: tuple[Overlay, ...]) -> bool:
        """Whether anything is drawn over the layers (then the canvas must be our own array)."""
        return bool(overlays) or self.is_latency_probe_on

    def _stamp(self, canvas: np.ndarray, tick_ns: int, content: _Content) -> None:
        """The latency probe: the time-code strip with the composite time (CONTRACTS.md).

        A test pattern's own strip is drawn again at the canvas's width, over the cards and
        with its capture time: a card over the top band, or a pattern scaled to another canvas
        size, would otherwise leave the viewer's latency unknown for the whole show."""
        if self.is_latency_probe_on:
            draw_strip(canvas, media_to_wall_ms(tick_ns))
        elif content.has_timecode and content.capture_ns is not None and not self._is_canvas_borrowed:
            draw_strip(canvas, media_to_wall_ms(content.capture_ns))

    def _render_plan(self, plan: RenderPlan, writable: bool) -> np.ndarray:
        pictures = [(layer, self._layer_picture(layer)) for layer in plan]
        pictures = [(layer, picture) for layer, picture in pictures if picture is not None]
        self._content = self._main_content(pictures)
        self._is_canvas_borrowed = False
        if len(pictures) == 1 and not writable:
            layer, picture = pictures[0]
            if picture.is_opaque and layer.opacity >= 1.0 and layer.x == 0 and layer.y == 0 and picture.image.shape[:2] == (self.height, self.width):
                # One full-canvas opaque layer and nothing on top: the source's own frame is
                # the program frame — no copy at all.
                self._is_canvas_borrowed = not picture.is_own
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

    def _main_content(self, pictures: list[tuple[LayerPlan, _Picture]]) -> _Content:
        """The capture time of the layer covering most of the canvas (ties: the upper one).

        That layer is what a viewer calls "the picture" (the host's camera, the test pattern):
        its capture time is what a latency measured on this canvas should start from.
        """
        best_area, best = 0, _Content()
        for layer, picture in pictures:
            if picture.capture_ns is None:
                continue
            visible_w = min(self.width, layer.x + layer.width) - max(0, layer.x)
            visible_h = min(self.height, layer.y + layer.height) - max(0, layer.y)
            area = max(0, visible_w) * max(0, visible_h)
            if area > 0 and area >= best_area:
                best_area, best = area, _Content(picture.capture_ns, picture.has_timecode)
        return best

    def _layer_picture(self, layer: LayerPlan) -> _Picture | None:
        """The layer's source picture cropped and scaled to the layer size (cached per frame)."""
        source = self._lookup(layer.source_id)
        frame = self._read_frame(source) if source is not None else None
        if source is None or source.state in (SourceState.NO_SIGNAL, SourceState.FAILED) or (frame is None and source.state is SourceState.STOPPED):
            name = source.name if source is not None else layer.source_id
            detail = (source.state_message if source is not None and source.state_message else _("Reconnecting…")) if source is not None else _("Source missing")
            return _Picture(render_slate(layer.width, layer.height, _("No signal — {name}").format(name=name), detail[:120]))
        if frame is None:
            return None
        frame_key = (id(frame.image), frame.sequence)
        geometry = (layer.width, layer.height, layer.crop, layer.filters)
        cached = self._cache.get(layer.item_id)
        if cached is not None and cached.frame_key == frame_key and cached.geometry == geometry:
            return cached.picture
        image = self._fit(frame.image, layer)
        alpha_plane = self._fit(frame.alpha, layer) if frame.alpha is not None else None
        if layer.filters:
            filters_started = now_ns()
            state = self._filter_states.setdefault(layer.item_id, FilterState())
            image, alpha_plane, problem = apply_filters(image, alpha_plane, layer.filters, state)
            self.filter_costs.record(layer.item_id, source.name, (now_ns() - filters_started) / NS_PER_MS)
            if problem is not None and problem != self.filter_problem:
                log.warning("%s", problem)
            self.filter_problem = problem
        weights = None
        if alpha_plane is not None:
            alpha = alpha_plane.astype(np.float32) * (1.0 / 255.0)
            weights = (alpha, 1.0 - alpha)
        is_own = image is not frame.image and not np.may_share_memory(image, frame.image)
        picture = _Picture(image, weights, frame.capture_ns, bool(getattr(source, "stamps_timecode", False)), is_own)
        self._cache[layer.item_id] = _LayerCache(frame_key, geometry, picture)
        if len(self._cache) > 256:
            self._cache.clear()
            self._filter_states.clear()
        return picture

    @staticmethod
    def _fit(image: np.ndarray, layer: LayerPlan) -> np.ndarray:
        """Crop then scale a source picture (or its alpha plane) to the layer's size."""
        left, top, right, bottom = layer.crop
        if left or top or right or bottom:
            h, w = image.shape[:2]
            image = image[min(top, h - 1) : max(min(top, h - 1) + 1, h - bottom), min(left, w - 1) : max(min(left, w - 1) + 1, w - right)]
        if image.shape[1] != layer.width or image.shape[0] != layer.height:
            image = cv2.resize(image, (layer.width, layer.height), interpolation=scale_interpolation(image.shape[1], image.shape[0], layer.width, layer.height))
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
    @property
    def filter_notice(self) -> str | None:
        """In words, when an item's filters make the program late (read once a second by the UI)."""
        self.filter_costs.forget_except(layer.item_id for layer in self._plan)
        return self.filter_costs.notice(self.render_ms, self.late_ticks)

    def consumer_drops(self) -> int:
        with self._subscribers_lock:
            return sum(slot.dropped for slot in self._subscribers)
