"""Settings → Live control…: the control API (port, LAN access, token), the overlay locale and region
style, and the platform webhook.

A view of ``Settings`` and (when the app has one) the running ``LiveControl``.  Nothing is saved
until the form validates.  The webhook's signing secret goes to ``studio.secrets_store`` (keyring or
an owner-only file), never to settings.json or a log; the field is masked unless asked.  Applying
the changes to the running show (rebinding the port, restarting webhook delivery) happens off the
GUI thread; the show keeps running throughout.
"""
from __future__ import annotations

import logging
from typing import Any

from babel import Locale, UnknownLocaleError
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from studio.core import i18n
from studio.control.launch import WEBHOOK_SECRET_NAME, new_control_token
from studio.live.delivery import validate_webhook_url
from studio.live.errors import LiveError
from studio.settings import Settings, save_settings
from ui.workers import run_in_background

log = logging.getLogger(__name__)

LAN_HOST = "0.0.0.0"
LOCAL_HOST = "127.0.0.1"
WARNING_STYLE = "color: #ffb020;"
PROBLEM_STYLE = "color: #ff6b6b;"


def overlay_locales() -> list[str]:
    """The price/date locales of the region packs (the cover designer's), in pack order."""
    from cover_designer.regions import REGIONS

    seen: list[str] = []
    for region in REGIONS.values():
        for language in region.languages:
            if language.locale not in seen:
                seen.append(language.locale)
    return seen


def overlay_regions() -> list[str]:
    """Region pack ids (the cover designer's) the on-screen cards can be styled with, in pack order."""
    from cover_designer.regions import REGIONS

    return list(REGIONS)


def locale_region(code: str | None) -> str:
    """The region pack a locale uses when none is chosen."""
    from cover_designer.regions import region_for_locale

    return region_for_locale(code)


def locale_name(code: str, display_language: str) -> str:
    """e.g. "Deutsch (Deutschland) — de_DE" in the UI's language (CLDR names, no catalog needed)."""
    try:
        name = Locale.parse(code).get_display_name(Locale.parse(display_language)) or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return f"{name} — {code}"


def _read_secret() -> str | None:
    from studio.secrets_store import get_secret

    return get_secret(WEBHOOK_SECRET_NAME)


def _write_secret(value: str | None) -> None:
    from studio.secrets_store import set_secret

    set_secret(WEBHOOK_SECRET_NAME, value)


class LiveSettingsDialog(QDialog):
    """Edits the live-control part of ``settings``; on Save stores the secret, the settings file,
    then applies everything to ``control`` (a ``LiveControl`` or None)."""

    def __init__(self, settings: Settings, control: Any | None = None, parent: QWidget | None = None, *,
                 load_secret: bool = True) -> None:
        super().__init__(parent)
        self.settings = settings
        self.control = control
        self.setObjectName("liveSettingsDialog")
        self.is_busy = False
        self._secret = ""
        self._is_secret_loaded = not (load_secret and settings.webhook_secret_ref)

        # Control API
        self.control_group = QGroupBox(self)
        control_form = QFormLayout(self.control_group)
        self.port_spin = QSpinBox(self.control_group)
        self.port_spin.setRange(0, 65535)
        self.port_spin.setValue(settings.control_port)
        self.lan_box = QCheckBox(self.control_group)
        self.lan_box.setChecked(settings.control_lan)
        self.lan_warning = QLabel(self.control_group)
        self.lan_warning.setObjectName("lanWarning")
        self.lan_warning.setWordWrap(True)
        self.address_label = QLabel(self.control_group)
        self.address_label.setObjectName("controlAddress")
        self.address_label.setWordWrap(True)
        self.token_button = QPushButton(self.control_group)
        self.token_button.clicked.connect(self.regenerate_token)
        self.token_label = QLabel(self.control_group)
        self.token_label.setObjectName("tokenStatus")
        self.token_label.setWordWrap(True)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_button)
        token_row.addWidget(self.token_label, 1)
        self.port_caption, self.token_caption = QLabel(self.control_group), QLabel(self.control_group)
        control_form.addRow(self.port_caption, self.port_spin)
        control_form.addRow(self.lan_box)
        control_form.addRow(self.lan_warning)
        control_form.addRow(self.token_caption, token_row)
        control_form.addRow(self.address_label)

        # Overlays
        self.overlay_group = QGroupBox(self)
        overlay_form = QFormLayout(self.overlay_group)
        self.locale_box = QComboBox(self.overlay_group)
        self.locale_caption = QLabel(self.overlay_group)
        self.locale_hint = QLabel(self.overlay_group)
        self.locale_hint.setWordWrap(True)
        overlay_form.addRow(self.locale_caption, self.locale_box)
        overlay_form.addRow(self.locale_hint)
        self.region_box = QComboBox(self.overlay_group)
        self.region_box.setObjectName("regionBox")
        self.region_caption = QLabel(self.overlay_group)
        self.region_hint = QLabel(self.overlay_group)
        self.region_hint.setWordWrap(True)
        overlay_form.addRow(self.region_caption, self.region_box)
        overlay_form.addRow(self.region_hint)
        self.locale_box.currentIndexChanged.connect(lambda _index: self._fill_regions())

        # Webhook
        self.webhook_group = QGroupBox(self)
        webhook_form = QFormLayout(self.webhook_group)
        self.webhook_edit = QLineEdit(settings.webhook_url or "", self.webhook_group)
        self.webhook_edit.setPlaceholderText("https://platform.example/hooks/live")
        self.secret_edit = QLineEdit(self.webhook_group)
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_secret = QCheckBox(self.webhook_group)
        self.show_secret.toggled.connect(self._on_show_secret)
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret_edit, 1)
        secret_row.addWidget(self.show_secret)
        self.webhook_caption, self.secret_caption = QLabel(self.webhook_group), QLabel(self.webhook_group)
        self.webhook_hint = QLabel(self.webhook_group)
        self.webhook_hint.setWordWrap(True)
        self.webhook_status = QLabel(self.webhook_group)
        self.webhook_status.setObjectName("webhookStatus")
        webhook_form.addRow(self.webhook_caption, self.webhook_edit)
        webhook_form.addRow(self.secret_caption, secret_row)
        webhook_form.addRow(self.webhook_hint)
        webhook_form.addRow(self.webhook_status)

        self.problems_label = QLabel(self)
        self.problems_label.setObjectName("liveSettingsProblems")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(PROBLEM_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        for widget in (self.control_group, self.overlay_group, self.webhook_group, self.problems_label):
            outer.addWidget(widget)
        outer.addStretch(1)
        outer.addWidget(self.buttons)

        self.lan_box.toggled.connect(self._on_lan_toggled)
        self.webhook_edit.textEdited.connect(lambda _text: self._validate())
        self.secret_edit.textEdited.connect(self._on_secret_edited)
        self.retranslate()
        self.setMinimumWidth(560)
        if not self._is_secret_loaded:
            # The keyring may wait on D-Bus (or an unlock prompt): read it off the GUI thread.
            self.secret_edit.setEnabled(False)
            run_in_background(_read_secret, self._on_secret_read, self._on_secret_read_failed, receiver=self)

    # -- secret -------------------------------------------------------------------------------------
    def _on_secret_read(self, secret: str | None) -> None:
        if not self._is_secret_loaded:
            self._secret = secret or ""
            self._is_secret_loaded = True
            self.secret_edit.setText(self._secret)
        self.secret_edit.setEnabled(True)

    def _on_secret_read_failed(self, error: BaseException) -> None:
        log.warning("could not read the webhook secret: %s", type(error).__name__)  # never the value
        self.secret_edit.setEnabled(True)

    def _on_secret_edited(self, text: str) -> None:
        self._secret = text
        self._is_secret_loaded = True
        self._validate()

    def _on_show_secret(self, is_shown: bool) -> None:
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Normal if is_shown else QLineEdit.EchoMode.Password)

    # -- control API ----------------------------------------------------------------------------------
    def _on_lan_toggled(self, is_on: bool) -> None:
        self.lan_warning.setStyleSheet(WARNING_STYLE if is_on else "")
        self._show_lan_warning()

    def _show_lan_warning(self) -> None:
        if self.lan_box.isChecked():
            self.lan_warning.setText(self.tr("Warning: anyone on this network who has the token can control the show and see the program. "
                                             "Turn this on only on a network you trust, and pair tablets with the QR code."))
        else:
            self.lan_warning.setText(self.tr("Only this computer can reach the control API."))

    def _show_address(self) -> None:
        control = self.control
        if control is None:
            self.address_label.setText(self.tr("The live panel is not running; changes apply at the next start."))
            self.address_label.setStyleSheet("")
            return
        error = getattr(control, "control_error", None)
        if error is not None:
            self.address_label.setText(str(error))
            self.address_label.setStyleSheet(PROBLEM_STYLE)
            return
        self.address_label.setStyleSheet("")
        url = getattr(control, "lan_url", None) or getattr(control, "url", None)
        self.address_label.setText(self.tr("Listening at {url}").format(url=url) if url else self.tr("Control API off"))

    def regenerate_token(self) -> None:
        """A fresh token, stored and in use at once; every paired device has to pair again."""
        control = self.control

        def work() -> None:
            token = new_control_token()
            if control is not None:
                control.reconfigure(token=token)

        self.token_button.setEnabled(False)
        self.token_label.setText(self.tr("Making a new token…"))
        run_in_background(work, self._on_token_regenerated, self._on_token_failed, receiver=self)

    def _on_token_regenerated(self, _result: object) -> None:
        self.token_button.setEnabled(True)
        self.token_label.setStyleSheet("")
        self.token_label.setText(self.tr("A new token is in use. Pair each tablet again (Live panel → Pair a tablet…)."))
        self._show_address()

    def _on_token_failed(self, error: BaseException) -> None:
        self.token_button.setEnabled(True)
        self.token_label.setStyleSheet(PROBLEM_STYLE)
        self.token_label.setText(self.tr("The new token could not be stored safely, so the old one stays ({reason}).").format(
            reason=type(error).__name__))

    # -- locale ---------------------------------------------------------------------------------------
    def _fill_locales(self) -> None:
        current = self.locale_box.currentData() or self.settings.locale or "en_US"
        codes = overlay_locales()
        if current not in codes:
            codes.append(current)
        display = i18n.current_language()
        self.locale_box.blockSignals(True)
        self.locale_box.clear()
        for code in codes:
            self.locale_box.addItem(locale_name(code, display), code)
        self.locale_box.setCurrentIndex(max(0, self.locale_box.findData(current)))
        self.locale_box.blockSignals(False)

    # -- region -----------------------------------------------------------------------------------------
    def region_name(self, region: str) -> str:
        names = {"na_eu": self.tr("North America / Europe"), "sea": self.tr("Southeast Asia"),
                 "middle_east": self.tr("Middle East"), "latam": self.tr("Latin America"), "jp_kr": self.tr("Japan / Korea")}
        return names.get(region, region)

    def _fill_regions(self) -> None:
        """"Automatic" names the region the chosen locale leads to, so the choice is never a guess."""
        current = self.region_box.currentData() if self.region_box.count() else (self.settings.region or "")
        automatic = locale_region(self.locale_box.currentData() or self.settings.locale or "en_US")
        self.region_box.blockSignals(True)
        self.region_box.clear()
        self.region_box.addItem(self.tr("Automatic: {region}").format(region=self.region_name(automatic)), "")
        for region in overlay_regions():
            self.region_box.addItem(self.region_name(region), region)
        self.region_box.setCurrentIndex(max(0, self.region_box.findData(current or "")))
        self.region_box.blockSignals(False)

    # -- validation and saving ------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """What stops saving, in words (empty when the form can be saved)."""
        found = []
        url = self.webhook_edit.text().strip()
        if url:
            try:
                validate_webhook_url(url)
            except LiveError as err:
                found.append(str(err))
        if any(ch.isspace() for ch in self._secret):
            found.append(self.tr("The signing secret must not contain spaces."))
        return found

    def _validate(self) -> bool:
        found = self.problems()
        self.problems_label.setStyleSheet(PROBLEM_STYLE)
        self.problems_label.setText("\n".join(found))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not found and not self.is_busy)
        return not found

    def save(self) -> None:
        """Secret → secrets store, the rest → settings.json, then apply to the running show."""
        if self.is_busy or not self._validate():
            return
        url = self.webhook_edit.text().strip() or None
        secret = self._secret.strip() or None if self._is_secret_loaded else None
        is_secret_known = self._is_secret_loaded
        values = {"control_port": self.port_spin.value(), "control_lan": self.lan_box.isChecked(),
                  "locale": self.locale_box.currentData(), "region": self.region_box.currentData() or None,
                  "webhook_url": url}
        self._set_busy(True)

        had_secret = bool(self.settings.webhook_secret_ref)

        def store() -> bool:
            if url is None:  # no webhook: no secret kept for it either
                _write_secret(None)
                return False
            if is_secret_known:
                _write_secret(secret)
                return bool(secret)
            return had_secret  # never read (the store was slow): keep what is stored

        run_in_background(store, lambda has_secret: self._on_secret_stored(values, has_secret), self._on_store_failed, receiver=self)

    def _on_secret_stored(self, values: dict[str, Any], has_secret: bool) -> None:
        old_address = (self.settings.control_port, self.settings.control_lan)
        for name, value in values.items():
            setattr(self.settings, name, value)
        self.settings.webhook_secret_ref = WEBHOOK_SECRET_NAME if has_secret and values["webhook_url"] else None
        try:
            save_settings(self.settings)
        except OSError as exc:
            log.warning("could not save settings: %s", exc)
        control = self.control
        if control is None:
            self._set_busy(False)
            self.accept()
            return
        is_address_changed = old_address != (values["control_port"], values["control_lan"])
        settings = self.settings

        def apply() -> str | None:
            try:
                control.live.set_locale(values["locale"])
                control.live.set_region(values["region"])
                control.apply_webhook_settings(settings)
                if is_address_changed and control.server is not None:
                    error = control.reconfigure(host=LAN_HOST if values["control_lan"] else LOCAL_HOST, port=values["control_port"])
                    return None if error is None else str(error)
            except LiveError as err:
                return str(err)
            return None

        run_in_background(apply, self._on_applied, self._on_store_failed, receiver=self)

    def _on_applied(self, problem: str | None) -> None:
        self._set_busy(False)
        self._show_address()
        self._show_webhook_status()
        if problem:
            # Saved, but the running show could not take all of it (e.g. the new port is in use).
            self.problems_label.setText(self.tr("Saved, but: {problem}").format(problem=problem))
            return
        self.accept()

    def _on_store_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.problems_label.setText(self.tr("The signing secret could not be stored safely, so nothing was saved ({reason}).").format(
            reason=type(error).__name__))

    def _set_busy(self, is_busy: bool) -> None:
        self.is_busy = is_busy
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not is_busy)

    def _show_webhook_status(self) -> None:
        delivery = getattr(self.control, "webhook", None) if self.control is not None else None
        if delivery is None:
            self.webhook_status.setText(self.tr("Not sending events."))
            return
        self.webhook_status.setText(self.tr("Sending events: {delivered} delivered, {failed} failed, {dropped} dropped.").format(
            delivered=delivery.delivered, failed=delivery.failed, dropped=delivery.dropped))

    # -- language -------------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Live control"))
        self.control_group.setTitle(self.tr("Control API (assistant tablets and automation)"))
        self.port_caption.setText(self.tr("Port:"))
        self.port_spin.setSpecialValueText(self.tr("Any free port"))
        self.lan_box.setText(self.tr("Allow devices on the local network (LAN)"))
        self._on_lan_toggled(self.lan_box.isChecked())
        self.token_caption.setText(self.tr("Token:"))
        self.token_button.setText(self.tr("Regenerate token"))
        self.token_button.setToolTip(self.tr("Paired tablets stop working until they pair again"))
        self.overlay_group.setTitle(self.tr("On-screen cards"))
        self.locale_caption.setText(self.tr("Prices and dates:"))
        self.locale_hint.setText(self.tr("The locale of the target market: currency format, dates, and a mirrored layout for Arabic."))
        self._fill_locales()
        self.region_caption.setText(self.tr("Region style:"))
        self.region_hint.setText(self.tr("The cover designer's region pack for the cards: colours, fonts, ready phrases "
                                         "such as “SALE” in the market's language, and the mirrored layout for the Middle East."))
        self._fill_regions()
        self.webhook_group.setTitle(self.tr("Platform webhook"))
        self.webhook_caption.setText(self.tr("Address:"))
        self.secret_caption.setText(self.tr("Signing secret:"))
        self.secret_edit.setPlaceholderText(self.tr("optional; signs each event (HMAC-SHA256)"))
        self.show_secret.setText(self.tr("Show"))
        self.webhook_hint.setText(self.tr("Every show event is POSTed here as JSON and retried when the platform is down; "
                                          "a failed delivery never holds up the show. Leave empty to send nothing."))
        self._show_address()
        self._show_webhook_status()
        self._validate()
