"""Settings → Destinations…: add, edit and remove the platforms to go live to.

A profile is a WHIP endpoint (URL, token, codec, layers, simulcast mode) or an RTMP/RTMPS
server: a platform preset (YouTube, Facebook, Twitch, Kick, TikTok LIVE, Shopee Live, Lazada
LazLive, Instagram or "Custom RTMP(S)") prefills the server URL when the platform has one
and the canvas it wants (vertical for the mobile-first ones), and says where the host finds
the URL and the stream key.  Each profile says whether Go live publishes to it.  The token or
stream key is kept by ``studio.secrets_store`` (keyring or an owner-only file), never in
settings.json; the field is masked unless the host asks to see it.  Nothing is saved until
every profile passes validation; problems are listed in words beside the form.
"""
from __future__ import annotations

import logging
import uuid
from urllib.parse import urlsplit

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
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

from studio.golive.platforms import PRESETS, get_preset
from studio.settings import Destination, Settings, save_settings
from ui.golive import token_ref_for
from ui.workers import run_in_background

log = logging.getLogger(__name__)

RIDS = ("h", "m", "l")
SIMULCAST_MODES = ("rid", "ssrc", "off")


def _read_tokens(refs: dict[str, str]) -> dict[str, str | None]:
    from studio.secrets_store import get_secret

    return {draft_id: get_secret(ref) for draft_id, ref in refs.items()}


def _write_tokens(secrets: dict[str, str | None]) -> None:
    from studio.secrets_store import set_secret

    for ref, value in secrets.items():
        set_secret(ref, value)


class _Draft:
    """A profile being edited (the token only in memory until saved)."""

    def __init__(self, destination: Destination | None = None, token: str | None = None) -> None:
        self.id = destination.id if destination else uuid.uuid4().hex[:12]
        self.name = destination.name if destination else ""
        self.kind = destination.kind if destination else "whip"
        self.is_enabled = destination.is_enabled if destination else True
        self.platform = destination.platform if destination else "custom"
        self.canvas = destination.canvas if destination else "horizontal"
        self.whip_url = (destination.whip_url or "") if destination else ""
        self.rtmp_server = (destination.rtmp_server or "") if destination else ""
        self.bitrate_bps = destination.bitrate_bps if destination else None
        self.codec = destination.codec if destination else "h264"
        self.layers = list(destination.layers) if destination else list(RIDS)
        self.simulcast = destination.simulcast if destination else "rid"
        self.token = token or ""
        self.token_loaded = destination is None or token is not None


class DestinationsDialog(QDialog):
    """Edits ``settings.destinations``; on Save writes tokens to the secrets store and the settings file."""

    def __init__(self, settings: Settings, parent: QWidget | None = None, *, load_tokens: bool = True) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setObjectName("destinationsDialog")
        self.drafts: list[_Draft] = [_Draft(destination) for destination in settings.destinations]
        self._removed_refs: list[str] = []
        self._current: _Draft | None = None
        self.is_saving = False

        self.list = QListWidget(self)
        self.list.setMinimumWidth(180)
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.add_button = QPushButton(self)
        self.add_button.clicked.connect(self.add_destination)
        self.remove_button = QPushButton(self)
        self.remove_button.clicked.connect(self.remove_destination)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(self.add_button)
        buttons_row.addWidget(self.remove_button)
        left.addLayout(buttons_row)

        self.form_widget = QWidget(self)
        form = QFormLayout(self.form_widget)
        self.name_edit = QLineEdit(self.form_widget)
        self.kind_combo = QComboBox(self.form_widget)
        self.kind_combo.setObjectName("destinationKindCombo")
        self.kind_combo.addItem("WHIP", "whip")
        self.kind_combo.addItem("RTMP / RTMPS", "rtmp")
        self.enabled_check = QCheckBox(self.form_widget)
        self.enabled_check.setObjectName("destinationEnabled")
        self.platform_combo = QComboBox(self.form_widget)
        self.platform_combo.setObjectName("platformCombo")
        for preset in PRESETS:
            self.platform_combo.addItem(preset.name, preset.id)
        self.platform_hint = QLabel(self.form_widget)
        self.platform_hint.setObjectName("platformHint")
        self.platform_hint.setWordWrap(True)
        self.platform_hint.setStyleSheet("color: #8b949e;")
        self.server_edit = QLineEdit(self.form_widget)
        self.server_edit.setObjectName("rtmpServerEdit")
        self.server_edit.setPlaceholderText("rtmps://live.example.com/app")
        self.canvas_combo = QComboBox(self.form_widget)
        self.canvas_combo.setObjectName("destinationCanvas")
        self.canvas_combo.addItem("", "horizontal")
        self.canvas_combo.addItem("", "vertical")
        self.url_edit = QLineEdit(self.form_widget)
        self.url_edit.setPlaceholderText("https://example.com/whip/endpoint")
        self.token_edit = QLineEdit(self.form_widget)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = QCheckBox(self.form_widget)
        self.show_token.toggled.connect(self._on_show_token)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.show_token)
        self.codec_combo = QComboBox(self.form_widget)
        self.codec_combo.addItem("H.264", "h264")
        self.codec_combo.addItem("VP8", "vp8")
        self.layer_checks = {rid: QCheckBox(self.form_widget) for rid in RIDS}
        layers_row = QHBoxLayout()
        for check in self.layer_checks.values():
            layers_row.addWidget(check)
        layers_row.addStretch(1)
        self.simulcast_combo = QComboBox(self.form_widget)
        for mode in SIMULCAST_MODES:
            self.simulcast_combo.addItem("", mode)
        (self.name_caption, self.kind_caption, self.platform_caption, self.server_caption, self.canvas_caption,
         self.url_caption, self.token_caption, self.codec_caption, self.layers_caption, self.simulcast_caption) = (
            QLabel(self.form_widget) for _ in range(10))
        form.addRow(self.name_caption, self.name_edit)
        form.addRow(self.kind_caption, self.kind_combo)
        form.addRow(self.enabled_check)
        form.addRow(self.platform_caption, self.platform_combo)
        form.addRow(self.platform_hint)
        form.addRow(self.url_caption, self.url_edit)
        form.addRow(self.server_caption, self.server_edit)
        form.addRow(self.token_caption, token_row)
        form.addRow(self.canvas_caption, self.canvas_combo)
        form.addRow(self.codec_caption, self.codec_combo)
        form.addRow(self.layers_caption, layers_row)
        form.addRow(self.simulcast_caption, self.simulcast_combo)
        self.form = form
        self._token_row = token_row
        self._layers_row = layers_row
        self.problems_label = QLabel(self)
        self.problems_label.setObjectName("destinationProblems")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #ff6b6b;")
        right = QVBoxLayout()
        right.addWidget(self.form_widget)
        right.addWidget(self.problems_label)
        right.addStretch(1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addLayout(right, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(body, 1)
        outer.addWidget(self.buttons)

        for edit in (self.name_edit, self.url_edit, self.token_edit, self.server_edit):
            edit.textEdited.connect(self._on_edited)
        self.enabled_check.toggled.connect(self._on_edited)
        self.canvas_combo.currentIndexChanged.connect(self._on_edited)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        self.platform_combo.currentIndexChanged.connect(self._on_platform_changed)
        for check in self.layer_checks.values():
            check.toggled.connect(self._on_edited)
        self.codec_combo.currentIndexChanged.connect(self._on_edited)
        self.simulcast_combo.currentIndexChanged.connect(self._on_edited)
        self.retranslate()
        for draft in self.drafts:
            self.list.addItem(QListWidgetItem(draft.name))
        if self.drafts:
            self.list.setCurrentRow(0)
        self._show_draft(self.drafts[0] if self.drafts else None)
        self.resize(720, 460)
        refs = {draft.id: d.token_ref for draft, d in zip(self.drafts, settings.destinations) if d.token_ref}
        if load_tokens and refs:
            # The keyring may wait on D-Bus (or an unlock prompt): read it off the GUI thread.
            self.token_edit.setEnabled(False)
            run_in_background(lambda: _read_tokens(refs), self._on_tokens_read, self._on_tokens_failed, receiver=self)

    def _on_tokens_read(self, tokens: dict[str, str | None]) -> None:
        for draft in self.drafts:
            if draft.id in tokens and not draft.token_loaded:
                draft.token = tokens[draft.id] or ""
                draft.token_loaded = True
        self.token_edit.setEnabled(True)
        if self._current is not None:
            self.token_edit.setText(self._current.token)

    def _on_tokens_failed(self, error: BaseException) -> None:
        log.warning("could not read the saved tokens: %s", type(error).__name__)
        self.token_edit.setEnabled(True)

    # -- list ---------------------------------------------------------------------------------------
    def add_destination(self) -> _Draft:
        self._commit_form()
        draft = _Draft()
        draft.name = self.tr("New destination")
        self.drafts.append(draft)
        self.list.addItem(QListWidgetItem(draft.name))
        self.list.setCurrentRow(len(self.drafts) - 1)
        self.name_edit.setFocus()
        self.name_edit.selectAll()
        return draft

    def remove_destination(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        draft = self.drafts.pop(row)
        self._removed_refs.append(token_ref_for(draft.id))
        self._current = None
        self.list.takeItem(row)
        if not self.drafts:
            self._show_draft(None)
        self._validate()

    def _on_row_changed(self, row: int) -> None:
        self._commit_form()
        self._show_draft(self.drafts[row] if 0 <= row < len(self.drafts) else None)

    # -- form ---------------------------------------------------------------------------------------
    def _show_draft(self, draft: _Draft | None) -> None:
        self._current = None  # no commits while filling the form
        self.form_widget.setEnabled(draft is not None)
        self.remove_button.setEnabled(draft is not None)
        draft = draft or _Draft()
        self.name_edit.setText(draft.name)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(draft.kind)))
        self.enabled_check.setChecked(draft.is_enabled)
        self.platform_combo.setCurrentIndex(max(0, self.platform_combo.findData(draft.platform)))
        self.server_edit.setText(draft.rtmp_server)
        self.canvas_combo.setCurrentIndex(max(0, self.canvas_combo.findData(draft.canvas)))
        self._show_kind_rows(draft.kind)
        self._show_hint(draft.platform)
        self.url_edit.setText(draft.whip_url)
        self.token_edit.setText(draft.token)
        self.show_token.setChecked(False)
        self.codec_combo.setCurrentIndex(max(0, self.codec_combo.findData(draft.codec)))
        for rid, check in self.layer_checks.items():
            check.setChecked(rid in draft.layers)
        self.simulcast_combo.setCurrentIndex(max(0, self.simulcast_combo.findData(draft.simulcast)))
        self._current = draft if self.form_widget.isEnabled() else None
        self._validate()

    def _commit_form(self) -> None:
        draft = self._current
        if draft is None:
            return
        draft.name = self.name_edit.text().strip()
        draft.kind = self.kind_combo.currentData()
        draft.is_enabled = self.enabled_check.isChecked()
        draft.platform = self.platform_combo.currentData()
        draft.rtmp_server = self.server_edit.text().strip()
        draft.canvas = self.canvas_combo.currentData() if draft.kind == "rtmp" else "horizontal"
        draft.whip_url = self.url_edit.text().strip()
        if self.token_edit.isEnabled():  # disabled while the saved tokens are still being read
            draft.token = self.token_edit.text().strip()
            draft.token_loaded = True
        draft.codec = self.codec_combo.currentData()
        draft.layers = [rid for rid, check in self.layer_checks.items() if check.isChecked()]
        draft.simulcast = self.simulcast_combo.currentData()

    def _on_edited(self, *_args: object) -> None:
        self._commit_form()
        row = self.list.currentRow()
        if self._current is not None and 0 <= row < self.list.count():
            self.list.item(row).setText(self._current.name or self.tr("(no name)"))
        self._validate()

    def _on_kind_changed(self, *_args: object) -> None:
        kind = self.kind_combo.currentData()
        self._show_kind_rows(kind)
        if self._current is not None and kind == "rtmp" and self._current.kind != "rtmp":
            self._apply_preset(self.platform_combo.currentData(), previous=None)
        self._on_edited()

    def _on_platform_changed(self, *_args: object) -> None:
        if self._current is None:
            return
        previous = self._current.platform
        self._apply_preset(self.platform_combo.currentData(), previous=previous)
        self._on_edited()

    def _apply_preset(self, preset_id: str, previous: str | None) -> None:
        """Prefill what the platform fixes: its server URL (when it has one; a URL the host typed
        stays) and the canvas its viewers expect."""
        preset = get_preset(preset_id)
        old_server = get_preset(previous).server_url if previous else None
        server = self.server_edit.text().strip()
        if preset.server_url:
            if not server or server == old_server:
                self.server_edit.setText(preset.server_url)
        elif server and server == old_server:
            self.server_edit.clear()  # the old platform's address means nothing here
        self.canvas_combo.setCurrentIndex(max(0, self.canvas_combo.findData(preset.canvas.value)))
        self._show_hint(preset_id)

    def _show_hint(self, preset_id: str) -> None:
        from studio.core.i18n import _

        preset = get_preset(preset_id)
        bitrate = f"{preset.max_video_bitrate_bps / 1_000_000:g}"
        self.platform_hint.setText(_(preset.hint) + "\n" + self.tr("Up to {bitrate} Mbit/s, {width}×{height}, a keyframe every {seconds} s.").format(
            bitrate=bitrate, width=preset.width, height=preset.height, seconds=f"{preset.keyframe_interval_s:g}"))

    def _show_kind_rows(self, kind: str) -> None:
        is_rtmp = kind == "rtmp"
        for field in (self.platform_combo, self.platform_hint, self.server_edit, self.canvas_combo):
            self.form.setRowVisible(field, is_rtmp)
        for field in (self.url_edit, self.codec_combo, self._layers_row, self.simulcast_combo):
            self.form.setRowVisible(field, not is_rtmp)
        self.token_caption.setText(self.tr("Stream key:") if is_rtmp else self.tr("Token:"))
        self.token_edit.setPlaceholderText(self.tr("The stream key from the platform") if is_rtmp
                                           else self.tr("Stream key or bearer token (optional)"))

    def _on_show_token(self, is_shown: bool) -> None:
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Normal if is_shown else QLineEdit.EchoMode.Password)

    # -- validation and saving ------------------------------------------------------------------------
    def problems(self, draft: _Draft) -> list[str]:
        """What is wrong with one profile, in words (empty when it can be saved)."""
        found = []
        if not draft.name:
            found.append(self.tr("Give the destination a name."))
        elif any(other is not draft and other.name == draft.name for other in self.drafts):
            found.append(self.tr("Another destination is already called “{name}”.").format(name=draft.name))
        if draft.kind == "rtmp":
            parts = urlsplit(draft.rtmp_server)
            if not draft.rtmp_server:
                found.append(self.tr("Enter the server URL your platform gave you."))
            elif parts.scheme.lower() not in ("rtmp", "rtmps") or not parts.hostname:
                found.append(self.tr("The server URL must start with rtmp:// or rtmps:// and name a server."))
            if draft.token_loaded and not draft.token:
                found.append(self.tr("Enter the stream key."))
            elif any(ch.isspace() for ch in draft.token):
                found.append(self.tr("The stream key must not contain spaces."))
            return found
        parts = urlsplit(draft.whip_url)
        if not draft.whip_url:
            found.append(self.tr("Enter the WHIP URL your platform gave you."))
        elif parts.scheme not in ("http", "https") or not parts.hostname:
            found.append(self.tr("The WHIP URL must start with https:// (or http://) and name a server."))
        if not draft.layers:
            found.append(self.tr("Choose at least one layer to send."))
        elif draft.simulcast == "off" and len(draft.layers) > 1:
            found.append(self.tr("Without simulcast only one layer is sent: choose just one layer."))
        if any(ch.isspace() for ch in draft.token):
            found.append(self.tr("The token must not contain spaces."))
        return found

    def _validate(self) -> bool:
        messages = []
        for draft in self.drafts:
            issues = self.problems(draft)
            if issues:
                label = draft.name or self.tr("(no name)")
                messages.extend(self.tr("{name}: {problem}").format(name=label, problem=issue) for issue in issues)
        self.problems_label.setText("\n".join(messages))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not messages)
        return not messages

    def save(self) -> None:
        """Store tokens in the secrets store, the rest in settings.json; then close."""
        self._commit_form()
        if self.is_saving or not self._validate():
            return
        destinations = []
        secrets: dict[str, str | None] = {ref: None for ref in self._removed_refs}
        for draft in self.drafts:
            ref = token_ref_for(draft.id)
            if draft.token_loaded:
                secrets[ref] = draft.token or None
            has_token = bool(draft.token) if draft.token_loaded else any(
                d.id == draft.id and d.token_ref for d in self.settings.destinations)
            is_rtmp = draft.kind == "rtmp"
            destinations.append(Destination(
                id=draft.id, name=draft.name, kind=draft.kind, is_enabled=draft.is_enabled,
                platform=draft.platform if is_rtmp else "custom", canvas=draft.canvas if is_rtmp else "horizontal",
                whip_url=None if is_rtmp else draft.whip_url, rtmp_server=draft.rtmp_server if is_rtmp else None,
                bitrate_bps=draft.bitrate_bps if is_rtmp else None, token_ref=ref if has_token else None,
                codec=draft.codec, layers=list(draft.layers), simulcast=draft.simulcast))
        self.is_saving = True
        self.buttons.setEnabled(False)
        run_in_background(lambda: _write_tokens(secrets), lambda _result: self._on_tokens_written(destinations),
                          self._on_tokens_write_failed, receiver=self)

    def _on_tokens_written(self, destinations: list[Destination]) -> None:
        self.is_saving = False
        self.buttons.setEnabled(True)
        self.settings.destinations = destinations
        try:
            save_settings(self.settings)
        except OSError as exc:
            log.warning("could not save settings: %s", exc)
        self.accept()

    def _on_tokens_write_failed(self, error: BaseException) -> None:
        self.is_saving = False
        self.buttons.setEnabled(True)
        self.problems_label.setText(self.tr("The token could not be stored safely, so nothing was saved ({reason}).").format(
            reason=type(error).__name__))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Destinations"))
        self.add_button.setText(self.tr("Add"))
        self.remove_button.setText(self.tr("Remove"))
        self.name_caption.setText(self.tr("Name:"))
        self.kind_caption.setText(self.tr("Kind:"))
        self.enabled_check.setText(self.tr("Go live on it"))
        self.platform_caption.setText(self.tr("Platform:"))
        self.server_caption.setText(self.tr("Server URL:"))
        self.canvas_caption.setText(self.tr("Canvas:"))
        self.canvas_combo.setItemText(0, self.tr("Horizontal 16:9"))
        self.canvas_combo.setItemText(1, self.tr("Vertical 9:16"))
        self.url_caption.setText(self.tr("WHIP URL:"))
        self._show_kind_rows(self.kind_combo.currentData())
        if self._current is not None:
            self._show_hint(self._current.platform)
        self.show_token.setText(self.tr("Show"))
        self.codec_caption.setText(self.tr("Codec:"))
        self.layers_caption.setText(self.tr("Layers:"))
        self.layer_checks["h"].setText(self.tr("High (full)"))
        self.layer_checks["m"].setText(self.tr("Medium (½)"))
        self.layer_checks["l"].setText(self.tr("Low (¼)"))
        self.simulcast_caption.setText(self.tr("Simulcast:"))
        labels = {"rid": self.tr("rid (standard)"), "ssrc": self.tr("SSRC group (older servers)"), "off": self.tr("Off (one layer)")}
        for index in range(self.simulcast_combo.count()):
            self.simulcast_combo.setItemText(index, labels[self.simulcast_combo.itemData(index)])
        if self.drafts or self._current is not None:
            self._validate()
