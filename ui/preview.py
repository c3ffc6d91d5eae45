"""The program preview: repaints on its own timer, decoupled from the compositor's clock.

One preview per canvas: the horizontal program, or (``canvas=CanvasRole.VERTICAL``) the
vertical one while it is on — its compositor is looked up on every tick, since the engine
makes a new one whenever the vertical canvas is turned on or resized.
Each tick peeks at the newest picture (never waits) and, only if it is a new one, wraps its
buffer in a QImage without copying and asks for a repaint.  The picture comes already scaled
to the widget's size by the engine (``Compositor.preview``, made on the compositor's thread
only while this preview is shown), so painting is a 1:1 copy; until the first scaled picture
exists the full program frame is shown, scaled by Qt.  Nothing here waits for media, so a
stalled compositor can never freeze the window.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QRegion
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.engine import Studio
from studio.scene import CanvasRole
from ui.preview_handles import HANDLE_PX, PreviewEditor


# Repainted around the picture on a new frame: the editor's handles stick out by half their size.
PAINT_MARGIN = HANDLE_PX


class ProgramPreview(QWidget):
    """Shows the program picture scaled to fit, letterboxed, at ``preview_fps``.

    On the horizontal canvas its layers can be picked, moved and resized with the mouse
    (``ui.preview_handles``); ``item_selected(item_id)`` says which one ("" for none).
    """

    item_selected = Signal(str)

    def __init__(self, studio: Studio, preview_fps: int = 30, parent: QWidget | None = None,
                 canvas: CanvasRole = CanvasRole.HORIZONTAL) -> None:
        super().__init__(parent)
        self.studio = studio
        self.canvas = CanvasRole(canvas)
        self.setObjectName("programPreview" if self.canvas is CanvasRole.HORIZONTAL else "verticalPreview")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        # A picture is never mirrored, not even in a right-to-left (Arabic) UI.
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image: QImage | None = None
        self._buffer: np.ndarray | None = None  # keeps the QImage's memory alive
        self._frame_key: tuple[int, int] | None = None
        self.frames_shown = 0
        self._placeholder = ""
        self._paused_text = ""
        self.is_paused = False
        self.preview_fps = preview_fps
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.tick)
        self.editor = PreviewEditor(self) if self.canvas is CanvasRole.HORIZONTAL else None
        self.setMouseTracking(self.editor is not None)
        self.set_preview_fps(preview_fps)
        self.retranslate()

    def set_preview_fps(self, fps: int) -> None:
        """Show ``fps`` pictures a second; 0 pauses the preview (no picture is made or painted)."""
        was_paused, self.is_paused = self.is_paused, fps <= 0
        self.preview_fps = max(0, int(fps))
        if self.is_paused:
            self._timer.stop()
            self._release_feed()
            self._image = self._buffer = self._frame_key = None
            self.update()
            return
        self._timer.setInterval(max(1, round(1000 / fps)))
        if was_paused and self.isVisible():
            self._timer.start()

    def _release_feed(self) -> None:
        compositor = self.compositor()
        if compositor is not None:
            compositor.preview.set_size(None)

    @property
    def image(self) -> QImage | None:
        """The QImage currently shown (None before the first program frame)."""
        return self._image

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(960, 540)

    # -- timer ---------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        if not self.is_paused:
            self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802
        # A hidden preview costs nothing: the engine stops making its pictures too.
        self._timer.stop()
        self._release_feed()
        super().hideEvent(event)

    def tick(self) -> None:
        """Pick up the newest picture if there is one; never waits."""
        compositor = self.compositor()
        frame = None
        if compositor is not None:
            compositor.preview.set_size(self._wanted_size(compositor) if self.isVisible() else None)
            frame = compositor.preview.latest() or compositor.latest_program()
        if frame is None:
            if self._image is not None and (compositor is None or not compositor.is_running):
                self._image = None
                self._buffer = None
                self._frame_key = None
                self.update()
            return
        key = (id(frame.image), frame.sequence)
        if key == self._frame_key:
            return
        image = frame.image
        if not image.flags.c_contiguous:
            image = np.ascontiguousarray(image)
        height, width = image.shape[:2]
        self._buffer = image
        pixel_format = QImage.Format.Format_RGB32 if image.ndim == 3 and image.shape[2] == 4 else QImage.Format.Format_BGR888
        self._image = QImage(image.data, width, height, int(image.strides[0]), pixel_format)
        self._frame_key = key
        self.frames_shown += 1
        # Only the picture changed: repaint its rectangle (plus what the editor draws over it),
        # not the letterbox around it.
        target = self.target_rect()
        self.update(target.adjusted(-PAINT_MARGIN, -PAINT_MARGIN, PAINT_MARGIN, PAINT_MARGIN) if not target.isEmpty() else self.rect())

    def compositor(self):  # -> Compositor | None
        """The compositor of this preview's canvas (None: the vertical canvas is off)."""
        if self.canvas is CanvasRole.HORIZONTAL:
            return self.studio.compositor
        return self.studio.compositor_for(self.canvas)

    # -- painting -----------------------------------------------------------------------------
    def _canvas_size(self) -> QSize | None:
        compositor = self.compositor()
        if compositor is not None:
            return QSize(compositor.width, compositor.height)
        return self._image.size() if self._image is not None else None

    def _fit(self, canvas: QSize) -> QRect:
        size = canvas.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) // 2
        y = (self.height() - size.height()) // 2
        return QRect(x, y, size.width(), size.height())

    def _wanted_size(self, compositor) -> tuple[int, int] | None:
        """The picture size, in device pixels, the engine should scale to (None: too small to show)."""
        rect = self._fit(QSize(compositor.width, compositor.height))
        ratio = self.devicePixelRatioF()
        width, height = round(rect.width() * ratio), round(rect.height() * ratio)
        return (width, height) if width >= 2 and height >= 2 else None

    def picture_rect(self) -> QRect:
        """Where the canvas is shown, picture or not (empty when there is no canvas)."""
        canvas = self._canvas_size()
        return self._fit(canvas) if canvas is not None and not canvas.isEmpty() else QRect()

    def target_rect(self) -> QRect:
        """Where the picture goes: the largest rect with the canvas's aspect, centred."""
        if self._image is None:
            return QRect()
        canvas = self._canvas_size()
        return self._fit(canvas if canvas is not None else self._image.size())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        target = self.target_rect()
        letterbox = QRegion(event.rect()) if self._image is None else QRegion(event.rect()).subtracted(QRegion(target))
        for rect in letterbox:  # the picture covers the rest
            painter.fillRect(rect, QColor(16, 17, 20))
        if self._image is None:
            painter.setPen(QColor(150, 155, 170))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self._paused_text if self.is_paused else self._placeholder)
        else:
            ratio = self.devicePixelRatioF()
            if self._image.width() == round(target.width() * ratio) and self._image.height() == round(target.height() * ratio):
                self._image.setDevicePixelRatio(ratio)
                painter.drawImage(target.topLeft(), self._image)  # already at size: a plain copy
            else:  # the widget was resized and no picture at the new size exists yet
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawImage(target, self._image)
        self.paint_overlay(painter)
        painter.end()

    def paint_overlay(self, painter: QPainter) -> None:
        """Drawn over the picture: the selected layer's box, its handles and snap guides."""
        if self.editor is not None and self._image is not None:
            self.editor.paint(painter)

    # -- mouse: select, move, resize ------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802
        # In studio mode the program is not edited by hand: the preview scene is (Sources dock).
        if self.editor is not None and event.button() == Qt.MouseButton.LeftButton and not self.studio.studio_mode.is_on:
            self.editor.press(event.position())
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self.editor is not None:
            self.editor.move(event.position(), event.buttons())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self.editor is not None and event.button() == Qt.MouseButton.LeftButton:
            self.editor.release()
            return
        super().mouseReleaseEvent(event)

    # -- language -------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        if self.canvas is CanvasRole.VERTICAL:
            self._placeholder = self.tr("No vertical picture yet")
            self.setToolTip(self.tr("Vertical program (9:16): what viewers of the vertical destinations see"))
        else:
            self._placeholder = self.tr("No program picture yet")
            self.setToolTip(self.tr("Program: what viewers see"))
        self._paused_text = self.tr("Preview paused while live, to leave the processor to the encoders.\n"
                                    "The rehearsal and health views still show the stream. Settings ▸ Go live… changes this.")
        self.update()
