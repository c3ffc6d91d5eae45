"""The vertical (9:16) canvas, the editing side: turn it on, size it, and lay scenes out on it.

Two views, each mounted in the dock where the host already edits that thing:

- :class:`VerticalCanvasControls` (in the scenes dock): the vertical canvas on/off and its
  size, and the current scene's vertical layout — "Auto" (cut from the horizontal program,
  following the host) or "Manual" (each layer placed again, like Streamlabs Dual Output or
  Aitum Vertical).
- :class:`VerticalItemPanel` (in the sources dock): in a "Manual" scene, the selected layer's
  place on the vertical canvas — shown or not, position and size in vertical-canvas pixels,
  and Fit / Fill / Centre / Reset to the horizontal layout.

Neither keeps a copy of the show: every value shown is read from ``studio.collection`` again
when the bridge says the collection changed, and every edit is one engine command.  Turning
the canvas on or resizing it starts and stops a compositor thread, so that command runs on a
pool thread, never on the GUI thread.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.compositor import peek_frame
from studio.core.errors import StudioError
from studio.engine import Studio
from studio.scene import (
    DEFAULT_VERTICAL_HEIGHT,
    DEFAULT_VERTICAL_WIDTH,
    Canvas,
    Crop,
    ItemTransform,
    Scene,
    SceneItem,
    VerticalCanvas,
    VerticalLayout,
    fit_rect,
    vertical_transform,
)
from ui.bridge import StudioBridge
from ui.workers import run_in_background

# The sizes offered; a collection saved with another size shows that size as an extra entry.
VERTICAL_SIZES: tuple[tuple[int, int], ...] = ((DEFAULT_VERTICAL_WIDTH, DEFAULT_VERTICAL_HEIGHT), (720, 1280))
LAYOUTS = (VerticalLayout.AUTO, VerticalLayout.MANUAL)
_COLLECTION_EVENTS = ("scenes", "items", "sources", "canvas", "collection")


# -- geometry (pure: the numbers the quick actions send) ----------------------------------------------
def shown_region(item: SceneItem, source_size: tuple[int, int] | None) -> tuple[int, int] | None:
    """Width and height, in source pixels, of the part of the source the host shows on the
    horizontal canvas (the source minus the layer's crop); ``None`` while its size is unknown."""
    if source_size is None:
        return None
    crop = item.crop
    return max(1, source_size[0] - crop.left - crop.right), max(1, source_size[1] - crop.top - crop.bottom)


def fit_transform(item: SceneItem, source_size: tuple[int, int] | None, canvas: Canvas, vertical: VerticalCanvas) -> dict[str, Any]:
    """``update_vertical_item`` fields that show the layer's whole picture inside the vertical
    canvas, centred, keeping its aspect (the horizontal crop is kept: a trimmed border stays trimmed).

    Without a picture yet, the aspect of the layer as placed on the horizontal canvas is used.
    """
    region = shown_region(item, source_size) or (item.width, item.height)
    x, y, width, height = fit_rect(region[0], region[1], vertical.width, vertical.height)
    return {"x": x, "y": y, "width": width, "height": height, "crop": item.crop.model_copy()}


def fill_transform(item: SceneItem, source_size: tuple[int, int], vertical: VerticalCanvas) -> dict[str, Any]:
    """``update_vertical_item`` fields that cover the whole vertical canvas with the layer,
    cutting the overflow equally from both sides of the source (on top of the horizontal crop)."""
    region_width, region_height = shown_region(item, source_size)  # type: ignore[misc]
    scale = max(vertical.width / region_width, vertical.height / region_height)
    visible_width = min(region_width, max(1, round(vertical.width / scale)))
    visible_height = min(region_height, max(1, round(vertical.height / scale)))
    cut_x, cut_y = region_width - visible_width, region_height - visible_height
    crop = item.crop
    return {
        "x": 0,
        "y": 0,
        "width": vertical.width,
        "height": vertical.height,
        "crop": Crop(left=crop.left + cut_x // 2, top=crop.top + cut_y // 2, right=crop.right + cut_x - cut_x // 2, bottom=crop.bottom + cut_y - cut_y // 2),
    }


def centre_transform(placed: ItemTransform, vertical: VerticalCanvas) -> dict[str, Any]:
    """``update_vertical_item`` fields that centre the layer on the vertical canvas at its size."""
    return {"x": (vertical.width - placed.width) // 2, "y": (vertical.height - placed.height) // 2}


def _show_error(parent: QWidget, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


class VerticalCanvasControls(QWidget):
    """The vertical canvas on/off and size, and the current scene's vertical layout."""

    def __init__(self, studio: Studio, bridge: StudioBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setObjectName("verticalCanvasControls")
        self.is_busy = False  # a canvas change is running on a pool thread

        self.enable_check = QCheckBox(self)
        self.enable_check.setObjectName("verticalCanvasCheck")
        self.size_combo = QComboBox(self)
        self.size_combo.setObjectName("verticalCanvasSize")
        self.size_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layout_label = QLabel(self)
        self.layout_combo = QComboBox(self)
        self.layout_combo.setObjectName("verticalLayoutCombo")
        for layout in LAYOUTS:
            self.layout_combo.addItem("", layout.value)
        self.layout_label.setBuddy(self.layout_combo)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.enable_check, 0, 0)
        grid.addWidget(self.size_combo, 0, 1)
        grid.addWidget(self.layout_label, 1, 0)
        grid.addWidget(self.layout_combo, 1, 1)
        grid.setColumnStretch(1, 1)

        self.enable_check.toggled.connect(self._on_enable_toggled)
        self.size_combo.activated.connect(self._on_size_chosen)
        self.layout_combo.activated.connect(self._on_layout_chosen)
        bridge.collection_changed.connect(self._on_collection_changed)
        bridge.current_scene_changed.connect(lambda _scene_id: self.refresh())
        self.retranslate()
        self.refresh()

    # -- model → view ----------------------------------------------------------------------------
    def _on_collection_changed(self, what: str) -> None:
        if what in _COLLECTION_EVENTS:
            self.refresh()

    def refresh(self) -> None:
        """Show the canvas and the current scene's layout as the engine has them."""
        vertical = self.studio.collection.vertical_canvas
        scene = self.studio.current_scene()
        with QSignalBlocker(self.enable_check), QSignalBlocker(self.size_combo), QSignalBlocker(self.layout_combo):
            if not self.is_busy:  # while a change runs, keep showing what the host asked for
                self.enable_check.setChecked(vertical is not None)
                self._fill_sizes(vertical)
            layout = scene.vertical_layout if scene is not None else VerticalLayout.AUTO
            self.layout_combo.setCurrentIndex(LAYOUTS.index(layout))
        self.enable_check.setEnabled(not self.is_busy)
        self.size_combo.setEnabled(not self.is_busy)
        self.layout_combo.setEnabled(vertical is not None and scene is not None)
        self.layout_label.setEnabled(vertical is not None and scene is not None)

    def _fill_sizes(self, vertical: VerticalCanvas | None) -> None:
        """The preset sizes plus the canvas's own when it is another one; the canvas's size chosen."""
        chosen = self.size_combo.currentData()
        sizes = list(VERTICAL_SIZES)
        if vertical is not None and (vertical.width, vertical.height) not in sizes:
            sizes.append((vertical.width, vertical.height))
        shown = [self.size_combo.itemData(index) for index in range(self.size_combo.count())]
        if shown != sizes:
            self.size_combo.clear()
            for width, height in sizes:
                self.size_combo.addItem(f"{width}×{height}", (width, height))
        wanted = (vertical.width, vertical.height) if vertical is not None else (chosen if chosen in sizes else sizes[0])
        self.size_combo.setCurrentIndex(sizes.index(wanted))

    # -- view → model --------------------------------------------------------------------------------
    def _on_enable_toggled(self, is_on: bool) -> None:
        if is_on:
            width, height = self.size_combo.currentData() or VERTICAL_SIZES[0]
            self._change_canvas(lambda: self.studio.vertical.enable(width, height))
        else:
            self._change_canvas(self.studio.vertical.disable)

    def _on_size_chosen(self, _index: int) -> None:
        if self.studio.collection.vertical_canvas is None:
            return  # the size is used when the canvas is turned on
        width, height = self.size_combo.currentData()
        self._change_canvas(lambda: self.studio.vertical.enable(width, height))

    def _change_canvas(self, command: Any) -> None:
        """Run a canvas command on a pool thread (it starts/stops the vertical compositor's thread)."""

        def work() -> StudioError | None:
            try:
                command()
            except StudioError as exc:  # e.g. a vertical stream is live: refused in words
                return exc
            return None

        self.is_busy = True
        self.refresh()
        run_in_background(work, self._on_canvas_changed, self._on_canvas_failed, receiver=self)

    def _on_canvas_changed(self, error: StudioError | None) -> None:
        self.is_busy = False
        self.refresh()
        if error is not None:
            _show_error(self, self.tr("Could not change the vertical canvas"), str(error))

    def _on_canvas_failed(self, error: BaseException) -> None:
        self.is_busy = False
        self.refresh()
        _show_error(self, self.tr("Could not change the vertical canvas"), str(error))

    def _on_layout_chosen(self, index: int) -> None:
        scene = self.studio.current_scene()
        if scene is not None:
            self.studio.vertical.set_layout(scene.id, LAYOUTS[index])

    # -- language -----------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.enable_check.setText(self.tr("Vertical ca&nvas"))
        self.enable_check.setToolTip(self.tr("A second, 9:16 picture from the same sources, for TikTok, Reels, Shorts and Shopee"))
        self.size_combo.setToolTip(self.tr("Size of the vertical canvas in pixels"))
        self.layout_label.setText(self.tr("Vertical &layout"))
        self.layout_combo.setItemText(0, self.tr("Auto (follow the host)"))
        self.layout_combo.setItemText(1, self.tr("Manual"))
        self.layout_combo.setToolTip(
            self.tr("Auto cuts this scene's vertical picture from the horizontal one, following the host; Manual places each layer yourself (in Sources)")
        )


class VerticalItemPanel(QGroupBox):
    """The selected layer's place on the vertical canvas (a "Manual" scene), sent to ``update_vertical_item``.

    Hidden while the vertical canvas is off; in an "Auto" scene it only says how to place layers.
    """

    def __init__(self, studio: Studio, bridge: StudioBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.setObjectName("verticalItemPanel")
        self.item_id: str | None = None  # the layer the sources dock has selected (view state)

        self.hint = QLabel(self)
        self.hint.setObjectName("verticalItemHint")
        self.hint.setWordWrap(True)
        self.hint.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        self.editor = QWidget(self)
        self.visible_check = QCheckBox(self.editor)
        self.visible_check.setObjectName("verticalVisibleCheck")
        self.spins: dict[str, QSpinBox] = {}
        self.labels: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(2)
        for index, key in enumerate(("x", "y", "width", "height")):
            spin = QSpinBox(self.editor)
            spin.setObjectName(f"vertical_{key}")
            if key in ("width", "height"):
                spin.setRange(1, 16384)
            else:
                spin.setRange(-16384, 16384)
            spin.setKeyboardTracking(False)  # one command when the number is finished, not per digit
            spin.valueChanged.connect(lambda value, key=key: self._on_spin_changed(key, value))
            label = QLabel(self.editor)
            label.setBuddy(spin)
            self.spins[key], self.labels[key] = spin, label
            # One row of four fields, without arrows: the panel must leave room for the layer list.
            spin.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(label, 0, index * 2)
            grid.addWidget(spin, 0, index * 2 + 1)
            grid.setColumnStretch(index * 2 + 1, 1)

        self.fit_button = QPushButton(self.editor)
        self.fill_button = QPushButton(self.editor)
        self.centre_button = QPushButton(self.editor)
        self.reset_button = QPushButton(self.editor)
        actions = QHBoxLayout()
        actions.setSpacing(2)
        for name, button, slot in (
            ("verticalFit", self.fit_button, self.fit),
            ("verticalFill", self.fill_button, self.fill),
            ("verticalCentre", self.centre_button, self.centre),
            ("verticalReset", self.reset_button, self.reset),
        ):
            button.setObjectName(name)
            button.setAutoDefault(False)
            button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            button.clicked.connect(slot)
            actions.addWidget(button)

        editor_layout = QVBoxLayout(self.editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.setSpacing(3)
        editor_layout.addWidget(self.visible_check)
        editor_layout.addLayout(grid)
        editor_layout.addLayout(actions)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.setSpacing(3)
        layout.addWidget(self.hint)
        layout.addWidget(self.editor)

        self.visible_check.toggled.connect(self._on_visible_toggled)
        bridge.collection_changed.connect(self._on_collection_changed)
        bridge.current_scene_changed.connect(lambda _scene_id: self.refresh())
        bridge.source_state_changed.connect(lambda *_state: self.refresh())  # Fill waits for a first picture
        self.retranslate()  # which also shows the model

    # -- lookups (always from the engine's collection) ---------------------------------------------
    def _scene_and_item(self) -> tuple[Scene | None, SceneItem | None]:
        scene = self.studio.current_scene()
        if scene is None or self.item_id is None:
            return scene, None
        return scene, next((item for item in scene.items if item.id == self.item_id), None)

    def source_size(self, item: SceneItem) -> tuple[int, int] | None:
        """The layer's source picture size from its newest frame (read without taking it)."""
        source = self.studio.sources.get(item.source_id)
        frame = peek_frame(source) if source is not None else None
        return (frame.width, frame.height) if frame is not None else None

    def placement(self) -> ItemTransform | None:
        """Where the selected layer sits on the vertical canvas now (its own place or the default)."""
        vertical = self.studio.collection.vertical_canvas
        _scene, item = self._scene_and_item()
        if vertical is None or item is None:
            return None
        return vertical_transform(item, self.studio.collection.canvas, vertical)

    # -- model → view -----------------------------------------------------------------------------
    def show_item(self, item_id: str | None) -> None:
        """The sources dock selected another layer (or none)."""
        self.item_id = item_id
        self.refresh()

    def _on_collection_changed(self, what: str) -> None:
        if what in _COLLECTION_EVENTS:
            self.refresh()

    def refresh(self) -> None:
        vertical = self.studio.collection.vertical_canvas
        self.setVisible(vertical is not None)
        if vertical is None:
            return
        scene, item = self._scene_and_item()
        self.visible_check.setText(self.tr("Sho&w on the vertical canvas ({width}×{height})").format(width=vertical.width, height=vertical.height))
        is_manual = scene is not None and scene.vertical_layout is VerticalLayout.MANUAL
        if not is_manual:
            self.hint.setText(self.tr("Vertical canvas: this scene follows the host (Auto). Choose Manual under Scenes to place each layer."))
        elif item is None:
            self.hint.setText(self.tr("Vertical canvas: select a layer to place it."))
        self.hint.setVisible(not is_manual or item is None)
        self.editor.setVisible(is_manual and item is not None)
        if not is_manual or item is None:
            return
        placed = vertical_transform(item, self.studio.collection.canvas, vertical)
        with QSignalBlocker(self.visible_check):
            self.visible_check.setChecked(placed.is_visible)
        for key, spin in self.spins.items():
            if spin.value() != getattr(placed, key):
                with QSignalBlocker(spin):
                    spin.setValue(getattr(placed, key))
        for key in ("x", "width"):
            self.spins[key].setToolTip(self.tr("Pixels on the {width}-pixel-wide vertical canvas").format(width=vertical.width))
        for key in ("y", "height"):
            self.spins[key].setToolTip(self.tr("Pixels on the {height}-pixel-high vertical canvas").format(height=vertical.height))
        self.fill_button.setEnabled(self.source_size(item) is not None)
        self.reset_button.setEnabled(item.vertical is not None)
        self.fill_button.setToolTip(
            self.tr("Cover the whole vertical canvas, cutting the overflow from the sides")
            if self.fill_button.isEnabled()
            else self.tr("Waiting for the source's picture")
        )

    # -- view → model ----------------------------------------------------------------------------------
    def _send(self, **fields: Any) -> None:
        scene, item = self._scene_and_item()
        if scene is not None and item is not None:
            try:
                self.studio.vertical.update_item(scene.id, item.id, **fields)
            except ValueError as exc:  # pydantic's ValidationError: a size the canvas refuses
                _show_error(self, self.tr("Could not place the layer"), str(exc))
                self.refresh()

    def _on_spin_changed(self, key: str, value: int) -> None:
        placed = self.placement()
        if placed is not None and getattr(placed, key) != value:
            self._send(**{key: value})

    def _on_visible_toggled(self, is_visible: bool) -> None:
        self._send(is_visible=is_visible)

    def fit(self) -> None:
        """The whole picture inside the vertical canvas, centred."""
        vertical = self.studio.collection.vertical_canvas
        _scene, item = self._scene_and_item()
        if vertical is not None and item is not None:
            self._send(**fit_transform(item, self.source_size(item), self.studio.collection.canvas, vertical))

    def fill(self) -> None:
        """Cover the vertical canvas, cropping what overflows."""
        vertical = self.studio.collection.vertical_canvas
        _scene, item = self._scene_and_item()
        size = self.source_size(item) if item is not None else None
        if vertical is not None and item is not None and size is not None:
            self._send(**fill_transform(item, size, vertical))

    def centre(self) -> None:
        """Centre at the current size."""
        vertical = self.studio.collection.vertical_canvas
        placed = self.placement()
        if vertical is not None and placed is not None:
            self._send(**centre_transform(placed, vertical))

    def reset(self) -> None:
        """Back to the horizontal layout fitted into the vertical canvas."""
        self._send(reset=True)

    # -- language -----------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.visible_check.setToolTip(self.tr("Hide this layer on the vertical canvas only; the horizontal program keeps it"))
        self.labels["x"].setText(self.tr("X"))
        self.labels["y"].setText(self.tr("Y"))
        self.labels["width"].setText(self.tr("W"))
        self.labels["height"].setText(self.tr("H"))
        self.fit_button.setText(self.tr("Fit"))
        self.fit_button.setToolTip(self.tr("Show the whole picture inside the vertical canvas, centred"))
        self.fill_button.setText(self.tr("Fill"))
        self.centre_button.setText(self.tr("Centre"))
        self.centre_button.setToolTip(self.tr("Centre the layer on the vertical canvas at its size"))
        self.reset_button.setText(self.tr("Reset"))
        self.reset_button.setToolTip(self.tr("Reset to the horizontal layout (fitted into the vertical canvas)"))
        self.refresh()
