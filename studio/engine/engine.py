"""Wires one show: sources → compositor(s) → consumers (preview, encoders, recorder), plus audio.

The horizontal program is ``studio.compositor``.  When the collection has a vertical canvas,
``studio.vertical`` (:mod:`studio.engine.vertical`) makes the 9:16 program from the same
running sources (captured once); ``compositor_for(CanvasRole)`` picks either.  With the
vertical canvas off there is no second compositor, no thread and no extra work.

``Studio`` is the engine's single entry point for the UI, the CLI and tests.  Its methods
are called from one controlling thread (the GUI thread in the app); none of them waits for
media: sources start and stop on their own threads, the compositor reads an immutable
render plan swapped in atomically, and files are read by callers off that thread
(``read_collection``) before ``apply_collection`` swaps them in.

Its parts, each with one job: :class:`~studio.engine.running_sources.RunningSources` (the
capture threads, asleep unless on air), :class:`~studio.engine.audio_inputs.ShowAudioInputs`
(``studio.audio_inputs``), :class:`~studio.engine.vertical.VerticalCanvasControl`
(``studio.vertical``), :class:`~studio.engine.items.SceneItems` (``studio.items``),
:class:`~studio.engine.studio_mode.StudioMode` (``studio.studio_mode``: preview, then take) and the plan
builders in :mod:`studio.engine.plans`.  What stays here (about thirty methods, over the ~25
the team aims for) is the show's own vocabulary — lifecycle, scenes, sources, overlays,
canvas holds, collections — each a few lines under the one lock that the parts share; a
further split would hand that lock and the re-plan step around to more parts than it saves.
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
from studio.audio import AudioMixer
from studio.compositor import Compositor
from studio.compositor.vertical import VerticalCompositor
from studio.core.clock import now_ns
from studio.core.errors import SourceError, StudioError
from studio.core.events import Signal
from studio.core.i18n import _
from studio.engine.audio_inputs import ShowAudioInputs, default_microphone
from studio.engine.items import SceneItems
from studio.engine.plans import horizontal_plan
from studio.engine.running_sources import RunningSources
from studio.engine.stinger_strip import StingerStrip
from studio.engine.studio_mode import StudioMode
from studio.engine.vertical import VerticalCanvasControl
from studio.overlays import Overlay
from studio.scene import (
    AudioInputSpec,
    Canvas,
    CanvasRole,
    Scene,
    SceneCollection,
    SceneItem,
    SourceSpec,
    StingerSettings,
    Transition,
)
from studio.settings import Settings
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
            stinger = StingerSettings(path=video.stinger_path, cut_point_ms=video.stinger_cut_point_ms) if video.stinger_path else None
            collection = default_collection(canvas, Transition(kind=video.transition, duration_ms=video.transition_ms, stinger=stinger),
                                            default_microphone(self.settings.audio.microphone))
        self.collection = collection
        self.mixer = AudioMixer(block_ms=self.settings.audio.block_ms)
        self.audio_inputs = ShowAudioInputs(self.mixer, lambda: self.collection_changed.emit(what="audio"))
        self.stinger_strip = StingerStrip(self.audio_inputs)  # the stinger's sound, while it has some
        self.running = RunningSources(self._sources_on_air)
        self.running.state_changed.connect(self._on_source_state)
        self._lock = threading.RLock()
        self.compositor = self._make_compositor(collection.canvas)
        self.compositor.is_latency_probe_on = self.settings.video.latency_probe
        self.vertical = VerticalCanvasControl(self)
        self.items = SceneItems(self)
        self.studio_mode = StudioMode(self)
        self.collection_changed = Signal()  # emit(what=str)
        self.audio_inputs.follow_sources(self.running, self.collection_changed, self._sources_on_program)  # media strips
        # emit(role=CanvasRole, is_on=bool, width=int|None, height=int|None): a canvas appeared,
        # changed size or went away; its compositor is new, so per-canvas overlays are laid out again.
        self.canvases_changed = Signal()
        self.current_scene_changed = Signal()  # emit(scene_id=str)
        self.source_state_changed = Signal()  # emit(source_id, state, message)
        self._is_started = False
        self._canvas_holders: set[object] = set()  # outputs whose encoders depend on the canvas size
        self._process = psutil.Process(os.getpid())
        self._process.cpu_percent(None)

    def _make_compositor(self, canvas: Canvas) -> Compositor:
        compositor = Compositor(canvas.width, canvas.height, canvas.fps, self.sources.get)
        compositor.fade_finished.connect(self._update_wakefulness)
        self._arm_stinger(compositor)
        return compositor

    def _arm_stinger(self, compositor: Compositor) -> None:
        """The program plays the collection's stinger (decoded ahead on its own thread) when chosen."""
        t = self.collection.transition
        is_used = t.kind == "stinger" and t.stinger is not None
        self.stinger_strip.follow(compositor.set_stinger(t.stinger.path if is_used else None, t.stinger.cut_point_ms if is_used else 0))

    @property
    def sources(self) -> RunningSources:
        """The running sources by id (a read-only view; edit the show through the methods)."""
        return self.running

    @property
    def vertical_compositor(self) -> VerticalCompositor | None:
        """The vertical program's compositor while the vertical canvas is on."""
        return self.vertical.compositor

    def compositor_for(self, role: CanvasRole | str) -> Compositor | None:
        """The compositor of a canvas: the horizontal one always, the vertical one when it is on."""
        return self.compositor if CanvasRole(role) is CanvasRole.HORIZONTAL else self.vertical_compositor

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            for spec in self.collection.sources:
                self.running.start(spec)
            self._is_started = True
            self._update_plan(transition=False)
            self.audio_inputs.load(self.collection.audio_inputs)
            self.stinger_strip.sync()
        self.compositor.start()
        if self.vertical_compositor is not None:
            self.vertical_compositor.start()
        if self.studio_mode.compositor is not None:
            self.studio_mode.compositor.start()
        self.mixer.start()

    def stop(self) -> None:
        """Stop everything and join every thread (blocking; used at exit and in tests)."""
        self.studio_mode.disable()
        if self.vertical_compositor is not None:
            self.vertical_compositor.stop()
        self.compositor.stop()
        self.mixer.stop()
        self.audio_inputs.close()
        with self._lock:
            sources = self.running.take_all()
            self._is_started = False
        for source in sources:
            source.request_stop()
        for source in sources:
            source.stop()

    @property
    def is_started(self) -> bool:
        return self._is_started

    # -- sleeping sources ------------------------------------------------------------------------
    def _sources_on_program(self) -> set[str]:
        """Sources viewers see now (the program scene, a fade's old scene, the vertical layout): a
        media file's sound is heard only then, not while it is only in studio mode's preview."""
        on_program = self.compositor.source_ids_in_use()
        if self.vertical_compositor is not None:
            on_program |= self.vertical_compositor.source_ids_in_use()
        return on_program

    def _sources_on_air(self) -> set[str]:
        """Sources some canvas draws now (the program, a fade's old scene, the vertical layout, the preview)."""
        on_air = self._sources_on_program()
        if self.studio_mode.is_on:  # the host's preview scene (studio mode) is drawn too
            on_air |= self.studio_mode.source_ids_in_use()
        return on_air

    def _update_wakefulness(self) -> None:
        """Wake the sources a canvas draws and put the others to sleep (never waits for them)."""
        with self._lock:
            self.running.update_wakefulness()

    def _on_source_state(self, source: VideoSource, state: SourceState, message: str) -> None:
        if state is SourceState.ACTIVE:
            self.items.refit_pending(source)
        self.source_state_changed.emit(source_id=source.source_id, state=state, message=message)

    # -- render plan -------------------------------------------------------------------------
    def current_scene(self) -> Scene | None:
        current = self.collection.current_scene
        return self.collection.scene(current) if current else None

    def _update_plan(self, transition: bool) -> None:
        plan = horizontal_plan(self.current_scene())
        t = self.collection.transition
        self._arm_stinger(self.compositor)
        if transition:
            self.compositor.set_plan(plan, t.kind, t.duration_ms)
        else:
            self.compositor.set_plan(plan)
        self.vertical.update_plan(None, None)
        self.studio_mode.update_plan()
        self._update_wakefulness()

    def _replan(self, scene_id: str) -> None:
        """A scene's layers changed: re-plan what draws it (the program, the studio-mode preview)."""
        if scene_id == self.collection.current_scene:
            self._update_plan(transition=False)
        elif scene_id == self.studio_mode.scene_id:
            self.studio_mode.update_plan()
            self._update_wakefulness()

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
            elif scene_id == self.studio_mode.scene_id:
                self._replan(scene_id)
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
            self.compositor.set_plan(horizontal_plan(self.current_scene()), kind, duration)
            self.vertical.update_plan(kind, duration)
            self._update_wakefulness()
        self.current_scene_changed.emit(scene_id=scene_id)

    def set_transition(self, kind: str, duration_ms: int, stinger: StingerSettings | None = None) -> None:
        """The transition scene switches use; ``stinger`` (None: keep the one chosen) its video."""
        with self._lock:
            stinger = stinger or self.collection.transition.stinger
            self.collection.transition = Transition(kind=kind, duration_ms=duration_ms, stinger=stinger)
            self._arm_stinger(self.compositor)
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
                self.running.start(spec)  # raises SourceError for an unknown kind before the model changes
            self.collection.sources.append(spec)
            item = None
            scene = self.collection.scene(scene_id or self.collection.current_scene or "")
            if scene is not None:
                item = self.items.place(scene, spec.id)
                self._update_plan(transition=False)
        self.collection_changed.emit(what="sources")
        source = self.sources.get(spec.id)
        if source is not None and source.state is SourceState.ACTIVE:
            self.items.refit_pending(source)
        return spec, item

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
            self.running.retire(source)
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
                    self.running.retire(old)
                if self._is_started:
                    self.running.start(spec)
            elif name and source_id in self.sources:
                self.sources[source_id].name = name
        self.collection_changed.emit(what="sources")

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

    # -- collections -------------------------------------------------------------------------------
    @staticmethod
    def read_collection(path: str | os.PathLike[str]) -> SceneCollection:
        """Read and validate a file (call off the GUI thread); raises SceneFileError in words."""
        return scene_io.load_collection(path)

    def hold_canvas(self, holder: object, canvas: CanvasRole | str = CanvasRole.HORIZONTAL) -> None:
        """An output (e.g. a live stream) needs a canvas's size and compositor to stay put."""
        holders = self._canvas_holders if CanvasRole(canvas) is CanvasRole.HORIZONTAL else self.vertical.holders
        holders.add(holder)

    def release_canvas(self, holder: object) -> None:
        self._canvas_holders.discard(holder)
        self.vertical.holders.discard(holder)

    def apply_collection(self, collection: SceneCollection) -> None:
        """Swap in an already validated collection; the old one keeps running until then.

        Raises ``StudioError`` (nothing changes) when the canvas size would change while an
        output such as a live stream holds it.
        """
        if self._canvas_holders and collection.canvas != self.collection.canvas:
            raise StudioError(_("Stop the live stream before opening a show with a different canvas size or frame rate."))
        vertical_changed = collection.vertical_canvas != self.collection.vertical_canvas or collection.canvas.fps != self.collection.canvas.fps
        if vertical_changed:
            self.vertical.check_free()
        was_started = self._is_started
        was_studio_mode = self.studio_mode.is_on
        self.studio_mode.disable()  # made again for the new show (its canvas may differ)
        with self._lock:
            old_sources = self.running.take_all()
            canvas_changed = collection.canvas != self.collection.canvas
            self.collection = collection
            self.items.forget_pending()
        for source in old_sources:
            self.running.retire(source)
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
            self.vertical.compositor = self.vertical.make(collection)
        with self._lock:
            if was_started:
                for spec in collection.sources:
                    try:
                        self.running.start(spec)
                    except SourceError as exc:  # its layers show the "source missing" slate
                        log.warning("source %s not started: %s", spec.id, exc)
            self._update_plan(transition=False)
            if was_started:
                self.audio_inputs.load(collection.audio_inputs)
                self.stinger_strip.sync()
        if was_started and canvas_changed:
            self.compositor.start()
        if was_started and vertical_changed and self.vertical_compositor is not None:
            self.vertical_compositor.start()
        if vertical_changed:
            self.vertical.announce()
        if was_studio_mode:
            self.studio_mode.enable()
        self.collection_changed.emit(what="collection")
        self.current_scene_changed.emit(scene_id=collection.current_scene)

    def save_collection(self, path: str | os.PathLike[str]) -> None:
        scene_io.save_collection(self.snapshot_collection(), Path(path))

    def snapshot_collection(self) -> SceneCollection:
        """A deep copy of the show as it is now, audio strips included."""
        with self._lock:
            snapshot = self.collection.model_copy(deep=True)
        if self._is_started:
            snapshot.audio_inputs = self.audio_inputs.specs()
        return snapshot

    # -- stats -----------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Numbers for the status bar: fps, render time, late ticks, dropped frames, CPU."""
        renders = sorted(self.compositor.render_ms)
        source_drops = self.running.dropped_frames()
        return {
            "fps_target": self.compositor.fps,
            "ticks": self.compositor.ticks,
            "render_ms_p50": renders[len(renders) // 2] if renders else None,
            "late_ticks": self.compositor.late_ticks,
            "dropped_frames": source_drops + self.compositor.consumer_drops(),
            "cpu_percent": self._process.cpu_percent(None),
            "t_ns": now_ns(),
            "vertical": self.vertical.stats(),
        }
