"""Wires one show: sources → compositor(s) → consumers (preview, encoders, recorder), plus audio.

The horizontal program is ``studio.compositor``.  When the collection has a vertical canvas,
``studio.vertical_compositor`` makes the 9:16 program from the same running sources (captured
once); ``compositor_for(CanvasRole)`` picks either.  With the vertical canvas off there is no
second compositor, no thread and no extra work in the horizontal one.

``Studio`` is the engine's single entry point for the UI, the CLI and tests.  Its methods
are called from one controlling thread (the GUI thread in the app); none of them waits for
media: sources start and stop on their own threads, the compositor reads an immutable
render plan swapped in atomically, and files are read by callers off that thread
(``read_collection``) before ``apply_collection`` swaps them in.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from studio import scene as scene_io
from studio.audio import AudioInput, AudioMixer, create_input, list_input_devices
from studio.core.clock import now_ns
from studio.compositor import Compositor, LayerPlan
from studio.compositor.vertical import VerticalCompositor
from studio.core.errors import SourceError, StudioError
from studio.core.events import Signal
from studio.core.i18n import _
from studio.overlays import Overlay
from studio.scene import (
    DEFAULT_VERTICAL_HEIGHT,
    DEFAULT_VERTICAL_WIDTH,
    AudioInputSpec,
    CanvasRole,
    Canvas,
    ItemTransform,
    Scene,
    SceneCollection,
    SceneItem,
    SourceSpec,
    Transition,
    VerticalCanvas,
    VerticalLayout,
    fit_rect,
    own_size_rect,
    vertical_transform,
)
from studio.settings import Settings
from studio.sources import create_source
from studio.sources.base import SourceState, VideoSource

log = logging.getLogger(__name__)

# OpenCV's parallel_for keeps its worker threads spinning between calls; for the small,
# frequent jobs here (a preview scale, one conversion per frame) they cost more than they
# save on a machine whose cores the encoders already fill.  Measured with `bridgecast bench
# app`: idle app 17.9/18.9 → 14.0/15.0 % of a core; live app 46.9 → 43.7, headless 36.9 → 34.9.
OPENCV_THREADS = 1


def limit_opencv_threads() -> None:
    """Run OpenCV's functions on the calling thread (``BRIDGECAST_OPENCV_THREADS=N`` overrides)."""
    import cv2

    try:
        threads = int(os.environ.get("BRIDGECAST_OPENCV_THREADS", OPENCV_THREADS))
    except ValueError:
        threads = OPENCV_THREADS
    cv2.setNumThreads(max(0, threads))


def default_collection(canvas: Canvas | None = None, transition: Transition | None = None, microphone: str | None | bool = False) -> SceneCollection:
    """The collection a first start opens with: a test-pattern scene that always works.

    ``microphone``: False = no audio input; None = the system default input; a string =
    that device.
    """
    canvas = canvas or Canvas()
    audio_inputs = []
    if microphone is not False:
        audio_inputs.append(AudioInputSpec(kind="device", name=_("Microphone"), settings={"device_id": microphone}))
    pattern = SourceSpec(kind="testpattern", name=_("Test pattern"), settings={"width": canvas.width, "height": canvas.height, "fps": canvas.fps})
    main = Scene(name=_("Main"), items=[SceneItem(source_id=pattern.id, width=canvas.width, height=canvas.height)])
    return SceneCollection(
        name=_("My show"),
        canvas=canvas,
        transition=transition or Transition(),
        sources=[pattern],
        audio_inputs=audio_inputs,
        scenes=[main],
        current_scene=main.id,
    )


class Studio:
    """One show's engine.  Create, ``start()``, drive with methods, ``stop()``."""

    def __init__(self, settings: Settings | None = None, collection: SceneCollection | None = None) -> None:
        limit_opencv_threads()
        self.settings = settings or Settings()
        if collection is None:
            video = self.settings.video
            canvas = Canvas(width=video.canvas_width, height=video.canvas_height, fps=video.fps)
            collection = default_collection(canvas, Transition(kind=video.transition, duration_ms=video.transition_ms), self._default_microphone())
        self.collection = collection
        self.mixer = AudioMixer(block_ms=self.settings.audio.block_ms)
        self.sources: dict[str, VideoSource] = {}
        self._pending_fit: set[tuple[str, str]] = set()  # (scene_id, item_id) to refit on first frame
        self._lock = threading.RLock()
        self.compositor = self._make_compositor(collection.canvas)
        self.compositor.is_latency_probe_on = self.settings.video.latency_probe
        self.vertical_compositor: VerticalCompositor | None = self._make_vertical_compositor(collection)
        self.collection_changed = Signal()  # emit(what=str)
        # emit(role=CanvasRole, is_on=bool, width=int|None, height=int|None): a canvas appeared,
        # changed size or went away; its compositor is new, so per-canvas overlays are laid out again.
        self.canvases_changed = Signal()
        self.current_scene_changed = Signal()  # emit(scene_id=str)
        self.source_state_changed = Signal()  # emit(source_id, state, message)
        self._is_started = False
        self._canvas_holders: set[object] = set()  # outputs whose encoders depend on the canvas size
        self._vertical_holders: set[object] = set()  # the same for the vertical canvas
        self._process = psutil.Process(os.getpid())
        self._process.cpu_percent(None)

    def _default_microphone(self) -> str | None | bool:
        """The configured microphone, the system default if any input exists, else none."""
        chosen = self.settings.audio.microphone
        if chosen == "":
            return False
        if chosen is not None:
            return chosen
        try:
            return None if list_input_devices() else False
        except Exception:  # PortAudio missing: the app still opens, without a microphone
            log.warning("no audio input devices available", exc_info=True)
            return False

    def _make_compositor(self, canvas: Canvas) -> Compositor:
        compositor = Compositor(canvas.width, canvas.height, canvas.fps, self.sources.get)
        compositor.fade_finished.connect(self._update_wakefulness)
        return compositor

    def _make_vertical_compositor(self, collection: SceneCollection) -> VerticalCompositor | None:
        vertical = collection.vertical_canvas
        if vertical is None:
            return None
        compositor = VerticalCompositor(vertical.width, vertical.height, collection.canvas.fps, self.sources.get)
        compositor.is_latency_probe_on = self.compositor.is_latency_probe_on
        compositor.follow(self.compositor)
        return compositor

    def compositor_for(self, role: CanvasRole | str) -> Compositor | None:
        """The compositor of a canvas: the horizontal one always, the vertical one when it is on."""
        return self.compositor if CanvasRole(role) is CanvasRole.HORIZONTAL else self.vertical_compositor

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            for spec in self.collection.sources:
                self._start_source(spec)
            self._is_started = True
            self._update_plan(transition=False)
            self._load_audio_inputs(self.collection.audio_inputs)
        self.compositor.start()
        if self.vertical_compositor is not None:
            self.vertical_compositor.start()
        self.mixer.start()

    def stop(self) -> None:
        """Stop everything and join every thread (blocking; used at exit and in tests)."""
        if self.vertical_compositor is not None:
            self.vertical_compositor.stop()
        self.compositor.stop()
        self.mixer.stop()
        with self._lock:
            sources = list(self.sources.values())
            self.sources.clear()
            self._is_started = False
        for source in sources:
            source.request_stop()
        for source in sources:
            source.stop()

    @property
    def is_started(self) -> bool:
        return self._is_started

    def _start_source(self, spec: SourceSpec) -> VideoSource:
        source = create_source(spec.kind, spec.id, spec.name, spec.settings)
        source.state_changed.connect(self._on_source_state)
        # Born asleep unless a running canvas draws it: a source in no scene on air decodes nothing.
        source.set_awake(spec.id in self._sources_on_air())
        self.sources[spec.id] = source
        source.start()
        return source

    # -- sleeping sources ------------------------------------------------------------------------
    def _sources_on_air(self) -> set[str]:
        """Sources some canvas draws now (the program scene, a fade's old scene, the vertical layout)."""
        on_air = self.compositor.source_ids_in_use()
        if self.vertical_compositor is not None:
            on_air |= self.vertical_compositor.source_ids_in_use()
        return on_air

    def _update_wakefulness(self) -> None:
        """Wake the sources a canvas draws and put the others to sleep (never waits for them)."""
        with self._lock:
            on_air = self._sources_on_air()
            for source_id, source in self.sources.items():
                source.set_awake(source_id in on_air)

    def _retire_source(self, source: VideoSource) -> None:
        """Stop a source without making the caller wait for its capture thread."""
        source.state_changed.disconnect(self._on_source_state)
        source.request_stop()
        threading.Thread(target=source.stop, name=f"retire:{source.source_id}", daemon=True).start()

    def _on_source_state(self, source: VideoSource, state: SourceState, message: str) -> None:
        if state is SourceState.ACTIVE:
            self._refit_pending(source)
        self.source_state_changed.emit(source_id=source.source_id, state=state, message=message)

    # -- audio -----------------------------------------------------------------------------
    def _load_audio_inputs(self, specs: list[AudioInputSpec]) -> None:
        for audio_input in self.mixer.inputs:
            self.mixer.remove_input(audio_input)
            audio_input.stop()
        for spec in specs:
            try:
                self.mixer.add_input(create_input(spec.kind, spec.id, spec.name, **spec.settings))
            except (ValueError, TypeError) as exc:  # a bad entry must not stop the others
                log.warning("audio input %s skipped: %s", spec.id, exc)

    def add_audio_input(self, kind: str, name: str, **settings: Any) -> AudioInput:
        """Add a microphone ("device", ``device_id=None`` = default) or a test tone ("tone")."""
        spec = AudioInputSpec(kind=kind, name=name, settings=settings)
        audio_input = create_input(spec.kind, spec.id, spec.name, **spec.settings)
        self.mixer.add_input(audio_input)
        self.collection_changed.emit(what="audio")
        return audio_input

    def remove_audio_input(self, input_id: str) -> None:
        removed = self.mixer.remove_input(input_id)
        if removed is not None:
            threading.Thread(target=removed.stop, name=f"retire:{input_id}", daemon=True).start()
            self.collection_changed.emit(what="audio")

    def _audio_specs(self) -> list[AudioInputSpec]:
        """The mixer's inputs as saved data (their strips change directly from the mixer UI)."""
        specs = []
        for audio_input in self.mixer.inputs:
            data = audio_input.describe()
            kind, input_id, name = data.pop("kind"), data.pop("id"), data.pop("name")
            specs.append(AudioInputSpec(id=input_id, kind=kind, name=name, settings=data))
        return specs

    # -- render plan -------------------------------------------------------------------------
    def current_scene(self) -> Scene | None:
        current = self.collection.current_scene
        return self.collection.scene(current) if current else None

    def _plan_for(self, scene: Scene | None) -> tuple[LayerPlan, ...]:
        if scene is None:
            return ()
        return tuple(
            LayerPlan(
                item_id=item.id,
                source_id=item.source_id,
                x=item.x,
                y=item.y,
                width=item.width,
                height=item.height,
                crop=(item.crop.left, item.crop.top, item.crop.right, item.crop.bottom),
                opacity=item.opacity,
            )
            for item in scene.items
            if item.is_visible and item.opacity > 0
        )

    def _vertical_plan_for(self, scene: Scene | None) -> tuple[LayerPlan, ...]:
        """The vertical layers of a "manual" scene (an "auto" scene is cut from the horizontal program)."""
        vertical = self.collection.vertical_canvas
        if scene is None or vertical is None or scene.vertical_layout is not VerticalLayout.MANUAL:
            return ()
        plan = []
        for item in scene.items:
            if not item.is_visible or item.opacity <= 0:
                continue
            placed = vertical_transform(item, self.collection.canvas, vertical)
            if not placed.is_visible:
                continue
            plan.append(
                LayerPlan(
                    item_id=item.id,
                    source_id=item.source_id,
                    x=placed.x,
                    y=placed.y,
                    width=placed.width,
                    height=placed.height,
                    crop=(placed.crop.left, placed.crop.top, placed.crop.right, placed.crop.bottom),
                    opacity=item.opacity,
                )
            )
        return tuple(plan)

    def _update_plan(self, transition: bool) -> None:
        plan = self._plan_for(self.current_scene())
        t = self.collection.transition
        if transition:
            self.compositor.set_plan(plan, t.kind, t.duration_ms)
        else:
            self.compositor.set_plan(plan)
        self._update_vertical_plan(None, None)
        self._update_wakefulness()

    def _update_vertical_plan(self, kind: str | None, duration_ms: int | None) -> None:
        """Give the vertical compositor the current scene's layout; a fade only between two manual layouts."""
        vertical = self.vertical_compositor
        if vertical is None:
            return
        scene = self.current_scene()
        layout = scene.vertical_layout if scene is not None else VerticalLayout.AUTO
        plan = self._vertical_plan_for(scene)
        if kind is not None and duration_ms is not None and layout is VerticalLayout.MANUAL and vertical.layout is VerticalLayout.MANUAL:
            vertical.set_plan(plan, kind, duration_ms)
        else:
            vertical.set_plan(plan)
        vertical.set_layout(layout)

    # -- scenes ------------------------------------------------------------------------------
    def add_scene(self, name: str) -> Scene:
        with self._lock:
            scene = Scene(name=name)
            self.collection.scenes.append(scene)
            if self.collection.current_scene is None:
                self.collection.current_scene = scene.id
                self._update_plan(transition=False)
        self.collection_changed.emit(what="scenes")
        return scene

    def remove_scene(self, scene_id: str) -> None:
        with self._lock:
            scenes = self.collection.scenes
            index = next((i for i, s in enumerate(scenes) if s.id == scene_id), None)
            if index is None:
                return
            scenes.pop(index)
            if self.collection.current_scene == scene_id:
                self.collection.current_scene = scenes[min(index, len(scenes) - 1)].id if scenes else None
                self._update_plan(transition=False)
                self.current_scene_changed.emit(scene_id=self.collection.current_scene)
        self.collection_changed.emit(what="scenes")

    def rename_scene(self, scene_id: str, name: str) -> None:
        with self._lock:
            scene = self.collection.scene(scene_id)
            if scene is None or not name.strip():
                return
            scene.name = name.strip()
        self.collection_changed.emit(what="scenes")

    def switch_scene(self, scene_id: str, transition: str | None = None, duration_ms: int | None = None) -> None:
        """Make ``scene_id`` the program; ``transition`` overrides the collection's (cut/fade)."""
        with self._lock:
            if self.collection.scene(scene_id) is None or scene_id == self.collection.current_scene:
                return
            self.collection.current_scene = scene_id
            t = self.collection.transition
            kind = transition or t.kind
            duration = t.duration_ms if duration_ms is None else duration_ms
            self.compositor.set_plan(self._plan_for(self.current_scene()), kind, duration)
            self._update_vertical_plan(kind, duration)
            self._update_wakefulness()
        self.current_scene_changed.emit(scene_id=scene_id)

    def set_transition(self, kind: str, duration_ms: int) -> None:
        with self._lock:
            self.collection.transition = Transition(kind=kind, duration_ms=duration_ms)
        self.collection_changed.emit(what="transition")

    # -- sources and items -----------------------------------------------------------------------
    def add_source(self, kind: str, name: str, settings: dict[str, Any] | None = None, scene_id: str | None = None) -> tuple[SourceSpec, SceneItem | None]:
        """Create a source and place it in a scene: full-canvas until its size is known, then a
        picture at its own size, centred, anything else fitted to the canvas keeping its shape."""
        with self._lock:
            canvas = self.collection.canvas
            settings = dict(settings or {})
            if kind == "testpattern":
                settings.setdefault("width", canvas.width)
                settings.setdefault("height", canvas.height)
                settings.setdefault("fps", canvas.fps)
            spec = SourceSpec(kind=kind, name=name, settings=settings)
            if self._is_started:
                self._start_source(spec)  # raises SourceError for an unknown kind before the model changes
            self.collection.sources.append(spec)
            item = None
            scene = self.collection.scene(scene_id or self.collection.current_scene or "")
            if scene is not None:
                item = SceneItem(source_id=spec.id, width=canvas.width, height=canvas.height)
                scene.items.append(item)
                self._pending_fit.add((scene.id, item.id))
                self._update_plan(transition=False)
        self.collection_changed.emit(what="sources")
        source = self.sources.get(spec.id)
        if source is not None and source.state is SourceState.ACTIVE:
            self._refit_pending(source)
        return spec, item

    def add_item(self, scene_id: str, source_id: str) -> SceneItem | None:
        """Show an existing source in another scene too."""
        with self._lock:
            scene = self.collection.scene(scene_id)
            if scene is None or self.collection.source(source_id) is None:
                return None
            canvas = self.collection.canvas
            item = SceneItem(source_id=source_id, width=canvas.width, height=canvas.height)
            scene.items.append(item)
            self._pending_fit.add((scene.id, item.id))
            self._update_plan(transition=False)
        self.collection_changed.emit(what="items")
        return item

    def _refit_pending(self, source: VideoSource) -> None:
        size = source.natural_size()
        if size is None:
            return
        changed = False
        with self._lock:
            for scene in self.collection.scenes:
                for item in scene.items:
                    key = (scene.id, item.id)
                    if item.source_id == source.source_id and key in self._pending_fit:
                        self._pending_fit.discard(key)
                        canvas = self.collection.canvas
                        # A picture (product card, logo) keeps its own size; a camera, video
                        # or pattern fills the canvas as far as its shape allows.
                        place = own_size_rect if source.kind == "image" else fit_rect
                        x, y, w, h = place(size[0], size[1], canvas.width, canvas.height)
                        item.x, item.y, item.width, item.height = x, y, w, h
                        changed = True
            if changed:
                self._update_plan(transition=False)
        if changed:
            self.collection_changed.emit(what="items")

    def remove_source(self, source_id: str) -> None:
        with self._lock:
            spec = self.collection.source(source_id)
            if spec is None:
                return
            for scene in self.collection.scenes:
                scene.items = [item for item in scene.items if item.source_id != source_id]
            self.collection.sources.remove(spec)
            self._update_plan(transition=False)
            source = self.sources.pop(source_id, None)
        if source is not None:
            self._retire_source(source)
        self.collection_changed.emit(what="sources")

    def update_source(self, source_id: str, name: str | None = None, settings: dict[str, Any] | None = None) -> None:
        """Rename and/or reconfigure (e.g. a capture-card mode); the capture thread restarts."""
        with self._lock:
            spec = self.collection.source(source_id)
            if spec is None:
                return
            if name:
                spec.name = name
            if settings is not None:
                spec.settings = {**spec.settings, **settings}
                old = self.sources.pop(source_id, None)
                if old is not None:
                    self._retire_source(old)
                if self._is_started:
                    self._start_source(spec)
            elif name and source_id in self.sources:
                self.sources[source_id].name = name
        self.collection_changed.emit(what="sources")

    def update_item(self, scene_id: str, item_id: str, **fields: Any) -> None:
        """Change an item's x, y, width, height, crop, opacity, is_visible or vertical (validated)."""
        with self._lock:
            scene = self.collection.scene(scene_id)
            item = next((i for i in scene.items if i.id == item_id), None) if scene else None
            if item is None:
                return
            # Validated as a whole (raises before anything changes); nested fields given as dicts
            # (crop, vertical) become their models instead of being stored raw.
            updated = SceneItem.model_validate({**item.model_dump(), **fields})
            scene.items[scene.items.index(item)] = updated
            self._pending_fit.discard((scene_id, item_id))
            if scene_id == self.collection.current_scene:
                self._update_plan(transition=False)
        self.collection_changed.emit(what="items")

    def update_vertical_item(self, scene_id: str, item_id: str, **fields: Any) -> None:
        """Change an item's place on the vertical canvas (x, y, width, height, crop, is_visible).

        The first change starts from where the item is shown now (its default placement);
        ``reset=True`` goes back to the default (``vertical`` = None).
        """
        with self._lock:
            scene = self.collection.scene(scene_id)
            item = next((i for i in scene.items if i.id == item_id), None) if scene else None
            if item is None:
                return
            if fields.pop("reset", False):
                transform = None
            else:
                vertical = self.collection.vertical_canvas or VerticalCanvas()
                current = vertical_transform(item, self.collection.canvas, vertical)
                transform = ItemTransform.model_validate({**current.model_dump(), **fields})  # raises before anything changes
            scene.items[scene.items.index(item)] = item.model_copy(update={"vertical": transform})
            if scene_id == self.collection.current_scene:
                self._update_vertical_plan(None, None)
                self._update_wakefulness()
        self.collection_changed.emit(what="items")

    def set_vertical_layout(self, scene_id: str, layout: VerticalLayout | str) -> None:
        """"auto" (cut from the horizontal program following the host) or "manual" for one scene."""
        layout = VerticalLayout(layout)
        with self._lock:
            scene = self.collection.scene(scene_id)
            if scene is None or scene.vertical_layout is layout:
                return
            scene.vertical_layout = layout
            if scene_id == self.collection.current_scene:
                self._update_vertical_plan(None, None)
                self._update_wakefulness()
        self.collection_changed.emit(what="scenes")

    def move_item(self, scene_id: str, item_id: str, steps: int) -> None:
        """Change z-order: positive moves towards the top."""
        with self._lock:
            scene = self.collection.scene(scene_id)
            if scene is None:
                return
            index = next((i for i, item in enumerate(scene.items) if item.id == item_id), None)
            if index is None:
                return
            target = max(0, min(len(scene.items) - 1, index + steps))
            scene.items.insert(target, scene.items.pop(index))
            if scene_id == self.collection.current_scene:
                self._update_plan(transition=False)
        self.collection_changed.emit(what="items")

    def remove_item(self, scene_id: str, item_id: str) -> None:
        with self._lock:
            scene = self.collection.scene(scene_id)
            if scene is None:
                return
            scene.items = [item for item in scene.items if item.id != item_id]
            if scene_id == self.collection.current_scene:
                self._update_plan(transition=False)
        self.collection_changed.emit(what="items")

    # -- overlays ------------------------------------------------------------------------------
    def set_overlay(
        self, overlay_id: str, rgba: np.ndarray, x: int, y: int, z: int = 0, opacity: float = 1.0, canvas: CanvasRole | str = CanvasRole.HORIZONTAL
    ) -> None:
        """Place an RGBA card on one canvas's program (x, y in that canvas's pixels).

        Each canvas has its own overlays: a card laid out for 9:16 goes on the vertical one.
        With the vertical canvas off, a vertical card is ignored; ``canvases_changed`` says
        when to lay the cards out again.
        """
        compositor = self.compositor_for(canvas)
        if compositor is not None:
            compositor.set_overlay(Overlay(overlay_id, rgba, x=x, y=y, z=z, opacity=opacity))

    def remove_overlay(self, overlay_id: str, canvas: CanvasRole | str = CanvasRole.HORIZONTAL) -> None:
        compositor = self.compositor_for(canvas)
        if compositor is not None:
            compositor.remove_overlay(overlay_id)

    def set_latency_probe(self, is_on: bool) -> None:
        """The time-code strip on every canvas's program (the vertical one with its content's time)."""
        self.compositor.is_latency_probe_on = bool(is_on)
        if self.vertical_compositor is not None:
            self.vertical_compositor.is_latency_probe_on = bool(is_on)
        self.settings.video.latency_probe = bool(is_on)

    # -- the vertical canvas -------------------------------------------------------------------------
    @property
    def has_vertical_canvas(self) -> bool:
        return self.vertical_compositor is not None

    def enable_vertical_canvas(self, width: int = DEFAULT_VERTICAL_WIDTH, height: int = DEFAULT_VERTICAL_HEIGHT) -> VerticalCompositor:
        """Turn the vertical canvas on, or change its size (a new compositor; its overlays go).

        Raises ``StudioError`` (nothing changes) to resize it while an output holds it, and
        ``ValidationError`` for a size no encoder takes (odd, out of range).
        """
        canvas = VerticalCanvas(width=width, height=height)
        with self._lock:
            if self.vertical_compositor is not None and self.collection.vertical_canvas == canvas:
                return self.vertical_compositor
            self._check_vertical_free()
            self.collection.vertical_canvas = canvas
        self._replace_vertical_compositor()
        self.collection_changed.emit(what="canvas")
        return self.vertical_compositor  # type: ignore[return-value]

    def disable_vertical_canvas(self) -> None:
        """Turn the vertical canvas off: its compositor and thread stop; no work remains."""
        with self._lock:
            if self.collection.vertical_canvas is None and self.vertical_compositor is None:
                return
            self._check_vertical_free()
            self.collection.vertical_canvas = None
        self._replace_vertical_compositor()
        self.collection_changed.emit(what="canvas")

    def vertical_safe_box(self) -> tuple[int, int, int, int] | None:
        """(x, y, w, h) on the vertical canvas that clears TikTok, Reels and Shorts UI (None when off):
        where vertical cards belong."""
        vertical = self.collection.vertical_canvas
        return scene_io.vertical_safe_box(vertical.width, vertical.height) if vertical is not None else None

    def _check_vertical_free(self) -> None:
        if self._vertical_holders:
            raise StudioError(_("Stop the vertical live streams before changing the vertical canvas."))

    def _replace_vertical_compositor(self) -> None:
        """Stop the old vertical compositor, make the one the collection asks for, start it if the show runs."""
        old, self.vertical_compositor = self.vertical_compositor, None
        if old is not None:
            old.stop()
        with self._lock:
            self.vertical_compositor = self._make_vertical_compositor(self.collection)
            self._update_vertical_plan(None, None)
            self._update_wakefulness()
        if self.vertical_compositor is not None and self._is_started:
            self.vertical_compositor.start()
        vertical = self.collection.vertical_canvas
        self.canvases_changed.emit(
            role=CanvasRole.VERTICAL,
            is_on=vertical is not None,
            width=vertical.width if vertical else None,
            height=vertical.height if vertical else None,
        )

    # -- collections -------------------------------------------------------------------------------
    @staticmethod
    def read_collection(path: str | os.PathLike[str]) -> SceneCollection:
        """Read and validate a file (call off the GUI thread); raises SceneFileError in words."""
        return scene_io.load_collection(path)

    def hold_canvas(self, holder: object, canvas: CanvasRole | str = CanvasRole.HORIZONTAL) -> None:
        """An output (e.g. a live stream) needs a canvas's size and compositor to stay put."""
        holders = self._canvas_holders if CanvasRole(canvas) is CanvasRole.HORIZONTAL else self._vertical_holders
        holders.add(holder)

    def release_canvas(self, holder: object) -> None:
        self._canvas_holders.discard(holder)
        self._vertical_holders.discard(holder)

    def apply_collection(self, collection: SceneCollection) -> None:
        """Swap in an already validated collection; the old one keeps running until then.

        Raises ``StudioError`` (nothing changes) when the canvas size would change while an
        output such as a live stream holds it.
        """
        if self._canvas_holders and collection.canvas != self.collection.canvas:
            raise StudioError(_("Stop the live stream before opening a show with a different canvas size or frame rate."))
        vertical_changed = collection.vertical_canvas != self.collection.vertical_canvas or collection.canvas.fps != self.collection.canvas.fps
        if self._vertical_holders and vertical_changed:
            raise StudioError(_("Stop the vertical live streams before changing the vertical canvas."))
        was_started = self._is_started
        with self._lock:
            old_sources = list(self.sources.values())
            self.sources.clear()
            canvas_changed = collection.canvas != self.collection.canvas
            self.collection = collection
            self._pending_fit.clear()
        for source in old_sources:
            self._retire_source(source)
        if vertical_changed and self.vertical_compositor is not None:
            self.vertical_compositor.stop()
        if canvas_changed:
            self.compositor.stop()
            probe = self.compositor.is_latency_probe_on
            self.compositor = self._make_compositor(collection.canvas)
            self.compositor.is_latency_probe_on = probe
            if self.vertical_compositor is not None and not vertical_changed:
                self.vertical_compositor.follow(self.compositor)
        if vertical_changed:
            self.vertical_compositor = self._make_vertical_compositor(collection)
        with self._lock:
            if was_started:
                for spec in collection.sources:
                    try:
                        self._start_source(spec)
                    except SourceError as exc:  # its layers show the "source missing" slate
                        log.warning("source %s not started: %s", spec.id, exc)
            self._update_plan(transition=False)
            if was_started:
                self._load_audio_inputs(collection.audio_inputs)
        if was_started and canvas_changed:
            self.compositor.start()
        if was_started and vertical_changed and self.vertical_compositor is not None:
            self.vertical_compositor.start()
        if vertical_changed:
            vertical = collection.vertical_canvas
            self.canvases_changed.emit(
                role=CanvasRole.VERTICAL, is_on=vertical is not None, width=vertical.width if vertical else None, height=vertical.height if vertical else None
            )
        self.collection_changed.emit(what="collection")
        self.current_scene_changed.emit(scene_id=collection.current_scene)

    def save_collection(self, path: str | os.PathLike[str]) -> None:
        scene_io.save_collection(self.snapshot_collection(), Path(path))

    def snapshot_collection(self) -> SceneCollection:
        """A deep copy of the show as it is now, audio strips included."""
        with self._lock:
            snapshot = self.collection.model_copy(deep=True)
        if self._is_started:
            snapshot.audio_inputs = self._audio_specs()
        return snapshot

    # -- stats -----------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Numbers for the status bar: fps, render time, late ticks, dropped frames, CPU."""
        renders = sorted(self.compositor.render_ms)
        source_drops = sum(s.dropped_frames for s in self.sources.values())
        return {
            "fps_target": self.compositor.fps,
            "ticks": self.compositor.ticks,
            "render_ms_p50": renders[len(renders) // 2] if renders else None,
            "late_ticks": self.compositor.late_ticks,
            "dropped_frames": source_drops + self.compositor.consumer_drops(),
            "cpu_percent": self._process.cpu_percent(None),
            "t_ns": now_ns(),
            "vertical": self._vertical_stats(),
        }

    def _vertical_stats(self) -> dict[str, Any] | None:
        """The vertical program's numbers (None when the canvas is off); drops are its own."""
        vertical = self.vertical_compositor
        if vertical is None:
            return None
        renders = sorted(vertical.render_ms)
        return {
            "width": vertical.width,
            "height": vertical.height,
            "layout": vertical.layout.value,
            "ticks": vertical.ticks,
            "render_ms_p50": renders[len(renders) // 2] if renders else None,
            "late_ticks": vertical.late_ticks,
            "missed_pictures": vertical.missed_pictures,
            "dropped_frames": vertical.missed_pictures + vertical.consumer_drops(),
        }
