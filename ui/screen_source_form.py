"""The screen / window capture source's settings in the add-source dialog.

What to capture (the whole screen, one monitor, a region, a window by its title), the crop on each
side and the capture rate.  The open windows' titles are listed on a pool thread (an X11 round
trip, never on the GUI thread); on Wayland or without a display the form says what is needed.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QSpinBox, QWidget

from studio.sources.screen import ScreenSettings, list_window_titles
from studio.sources.x11_windows import session_problem
from ui.workers import run_in_background

MODES = ("screen", "monitor", "region", "window")


class ScreenSourceForm(QWidget):
    """Fields of a "screen" source; ``settings()`` gives its settings, ``changed`` when one is edited."""

    changed = Signal()

    def __init__(self, settings: dict[str, Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screenSourceForm")
        try:
            current = ScreenSettings.model_validate(settings or {})
        except ValueError:
            current = ScreenSettings()
        self.mode_combo = QComboBox(self)
        self.mode_combo.setObjectName("screenModeCombo")
        for mode in MODES:
            self.mode_combo.addItem("", mode)
        self.mode_combo.setCurrentIndex(MODES.index(current.mode))
        self.monitor_spin = self._spin(1, 16, current.monitor)
        self.region_spins = [self._spin(0, 32_768, current.x), self._spin(0, 32_768, current.y),
                             self._spin(16, 16_384, current.width), self._spin(16, 16_384, current.height)]
        self.window_combo = QComboBox(self)
        self.window_combo.setObjectName("screenWindowCombo")
        self.window_combo.setEditable(True)
        self.window_combo.setMinimumContentsLength(24)
        self.window_combo.setEditText(current.window_title)
        self.window_combo.editTextChanged.connect(lambda _text: self.changed.emit())
        self.crop_spins = [self._spin(0, 16_384, value) for value in (current.crop_top, current.crop_right, current.crop_bottom, current.crop_left)]
        self.fps_spin = self._spin(1, 60, current.fps)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #e0a030;")

        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.labels = {key: QLabel(self) for key in ("mode", "monitor", "region", "window", "crop", "fps")}
        self.layout_.addRow(self.labels["mode"], self.mode_combo)
        self.layout_.addRow(self.labels["monitor"], self.monitor_spin)
        self.layout_.addRow(self.labels["region"], self._row(self.region_spins))
        self.layout_.addRow(self.labels["window"], self.window_combo)
        self.layout_.addRow(self.labels["crop"], self._row(self.crop_spins))
        self.layout_.addRow(self.labels["fps"], self.fps_spin)
        self.layout_.addRow(self.status)
        self.mode_combo.currentIndexChanged.connect(self._show_mode)
        self.problem = session_problem()  # reads the environment only
        self.retranslate()
        self._show_mode()
        if self.problem is None:
            run_in_background(list_window_titles, self._on_titles, self._on_titles_failed, receiver=self)

    def _spin(self, low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(low, high)
        spin.setValue(value)
        spin.valueChanged.connect(lambda _value: self.changed.emit())
        return spin

    def _row(self, spins: list[QSpinBox]) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for spin in spins:
            layout.addWidget(spin)
        return row

    @property
    def mode(self) -> str:
        return self.mode_combo.currentData() or "screen"

    def _show_mode(self, *_args: object) -> None:
        for key, field in (("monitor", self.monitor_spin), ("region", self.region_spins[0].parentWidget()), ("window", self.window_combo)):
            is_shown = self.mode == key
            field.setVisible(is_shown)
            self.labels[key].setVisible(is_shown)
        self.changed.emit()

    def _on_titles(self, titles: list[str]) -> None:
        typed = self.window_combo.currentText()
        self.window_combo.clear()
        self.window_combo.addItems([t for t in dict.fromkeys(titles) if t])
        self.window_combo.setEditText(typed)

    def _on_titles_failed(self, error: BaseException) -> None:
        self.status.setText(str(getattr(error, "message", None) or error))
        self.status.setVisible(True)

    def is_complete(self) -> bool:
        return self.mode != "window" or bool(self.window_combo.currentText().strip())

    def settings(self) -> dict[str, Any]:
        x, y, width, height = (spin.value() for spin in self.region_spins)
        top, right, bottom, left = (spin.value() for spin in self.crop_spins)
        settings: dict[str, Any] = {"mode": self.mode, "crop_top": top, "crop_right": right, "crop_bottom": bottom, "crop_left": left, "fps": self.fps_spin.value()}
        if self.mode == "monitor":
            settings["monitor"] = self.monitor_spin.value()
        elif self.mode == "region":
            settings.update(x=x, y=y, width=width, height=height)
        elif self.mode == "window":
            settings["window_title"] = self.window_combo.currentText().strip()
        return settings

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        for index, text in enumerate((self.tr("Whole screen"), self.tr("One monitor"), self.tr("A region"), self.tr("A window"))):
            self.mode_combo.setItemText(index, text)
        self.labels["mode"].setText(self.tr("Capture"))
        self.labels["monitor"].setText(self.tr("Monitor"))
        self.labels["region"].setText(self.tr("Region (x, y, width, height)"))
        self.labels["window"].setText(self.tr("Window title"))
        self.labels["crop"].setText(self.tr("Crop (top, right, bottom, left)"))
        self.labels["fps"].setText(self.tr("Capture rate"))
        self.window_combo.setToolTip(self.tr("Part of the window's title; the capture follows the window when it moves"))
        for spin in (*self.region_spins, *self.crop_spins):
            spin.setSuffix(self.tr(" px"))
        self.fps_spin.setSuffix(self.tr(" fps"))
        if self.problem is not None:
            self.problem = session_problem()  # again: in the language just chosen
            self.status.setText(self.problem or "")
        self.status.setVisible(bool(self.status.text()))
