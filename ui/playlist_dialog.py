"""Pick the files of a music playlist and how it plays (loop, shuffle, crossfade).

Used to add a playlist (``playlist=None``) and to edit one; :meth:`settings` gives the
keyword arguments of the engine's ``PlaylistInput``.  Files are not opened here: one that
cannot be played is skipped by the player with a message on its strip.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

MUSIC_PATTERNS = "*.mp3 *.m4a *.aac *.wav *.flac *.ogg *.opus *.wma *.mp4 *.mkv *.webm"


class PlaylistDialog(QDialog):
    """A list of music files plus loop / shuffle / crossfade."""

    def __init__(self, playlist: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playlistDialog")
        self.playlist = playlist
        self.file_dialog: QFileDialog | None = None
        layout = QVBoxLayout(self)

        form = QFormLayout()
        self.name_label = QLabel(self)
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(200)
        self.name_label.setBuddy(self.name_edit)
        form.addRow(self.name_label, self.name_edit)
        layout.addLayout(form)

        self.files_label = QLabel(self)
        layout.addWidget(self.files_label)
        self.file_list = QListWidget(self)
        self.file_list.setObjectName("playlistFiles")
        self.file_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.file_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.files_label.setBuddy(self.file_list)
        layout.addWidget(self.file_list, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self)
        self.add_button.clicked.connect(self.choose_files)
        self.remove_button = QPushButton(self)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        options = QFormLayout()
        self.loop_box = QCheckBox(self)
        self.shuffle_box = QCheckBox(self)
        self.crossfade_label = QLabel(self)
        self.crossfade_spin = QDoubleSpinBox(self)
        self.crossfade_spin.setRange(0.0, 10.0)
        self.crossfade_spin.setDecimals(1)
        self.crossfade_spin.setSingleStep(0.5)
        self.crossfade_label.setBuddy(self.crossfade_spin)
        options.addRow(self.loop_box)
        options.addRow(self.shuffle_box)
        options.addRow(self.crossfade_label, self.crossfade_spin)
        layout.addLayout(options)

        self.hint_label = QLabel(self)
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet("color: #f0b429;")
        self.hint_label.hide()
        layout.addWidget(self.hint_label)
        self.button_box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.button_box.accepted.connect(self._on_accept)
        self.button_box.rejected.connect(self.reject)
        layout.addWidget(self.button_box)

        if playlist is not None:
            self.name_edit.setText(playlist.name)
            self.add_files(playlist.files)
            self.loop_box.setChecked(playlist.is_looping)
            self.shuffle_box.setChecked(playlist.is_shuffled)
            self.crossfade_spin.setValue(playlist.crossfade_ms / 1000.0)
        else:
            self.loop_box.setChecked(True)
        self.retranslate()

    # -- files ---------------------------------------------------------------------------------
    @property
    def files(self) -> list[str]:
        return [self.file_list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.file_list.count())]

    def add_files(self, paths: list[str]) -> None:
        for path in paths:
            item = QListWidgetItem(Path(path).name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.file_list.addItem(item)
        self.hint_label.hide()

    def remove_selected(self) -> None:
        for item in self.file_list.selectedItems():
            self.file_list.takeItem(self.file_list.row(item))

    def choose_files(self) -> QFileDialog:
        """Qt's file chooser, opened without blocking; chosen files are added to the list."""
        start = str(Path(self.files[-1]).parent) if self.files else str(Path.home())
        dialog = QFileDialog(self, self.tr("Choose music files"), start,
                             self.tr("Music ({patterns});;All files (*)").format(patterns=MUSIC_PATTERNS))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self.add_files)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    # -- result --------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.name_edit.text().strip() or self.tr("Music")

    def settings(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "is_looping": self.loop_box.isChecked(),
            "is_shuffled": self.shuffle_box.isChecked(),
            "crossfade_ms": round(self.crossfade_spin.value() * 1000.0),
        }

    def _on_accept(self) -> None:
        if not self.files:
            self.hint_label.setText(self.tr("Add at least one music file."))
            self.hint_label.show()
            return
        self.accept()

    def apply(self) -> None:
        """Write the choices to the edited playlist (adding one is the dock's job)."""
        if self.playlist is None:
            return
        settings = self.settings()
        self.playlist.name = self.name
        self.playlist.configure(is_looping=settings["is_looping"], is_shuffled=settings["is_shuffled"],
                                crossfade_ms=float(settings["crossfade_ms"]))
        if settings["files"] != self.playlist.files:
            self.playlist.set_files(settings["files"])

    # -- language ------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Music playlist"))
        self.name_label.setText(self.tr("Name:"))
        self.name_edit.setPlaceholderText(self.tr("Music"))
        self.files_label.setText(self.tr("Files (played in this order; drag to reorder):"))
        self.add_button.setText(self.tr("Add files…"))
        self.remove_button.setText(self.tr("Remove"))
        self.loop_box.setText(self.tr("Start again after the last file"))
        self.shuffle_box.setText(self.tr("Shuffle"))
        self.crossfade_label.setText(self.tr("Crossfade:"))
        self.crossfade_spin.setSuffix(self.tr(" s"))
        self.crossfade_spin.setSpecialValueText(self.tr("Off"))
