"""The dialog that configures a source before it is added, or reconfigures it later.

One page per source kind.  The camera page lists devices and their modes on a pool
thread (opening devices can take seconds) and fills its combos when the answer arrives.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui.screen_source_form import ScreenSourceForm
from ui.workers import run_in_background

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = "*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff"
MEDIA_SUFFIXES = "*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.ts *.flv"


def kind_label(kind: str) -> str:
    """The source kind in the user's language (the kind code itself if unknown)."""
    labels = {
        "testpattern": QCoreApplication.translate("SourceKinds", "Test pattern"),
        "image": QCoreApplication.translate("SourceKinds", "Image"),
        "media_file": QCoreApplication.translate("SourceKinds", "Media file"),
        "camera": QCoreApplication.translate("SourceKinds", "Camera / capture card"),
        "text": QCoreApplication.translate("SourceKinds", "Text"),
        "screen": QCoreApplication.translate("SourceKinds", "Screen / window capture"),
    }
    return labels.get(kind, kind)


def video_device_names() -> list[str] | None:
    """Camera names from Qt Multimedia, in OpenCV's index order on Windows/macOS (DirectShow /
    AVFoundation enumerate in the same order).  Linux names come from V4L2 sysfs: None.
    Call on the GUI thread (cheap: Qt caches the device list)."""
    import sys

    if sys.platform.startswith("linux"):
        return None
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:  # Qt Multimedia missing: the engine names devices "Camera N"
        return None
    return [device.description() for device in QMediaDevices.videoInputs()]


def list_video_devices(names: list[str] | None = None) -> list[dict[str, Any]]:
    """Camera devices from the engine (blocking; call on a pool thread)."""
    from studio.sources.devices import list_video_devices as engine_list

    return list(engine_list(names=names))


def format_mode(mode: dict[str, Any]) -> str:
    fps = mode.get("fps")
    fps_text = f"{fps:g}" if isinstance(fps, int | float) else str(fps or "?")
    text = QCoreApplication.translate("SourceDialog", "{width}×{height} @ {fps} fps").format(width=mode.get("width", "?"), height=mode.get("height", "?"), fps=fps_text)
    pixel_format = mode.get("pixel_format")
    return f"{text}  {pixel_format}" if pixel_format else text


class _FilePicker(QWidget):
    def __init__(self, filter_text_fn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filter_text_fn = filter_text_fn
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("pathEdit")
        self.button = QPushButton(self)
        self.button.clicked.connect(self._browse)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Choose a file"), self.edit.text(), self._filter_text_fn())
        if path:
            self.edit.setText(path)

    def retranslate(self) -> None:
        self.button.setText(self.tr("Browse…"))


class SourceDialog(QDialog):
    """Configure one source of ``kind``; ``values()`` gives ``(name, settings)`` after accept."""

    def __init__(self, kind: str, parent: QWidget | None = None, name: str = "", settings: dict[str, Any] | None = None, canvas_size: tuple[int, int, int] = (1920, 1080, 30), is_new: bool = True) -> None:
        super().__init__(parent)
        self.kind = kind
        self.is_new = is_new
        self.setObjectName("sourceDialog")
        self.setMinimumWidth(460)
        self._settings = dict(settings or {})
        self._devices: list[dict[str, Any]] = []
        self._device_error = ""
        self._is_listing_devices = False

        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.name_label = QLabel(self)
        self.name_edit = QLineEdit(name or kind_label(kind), self)
        self.name_edit.setObjectName("nameEdit")
        self.name_label.setBuddy(self.name_edit)
        self.form.addRow(self.name_label, self.name_edit)
        self._rows: list[tuple[QLabel, str]] = []  # label and its untranslated text

        self.path_picker: _FilePicker | None = None
        self.loop_check: QCheckBox | None = None
        self.restart_check: QCheckBox | None = None
        if kind == "testpattern":
            width, height, fps = canvas_size
            self.width_spin = self._spin(160, 7680, int(self._settings.get("width", width)), 2)
            self.height_spin = self._spin(160, 7680, int(self._settings.get("height", height)), 2)
            self.fps_spin = self._spin(1, 120, int(self._settings.get("fps", fps)), 1)
            self._add_row("Width", self.width_spin)
            self._add_row("Height", self.height_spin)
            self._add_row("Frame rate", self.fps_spin)
        elif kind in ("image", "media_file"):
            self.path_picker = _FilePicker(self._file_filter, self)
            self.path_picker.edit.setText(str(self._settings.get("path", "")))
            self.path_picker.edit.textChanged.connect(self._update_ok)
            self._add_row("File", self.path_picker)
            if kind == "media_file":
                self.loop_check = QCheckBox(self)
                self.loop_check.setChecked(bool(self._settings.get("loop", True)))
                self._add_row("", self.loop_check)
                self.restart_check = QCheckBox(self)
                self.restart_check.setObjectName("restartOnShowCheck")
                self.restart_check.setChecked(bool(self._settings.get("restart_on_show", False)))
                self._add_row("", self.restart_check)
        elif kind == "text":
            self._build_text_form(canvas_size)
        elif kind == "screen":
            self.screen_form = ScreenSourceForm(self._settings, self)
            self.screen_form.changed.connect(self._update_ok)
            self.form.addRow(self.screen_form)
        elif kind == "camera":
            self.device_combo = QComboBox(self)
            self.device_combo.setObjectName("deviceCombo")
            self.device_combo.setMinimumContentsLength(28)
            self.mode_combo = QComboBox(self)
            self.mode_combo.setObjectName("modeCombo")
            self.backend_combo = QComboBox(self)
            self.backend_combo.setObjectName("backendCombo")
            self.device_status = QLabel(self)
            self.device_status.setWordWrap(True)
            self._add_row("Device", self.device_combo)
            self._add_row("Mode", self.mode_combo)
            self._add_row("Backend", self.backend_combo)
            self.form.addRow(self.device_status)
            self.device_combo.currentIndexChanged.connect(self._on_device_chosen)
            self.device_combo.currentIndexChanged.connect(self._update_ok)
            self.refresh_devices()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.retranslate()
        self._update_ok()

    # -- building -------------------------------------------------------------------------
    def _build_text_form(self, canvas_size: tuple[int, int, int]) -> None:
        """Words, size, box and ticker of a text source (its colours and outline keep their
        defaults or what the file says; ``{countdown}`` counts down to a time)."""
        width, _height, _fps = canvas_size
        self.text_edit = QPlainTextEdit(self)
        self.text_edit.setObjectName("textEdit")
        self.text_edit.setPlainText(str(self._settings.get("text", "")))
        self.text_edit.setFixedHeight(90)
        self.text_edit.textChanged.connect(self._update_ok)
        self.language_edit = QLineEdit(str(self._settings.get("language", "en")), self)
        self.language_edit.setObjectName("textLanguageEdit")
        size = int(self._settings.get("size_px", 64))
        self.size_spin = self._spin(8, 400, size, 2)
        self.text_width_spin = self._spin(16, 7680, int(self._settings.get("width", width)), 2)
        self.text_height_spin = self._spin(16, 4320, int(self._settings.get("height", max(48, size * 5 // 2))), 2)
        self.box_check = QCheckBox(self)
        self.box_check.setChecked(bool(self._settings.get("box_color", "#000000A0")))
        self.scroll_spin = self._spin(0, 2000, int(self._settings.get("scroll_px_per_s", 0)), 20)
        self._add_row("Text", self.text_edit)
        self._add_row("Language", self.language_edit)
        self._add_row("Size", self.size_spin)
        self._add_row("Width", self.text_width_spin)
        self._add_row("Height", self.text_height_spin)
        self._add_row("", self.box_check)
        self._add_row("Ticker", self.scroll_spin)

    def _text_settings(self) -> dict[str, Any]:
        settings = {key: value for key, value in self._settings.items()}
        settings.update({
            "text": self.text_edit.toPlainText(),
            "language": self.language_edit.text().strip() or "en",
            "size_px": self.size_spin.value(),
            "width": self.text_width_spin.value(),
            "height": self.text_height_spin.value(),
            "box_color": (self._settings.get("box_color") or "#000000A0") if self.box_check.isChecked() else "",
            "scroll_px_per_s": self.scroll_spin.value(),
        })
        return settings

    def _spin(self, low: int, high: int, value: int, step: int) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setValue(value)
        return spin

    def _add_row(self, text: str, field: QWidget) -> None:
        label = QLabel(self)
        label.setBuddy(field)
        self._rows.append((label, text))
        self.form.addRow(label, field)

    def _file_filter(self) -> str:
        if self.kind == "image":
            return self.tr("Images ({patterns})").format(patterns=IMAGE_SUFFIXES) + ";;" + self.tr("All files (*)")
        return self.tr("Videos ({patterns})").format(patterns=MEDIA_SUFFIXES) + ";;" + self.tr("All files (*)")

    # -- camera devices ----------------------------------------------------------------------
    def refresh_devices(self) -> None:
        """List devices on a pool thread; the combos fill in when the answer arrives."""
        self._is_listing_devices = True
        self.device_combo.clear()
        self.device_combo.setEnabled(False)
        self._show_device_status()
        names = video_device_names()
        run_in_background(lambda: list_video_devices(names), self._on_devices_listed, self._on_devices_failed, receiver=self)

    def _on_devices_listed(self, devices: list[dict[str, Any]]) -> None:
        self._is_listing_devices = False
        self._devices = [d for d in devices if isinstance(d, dict)]
        self._device_error = ""
        self.device_combo.clear()
        wanted = self._settings.get("device")
        for device in self._devices:
            self.device_combo.addItem(str(device.get("name") or device.get("id")), device.get("id"))
        index = self.device_combo.findData(wanted) if wanted is not None else -1
        self.device_combo.setEnabled(bool(self._devices))
        if self._devices:
            self.device_combo.setCurrentIndex(max(0, index))
            self._on_device_chosen(self.device_combo.currentIndex())
        self._show_device_status()
        self._update_ok()

    def _on_devices_failed(self, error: BaseException) -> None:
        self._is_listing_devices = False
        if isinstance(error, ImportError):
            self._device_error = self.tr("Camera support is not installed in this build.")
        else:
            self._device_error = self.tr("Could not list cameras: {reason}").format(reason=error)
        self._show_device_status()
        self._update_ok()

    def _show_device_status(self) -> None:
        if self.kind != "camera":
            return
        if self._is_listing_devices:
            text = self.tr("Looking for cameras and capture cards…")
        elif self._device_error:
            text = self._device_error
        elif not self._devices:
            text = self.tr("No camera or capture card found. Plug one in and open this dialog again.")
        else:
            text = ""
        self.device_status.setText(text)
        self.device_status.setVisible(bool(text))

    def _on_device_chosen(self, index: int) -> None:
        device = self._devices[index] if 0 <= index < len(self._devices) else None
        self.mode_combo.clear()
        self.backend_combo.clear()
        if device is None:
            return
        self.mode_combo.addItem(self.tr("Device default"), None)
        for mode in device.get("modes") or []:
            self.mode_combo.addItem(format_mode(mode), dict(mode))
        wanted = (self._settings.get("width"), self._settings.get("height"), self._settings.get("fps"), self._settings.get("pixel_format"))
        for row in range(1, self.mode_combo.count()):
            mode = self.mode_combo.itemData(row)
            if (mode.get("width"), mode.get("height"), mode.get("fps"), mode.get("pixel_format")) == wanted:
                self.mode_combo.setCurrentIndex(row)
                break
        self.backend_combo.addItem(self.tr("Automatic"), "auto")
        backends = [str(d.get("backend")) for d in self._devices if d.get("backend")]
        for backend in dict.fromkeys([str(device.get("backend") or "")] + backends):
            if backend and backend != "auto":
                self.backend_combo.addItem(backend, backend)
        chosen = self._settings.get("backend") or device.get("backend") or "auto"
        self.backend_combo.setCurrentIndex(max(0, self.backend_combo.findData(chosen)))

    # -- result -------------------------------------------------------------------------------
    def _update_ok(self, *_args: object) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if self.path_picker is not None:
            ok.setEnabled(bool(self.path_picker.edit.text().strip()))
        elif self.kind == "camera":
            ok.setEnabled(self.device_combo.currentIndex() >= 0)
        elif self.kind == "text":
            ok.setEnabled(bool(self.text_edit.toPlainText().strip()))
        elif self.kind == "screen":
            ok.setEnabled(self.screen_form.is_complete())
        else:
            ok.setEnabled(True)

    def values(self) -> tuple[str, dict[str, Any]]:
        """The name and the settings chosen (only the keys this kind uses)."""
        name = self.name_edit.text().strip() or kind_label(self.kind)
        settings: dict[str, Any] = {}
        if self.kind == "testpattern":
            settings = {"width": self.width_spin.value() // 2 * 2, "height": self.height_spin.value() // 2 * 2, "fps": self.fps_spin.value()}
        elif self.path_picker is not None:
            settings = {"path": self.path_picker.edit.text().strip()}
            if self.loop_check is not None:
                settings["loop"] = self.loop_check.isChecked()
            if self.restart_check is not None:
                settings["restart_on_show"] = self.restart_check.isChecked()
        elif self.kind == "text":
            settings = self._text_settings()
        elif self.kind == "screen":
            settings = self.screen_form.settings()
        elif self.kind == "camera":
            settings = {"device": self.device_combo.currentData(), "backend": self.backend_combo.currentData() or "auto"}
            mode = self.mode_combo.currentData()
            if mode:
                settings.update({key: mode[key] for key in ("width", "height", "fps", "pixel_format") if key in mode})
        return name, settings

    # -- language -------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        title = self.tr("Add source: {kind}") if self.is_new else self.tr("Properties: {kind}")
        self.setWindowTitle(title.format(kind=kind_label(self.kind)))
        self.name_label.setText(self.tr("&Name"))
        texts = {
            "Width": self.tr("&Width"),
            "Height": self.tr("&Height"),
            "Frame rate": self.tr("&Frame rate"),
            "File": self.tr("&File"),
            "Device": self.tr("&Device"),
            "Mode": self.tr("&Mode"),
            "Backend": self.tr("&Backend"),
            "Text": self.tr("&Text"),
            "Language": self.tr("&Language"),
            "Size": self.tr("&Size"),
            "Ticker": self.tr("&Scroll"),
            "": "",
        }
        for label, text in self._rows:
            label.setText(texts.get(text, text))
        if self.kind == "testpattern":
            self.fps_spin.setSuffix(self.tr(" fps"))
            self.width_spin.setSuffix(self.tr(" px"))
            self.height_spin.setSuffix(self.tr(" px"))
        if self.kind == "text":
            self.text_edit.setPlaceholderText(self.tr("e.g. Free shipping today · Starts in {countdown}"))
            self.language_edit.setToolTip(self.tr("The words' language (e.g. th, ar, vi, zh-CN): picks the fonts and the direction"))
            for spin in (self.size_spin, self.text_width_spin, self.text_height_spin):
                spin.setSuffix(self.tr(" px"))
            self.box_check.setText(self.tr("Background box"))
            self.scroll_spin.setSuffix(self.tr(" px/s"))
            self.scroll_spin.setSpecialValueText(self.tr("Still"))
        if self.path_picker is not None:
            self.path_picker.retranslate()
        if self.loop_check is not None:
            self.loop_check.setText(self.tr("&Loop when the file ends"))
        if self.restart_check is not None:
            self.restart_check.setText(self.tr("Play from the &start each time it is shown"))
        if self.kind == "camera":
            self._show_device_status()
            if self.mode_combo.count():
                self.mode_combo.setItemText(0, self.tr("Device default"))
                for row in range(1, self.mode_combo.count()):
                    self.mode_combo.setItemText(row, format_mode(self.mode_combo.itemData(row)))
            if self.backend_combo.count():
                self.backend_combo.setItemText(0, self.tr("Automatic"))
