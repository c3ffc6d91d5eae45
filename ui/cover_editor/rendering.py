"""Off-thread cover renders for the editor: snapshot the document, render and lint it on a pool
thread, apply the result on the GUI thread; only the newest request's result is shown."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from PIL import Image
from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

from cover_designer.document import CoverDocument
from cover_designer.presets import Preset, Rect
from ui.workers import run_in_background


def qimage(image: Image.Image) -> QImage:
    """PIL → QImage (a deep copy, safe to hand to the GUI thread)."""
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    return QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888).copy()


@dataclass
class RenderOutput:
    """What the pool thread hands back: the picture, the layer boxes, the lint findings."""

    request: int
    image: QImage
    thumbnail: QImage
    boxes: dict[str, Rect]
    findings: list
    problems: list
    rotations: dict[str, float] = field(default_factory=dict)  # clockwise degrees as drawn, per layer id
    photo_sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # image layers with a loaded photo
    faces: dict[str, Rect] = field(default_factory=dict)  # marked face boxes as drawn (unturned, canvas px)


def render_snapshot(request: int, doc: CoverDocument, preset: Preset, thumb_width: int,
                    base_dir: str | None = None) -> RenderOutput:
    """Runs on a pool thread: render, lint, scale the phone thumbnail."""
    from cover_designer.lint import lint
    from cover_designer.render import render
    from cover_designer.resize import for_preset

    target = for_preset(doc, preset)
    result = render(target, preset, base_dir=base_dir, keep_below=True)
    findings = lint(target, preset, base_dir=base_dir, result=result, check_file_size=False)
    thumb_height = max(1, round(preset.height * thumb_width / preset.width))
    thumbnail = result.image.resize((thumb_width, thumb_height), Image.Resampling.LANCZOS)
    boxes = {info.layer_id: info.frame for info in result.layers}
    rotations = {info.layer_id: info.rotation_deg for info in result.layers}
    photo_sizes = {info.layer_id: info.photo_size for info in result.layers if info.photo_size}
    faces = {info.layer_id: info.face_box for info in result.layers if info.face_box is not None}
    return RenderOutput(request, qimage(result.image), qimage(thumbnail), boxes, findings, result.problems, rotations,
                        photo_sizes, faces)


# What a render needs, taken on the GUI thread: the document (a copy), the preset, the image folder.
Snapshot = Callable[[], tuple[CoverDocument, Preset, "str | None"]]


class RenderQueue(QObject):
    """At most one render on the pool at a time; edits made meanwhile ask for one more, and only the
    newest request's result is handed on (``rendered``); a failure says why in words (``failed``)."""

    rendered = Signal(object)  # RenderOutput
    failed = Signal(str)

    def __init__(self, snapshot: Snapshot, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._snapshot = snapshot
        self._pool = pool
        self._request = 0
        self._in_flight = False
        self._pending = False

    def request(self) -> None:
        self._request += 1
        if self._in_flight:
            self._pending = True  # the running job's result is dropped; one more job follows it
            return
        self._start()

    def is_idle(self) -> bool:
        """No render running or waiting (tests and the screenshot wait for this)."""
        return not self._in_flight and not self._pending

    def _start(self) -> None:
        self._in_flight = True
        self._pending = False
        request = self._request
        doc, preset, base_dir = self._snapshot()
        width = preset.smallest_display_width_px
        run_in_background(lambda: render_snapshot(request, doc, preset, width, base_dir), self._on_rendered,
                          self._on_failed, receiver=self, pool=self._pool)

    def _on_rendered(self, output: RenderOutput) -> None:
        self._in_flight = False
        if output.request == self._request:
            self.rendered.emit(output)
        if self._pending:
            self._start()

    def _on_failed(self, error: BaseException) -> None:
        self._in_flight = False
        self.failed.emit(str(getattr(error, "message", error)))
        if self._pending:
            self._start()
