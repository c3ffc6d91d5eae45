"""The main window's dock layout, kept inside a 1366×768 laptop screen.

Hosts go live from laptops.  A dock whose contents are tall (the Live panel's promotions, the
health figures, three rehearsal previews) must not push the window's minimum size past the
screen, or the window manager lets the bottom docks fall off it.  So every dock's contents sit
in a scroll area (the dock may be shorter than its contents; a scroll bar appears instead) and
the default layout gives the right-hand column the full height, with the Live panel tabbed
over the stream health.  The same arrangement is View → Reset layout.  In a right-to-left UI
(Arabic) it is mirrored: Qt mirrors what is inside the docks but keeps dock areas where they
are, so the column goes to the left and the bottom docks run from the right.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QStyle, QWidget

#: The largest minimum size the window may have: a 1366×768 screen less a title bar and a panel.
MAX_MINIMUM_SIZE = QSize(1366, 720)
#: The window's first size when nothing was saved (never more than the screen offers).
DEFAULT_SIZE = QSize(1366, 800)
BOTTOM_DOCK_HEIGHT_PX = 230
RIGHT_COLUMN_WIDTH_PX = 440
BOTTOM_DOCK_WIDTHS_PX = (260, 330, 300)  # scenes, sources, mixer
HEALTH_SHARE = 0.7  # of the right column's height, above the rehearsal viewer
MAX_DOCK_MIN_WIDTH_PX = 560
TITLE_BAR_ALLOWANCE_PX = 40  # a title bar the window manager has not drawn yet

_AREA_BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
_AREA_RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
_AREA_LEFT = Qt.DockWidgetArea.LeftDockWidgetArea


class DockScrollArea(QScrollArea):
    """A dock's contents, scrolled vertically when the dock is shorter than they are.

    Its minimum width stays the contents' own (no sideways scrolling in a narrow dock), its
    minimum height is a scroll area's small one: tall contents no longer decide the window's.
    The contents get the dock's whole height, and scroll only below their *minimum* height
    for the width they have (Qt's resizable mode scrolls below their preferred height, so a
    list's roomy default hid the buttons under it).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dockScroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)  # sized by _fit_body
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._is_fitting = False

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        body = self.widget()
        if body is None:
            return hint
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        width = body.minimumSizeHint().width() + bar + 2 * self.frameWidth()
        # Wider contents than this scroll sideways rather than widen the window past the screen.
        return QSize(max(hint.width(), min(width, MAX_DOCK_MIN_WIDTH_PX)), hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802
        body = self.widget()
        return body.sizeHint() if body is not None else super().sizeHint()

    def setWidget(self, widget: QWidget) -> None:  # noqa: N802
        super().setWidget(widget)
        widget.installEventFilter(self)
        self._fit_body()

    def eventFilter(self, watched: object, event: QEvent) -> bool:  # noqa: N802
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the contents' minimum width may have changed
            self._fit_body()
        return super().eventFilter(watched, event)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        if event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self._fit_body()
        return super().viewportEvent(event)

    def _fit_body(self) -> None:
        """The contents at the viewport's width and height, never below their minimum."""
        body = self.widget()
        if body is None or self._is_fitting:
            return
        self._is_fitting = True
        try:
            viewport = self.viewport().size()
            width = max(viewport.width(), body.minimumSizeHint().width())
            layout = body.layout()
            if layout is not None and layout.hasHeightForWidth():
                least = layout.minimumHeightForWidth(width)
            else:
                least = body.minimumSizeHint().height()
            size = QSize(width, max(viewport.height(), least))
            if body.size() != size:
                body.resize(size)
        finally:
            self._is_fitting = False


def make_scrollable(dock: QDockWidget) -> QScrollArea:
    """Put ``dock``'s contents in a :class:`DockScrollArea` (once)."""
    body = dock.widget()
    if isinstance(body, DockScrollArea):
        return body
    scroll = DockScrollArea(dock)
    if body is not None:
        scroll.setWidget(body)  # reparents the body into the viewport
    dock.setWidget(scroll)
    return scroll


def dock_body(dock: QDockWidget) -> QWidget | None:
    """The dock's own contents, inside its scroll area or not."""
    body = dock.widget()
    return body.widget() if isinstance(body, DockScrollArea) else body


def arrange_default(window: QMainWindow, bottom: list[QDockWidget], right_top: list[QDockWidget],
                    right_bottom: list[QDockWidget]) -> None:
    """The default layout: ``bottom`` side by side under the preview; a full-height right
    column with ``right_top`` tabbed together (the last one raised) above ``right_bottom``."""
    is_rtl = window.isRightToLeft()
    side = _AREA_LEFT if is_rtl else _AREA_RIGHT
    window.setCorner(Qt.Corner.BottomLeftCorner, side if is_rtl else _AREA_BOTTOM)
    window.setCorner(Qt.Corner.TopLeftCorner, side if is_rtl else Qt.DockWidgetArea.TopDockWidgetArea)
    window.setCorner(Qt.Corner.BottomRightCorner, _AREA_BOTTOM if is_rtl else side)
    window.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.TopDockWidgetArea if is_rtl else side)
    for dock in (*bottom, *right_top, *right_bottom):
        dock.setFloating(False)
    in_reading_order = bottom[::-1] if is_rtl else bottom
    if bottom:
        window.addDockWidget(_AREA_BOTTOM, in_reading_order[0])
        for previous, dock in zip(in_reading_order, in_reading_order[1:]):
            window.splitDockWidget(previous, dock, Qt.Orientation.Horizontal)
    column = [*right_top[:1], *right_bottom]
    if column:
        window.addDockWidget(side, column[0])
        for previous, dock in zip(column, column[1:]):
            window.splitDockWidget(previous, dock, Qt.Orientation.Vertical)
    for dock in right_top[1:]:
        window.tabifyDockWidget(right_top[0], dock)
    for dock in (*bottom, *right_top, *right_bottom):
        dock.show()
    if right_top:
        right_top[-1].raise_()
    _size_docks(window, bottom, right_top, right_bottom)


def _size_docks(window: QMainWindow, bottom: list[QDockWidget], right_top: list[QDockWidget],
                right_bottom: list[QDockWidget]) -> None:
    if bottom:
        window.resizeDocks(bottom, list(BOTTOM_DOCK_WIDTHS_PX[: len(bottom)]), Qt.Orientation.Horizontal)
        window.resizeDocks(bottom[:1], [BOTTOM_DOCK_HEIGHT_PX], Qt.Orientation.Vertical)
    column = [*right_top[:1], *right_bottom]
    if column:
        window.resizeDocks(column[:1], [RIGHT_COLUMN_WIDTH_PX], Qt.Orientation.Horizontal)
    if right_top and right_bottom:
        height = max(400, window.height() - 120)
        top = int(height * HEALTH_SHARE)
        window.resizeDocks([right_top[0], right_bottom[0]], [top, height - top], Qt.Orientation.Vertical)


def fit_to_screen(window: QMainWindow) -> None:
    """Shrink the window (and move it) so it lies on its screen's available area."""
    screen = window.screen()
    if screen is None:
        return
    available = screen.availableGeometry()
    frame = window.frameGeometry()
    extra_w = max(0, frame.width() - window.width())
    extra_h = max(0, frame.height() - window.height())
    if extra_h == 0 and not window.isVisible():
        extra_h = TITLE_BAR_ALLOWANCE_PX  # not framed yet: leave room for the title bar to come
    width = min(window.width(), available.width() - extra_w)
    height = min(window.height(), available.height() - extra_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(max(width, window.minimumWidth()), max(height, window.minimumHeight()))
    frame = window.frameGeometry()
    x = min(max(frame.x(), available.x()), available.right() - frame.width() + 1)
    y = min(max(frame.y(), available.y()), available.bottom() - frame.height() + 1)
    if (x, y) != (frame.x(), frame.y()):
        window.move(max(available.x(), x), max(available.y(), y))


__all__ = ["DockScrollArea", "MAX_MINIMUM_SIZE", "arrange_default", "dock_body", "fit_to_screen", "make_scrollable"]
