"""Sync offset, noise gate and limiter of one audio input."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout, QWidget


def _spin(parent: QWidget, low: float, high: float, value: float, step: float, decimals: int = 1) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setValue(value)
    return spin


class AudioInputDialog(QDialog):
    """Edits an input's ``sync_offset_ms``, ``gate`` and ``limiter``; ``apply()`` writes them."""

    def __init__(self, audio_input: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audioInputDialog")
        self.audio_input = audio_input
        gate = audio_input.gate
        limiter = audio_input.limiter
        layout = QVBoxLayout(self)

        sync_form = QFormLayout()
        self.sync_label = QLabel(self)
        self.sync_spin = QSpinBox(self)
        self.sync_spin.setRange(0, 2000)
        self.sync_spin.setSingleStep(10)
        self.sync_spin.setValue(round(audio_input.sync_offset_ms))
        self.sync_label.setBuddy(self.sync_spin)
        sync_form.addRow(self.sync_label, self.sync_spin)
        layout.addLayout(sync_form)

        self.gate_box = QGroupBox(self)
        self.gate_box.setCheckable(True)
        self.gate_box.setChecked(gate.is_enabled)
        gate_form = QFormLayout(self.gate_box)
        self.gate_threshold = _spin(self, -100.0, 0.0, gate.threshold_db, 1.0)
        self.gate_attack = _spin(self, 0.0, 1000.0, gate.attack_ms, 1.0)
        self.gate_hold = _spin(self, 0.0, 5000.0, gate.hold_ms, 10.0)
        self.gate_release = _spin(self, 0.0, 5000.0, gate.release_ms, 10.0)
        self.gate_labels = [QLabel(self) for _ in range(4)]
        for label, spin in zip(self.gate_labels, (self.gate_threshold, self.gate_attack, self.gate_hold, self.gate_release)):
            label.setBuddy(spin)
            gate_form.addRow(label, spin)
        layout.addWidget(self.gate_box)

        self.limiter_box = QGroupBox(self)
        self.limiter_box.setCheckable(True)
        self.limiter_box.setChecked(limiter.is_enabled)
        limiter_form = QFormLayout(self.limiter_box)
        self.limiter_ceiling = _spin(self, -60.0, 0.0, limiter.ceiling_dbfs, 0.5)
        self.limiter_release = _spin(self, 1.0, 5000.0, limiter.release_ms, 10.0)
        self.limiter_labels = [QLabel(self) for _ in range(2)]
        for label, spin in zip(self.limiter_labels, (self.limiter_ceiling, self.limiter_release)):
            label.setBuddy(spin)
            limiter_form.addRow(label, spin)
        layout.addWidget(self.limiter_box)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.accepted.connect(self.apply)
        self.retranslate()

    def apply(self) -> None:
        self.audio_input.sync_offset_ms = float(self.sync_spin.value())
        self.audio_input.gate = replace(
            self.audio_input.gate,
            is_enabled=self.gate_box.isChecked(),
            threshold_db=self.gate_threshold.value(),
            attack_ms=self.gate_attack.value(),
            hold_ms=self.gate_hold.value(),
            release_ms=self.gate_release.value(),
        )
        self.audio_input.limiter = replace(
            self.audio_input.limiter,
            is_enabled=self.limiter_box.isChecked(),
            ceiling_dbfs=self.limiter_ceiling.value(),
            release_ms=self.limiter_release.value(),
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Audio settings: {name}").format(name=self.audio_input.name))
        self.sync_label.setText(self.tr("&Sync offset (delay)"))
        self.sync_spin.setSuffix(self.tr(" ms"))
        self.sync_spin.setToolTip(self.tr("Delay this input to line it up with a late picture"))
        self.gate_box.setTitle(self.tr("&Noise gate"))
        for label, text in zip(self.gate_labels, (self.tr("Threshold"), self.tr("Attack"), self.tr("Hold"), self.tr("Release"))):
            label.setText(text)
        self.gate_threshold.setSuffix(self.tr(" dB"))
        for spin in (self.gate_attack, self.gate_hold, self.gate_release, self.limiter_release):
            spin.setSuffix(self.tr(" ms"))
        self.limiter_box.setTitle(self.tr("&Limiter"))
        self.limiter_labels[0].setText(self.tr("Ceiling"))
        self.limiter_labels[1].setText(self.tr("Release"))
        self.limiter_ceiling.setSuffix(self.tr(" dBFS"))
