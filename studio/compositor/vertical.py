"""The vertical canvas's compositor (default 1080×1920): same sources, its own layout per scene.

Two ways to make the picture, chosen per scene (``Scene.vertical_layout``):

- **auto**: cut from the horizontal program *before* its overlays (``subscribe_clean``),
  following the host (:mod:`studio.compositor.reframe`), scaled to the vertical size, then the
  vertical overlays on top.  It runs once per horizontal picture rather than on its own clock,
  so every vertical frame has exactly one horizontal frame behind it and carries that frame's
  ``capture_ns``; a picture it could not keep up with is counted (``missed_pictures``).
  Per frame it costs one crop (a view), one ``cv2.resize`` and the overlay boxes.
- **manual**: the scene's items with their ``vertical`` transforms, rendered like the
  horizontal program on the same clock, reading the sources without marking their frames read
  (``peek_frame``), so neither compositor takes frames from the other or hides its drops.

A stinger plays here too: the auto layout cuts it from the program with everything else; a manual
scene switching to a manual scene with the stinger shows the program's stinger pictures fitted to
this canvas (:class:`~studio.compositor.stinger.SharedStinger`: the file is decoded once).

Overlays are this canvas's own (``set_overlay``); the horizontal program's never show here,
because the live show lays its cards out again for 9:16 instead of letting them be cropped.

The time-code strip (CONTRACTS.md) is drawn at this canvas's width when the latency probe is
on or when the main layer is a test pattern (whose own strip would be cropped or scaled off the
grid), stamped with the capture time of the content, not the time of compositing.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

import cv2
import numpy as np

from studio.compositor import CleanPicture, Compositor, _Content, scale_interpolation
from studio.compositor.reframe import FaceDetector, FaceFinder, Reframer, haar_face_detector
from studio.compositor.stinger import SharedStinger
from studio.core.clock import NS_PER_MS, NS_PER_S, Ticker, media_to_wall_ms, now_ns
from studio.core.frame import LatestSlot, VideoFrame
from studio.scene import VerticalLayout
from studio.sources.base import VideoSource
from studio.timecode import draw_strip

log = logging.getLogger(__name__)

_DEFAULT_DETECTOR = object()  # "use OpenCV's Haar cascade if this OpenCV has one"
_WAIT_S = 0.1  # how long the auto loop waits for a horizontal picture before looking around again


class VerticalCompositor(Compositor):
    """The second program, for 9:16 platforms.  ``follow(horizontal)`` before ``start()``.

    ``detector``: a :data:`~studio.compositor.reframe.FaceDetector`, ``None`` for no face
    following (the window stays centred), or by default OpenCV's frontal-face cascade.
    """

    thread_name = "compositor:vertical"

    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        source_lookup: Callable[[str], VideoSource | None],
        *,
        layout: VerticalLayout = VerticalLayout.AUTO,
        detector: FaceDetector | None | object = _DEFAULT_DETECTOR,
    ) -> None:
        super().__init__(width, height, fps, source_lookup, marks_frames_read=False)
        self._layout = VerticalLayout(layout)
        self.reframer = Reframer(self.width, self.height)
        if detector is _DEFAULT_DETECTOR:
            detector = haar_face_detector()
            if detector is None:
                log.info("no face detector in this OpenCV: the vertical auto layout stays centred")
        self._face_finder = FaceFinder(detector) if detector is not None else None  # type: ignore[arg-type]
        self._horizontal: Compositor | None = None
        self._clean_input: LatestSlot[CleanPicture] | None = None
        self._clean_lock = threading.Lock()
        self._missed_before = 0  # pictures missed on slots already given back
        self._is_active = False  # between start() and stop(): clean pictures are wanted

    # -- configuration (any thread) -----------------------------------------------------------
    @property
    def layout(self) -> VerticalLayout:
        return self._layout

    def set_layout(self, layout: VerticalLayout) -> None:
        """Switch between cutting from the horizontal program and the scene's own layout (a cut)."""
        self._layout = VerticalLayout(layout)
        self._sync_clean_input()

    def follow(self, horizontal: Compositor | None) -> None:
        """The horizontal compositor the auto layout cuts from (again after it was replaced)."""
        with self._clean_lock:
            self._drop_clean_input()
            self._horizontal = horizontal
        self._sync_clean_input()

    def set_plan(self, plan, transition: str | None = None, duration_ms: int = 0) -> None:  # noqa: ANN001 - as the base
        if transition == "stinger":
            self._share_stinger()
        super().set_plan(plan, transition, duration_ms)

    def _share_stinger(self) -> None:
        """The stinger a take plays here: the program's, seen at this canvas's size."""
        horizontal = self._horizontal
        program_stinger = horizontal.stinger if horizontal is not None else None
        view = self.stinger
        if program_stinger is None:
            self.stinger = None
        elif not (isinstance(view, SharedStinger) and view.source is program_stinger and (view.width, view.height) == (self.width, self.height)):
            self.stinger = SharedStinger(program_stinger, self.width, self.height)  # type: ignore[assignment]

    @property
    def horizontal(self) -> Compositor | None:
        return self._horizontal

    @property
    def face_finder(self) -> FaceFinder | None:
        return self._face_finder

    @property
    def missed_pictures(self) -> int:
        """Horizontal pictures the auto layout never cut from (it was busy): its dropped frames."""
        slot = self._clean_input
        return self._missed_before + (slot.dropped if slot is not None else 0)

    def _sync_clean_input(self) -> None:
        """Ask the horizontal compositor for clean pictures only while they are used, so a manual
        scene or a stopped vertical canvas costs the horizontal program nothing."""
        with self._clean_lock:
            wanted = self._horizontal is not None and self._layout is VerticalLayout.AUTO and self._is_active
            slot = self._clean_input
            if wanted and (slot is None or slot.is_closed):
                self._drop_clean_input()
                self._clean_input = self._horizontal.subscribe_clean()  # type: ignore[union-attr]
            elif not wanted and slot is not None:
                self._drop_clean_input()

    def _drop_clean_input(self) -> None:
        slot, self._clean_input = self._clean_input, None
        if slot is not None:
            self._missed_before += slot.dropped
            if self._horizontal is not None:
                self._horizontal.unsubscribe_clean(slot)
            else:
                slot.close()

    # -- thread --------------------------------------------------------------------------------
    def start(self) -> None:
        # Subscribed before the thread runs, so an auto scene never shows a frame of its own first.
        self._is_active = True
        self._sync_clean_input()
        if self._face_finder is not None:
            self._face_finder.start()
        super().start()

    def stop(self, timeout: float = 3.0) -> None:
        self._is_active = False
        super().stop(timeout)
        if self._face_finder is not None:
            self._face_finder.stop(timeout)
        self._sync_clean_input()

    def _run(self) -> None:
        ticker = Ticker(int(NS_PER_S / self.fps), self._stop)
        was_cutting = False
        while not self._stop.is_set():
            slot = self._clean_input
            if self._layout is VerticalLayout.AUTO and slot is not None:
                if slot.is_closed:  # the horizontal compositor stopped or was replaced
                    self._stop.wait(_WAIT_S)
                    self._sync_clean_input()
                    continue
                picture = slot.take(timeout=_WAIT_S)
                if picture is None:
                    continue
                was_cutting = True
                self._guarded(lambda: self.publish(self.cut(picture)))
                continue
            if was_cutting:
                ticker.reset()  # back on our own clock without a burst of "late" ticks
                was_cutting = False
            self._guarded(lambda: self.publish(self.render(now_ns())))
            self.late_ticks += ticker.wait_next()

    def _guarded(self, work) -> None:
        try:
            work()
        except Exception:  # keep the vertical program alive; a broken frame is counted and logged
            self.render_errors += 1
            log.exception("vertical compositor frame failed")

    # -- rendering -------------------------------------------------------------------------
    def cut(self, picture: CleanPicture) -> VideoFrame:
        """The auto layout's frame for one horizontal picture (callable without the thread: tests, bench)."""
        started = now_ns()
        image = picture.image
        frame_size = (int(image.shape[1]), int(image.shape[0]))
        finder = self._face_finder
        if finder is not None:
            finder.offer(image, picture.capture_ns)
            found = finder.poll()
            if found is not None:
                faces, size, _seen_ns = found
                self.reframer.observe(faces, size, picture.capture_ns)
        window = self.reframer.step(frame_size, picture.capture_ns)
        crop = image[window.y : window.y + window.height, window.x : window.x + window.width]
        canvas = cv2.resize(crop, (self.width, self.height), interpolation=scale_interpolation(window.width, window.height, self.width, self.height))
        for overlay in self._overlays:
            overlay.blend_into(canvas, picture.capture_ns)
        self._stamp(canvas, picture.capture_ns, _Content(picture.content_capture_ns, picture.has_timecode))
        self._sequence += 1
        self.ticks += 1
        self.render_ms.append((now_ns() - started) / NS_PER_MS)
        return VideoFrame(image=canvas, capture_ns=picture.capture_ns, sequence=self._sequence)

    def _draws_on_top(self, overlays) -> bool:
        # The strip may go on any frame (a test pattern's content is known only after reading
        # the layers), so the manual canvas is always our own array.
        return True

    def _stamp(self, canvas: np.ndarray, tick_ns: int, content: _Content) -> None:
        """The strip at this canvas's width with the content's capture time (CONTRACTS.md)."""
        if self.is_latency_probe_on or content.has_timecode:
            stamped_ns = content.capture_ns if content.capture_ns is not None else tick_ns
            draw_strip(canvas, media_to_wall_ms(stamped_ns))
