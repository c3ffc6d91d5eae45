"""Settings → Platforms…: which platforms the show hears, their credentials, and how each is doing.

A view of ``Settings.platforms`` (``youtube:BROADCAST_ID``, ``twitch:CHANNEL``,
``facebook:LIVE_VIDEO_ID``, ``generic:NAME``) and of the running show's
:class:`~ui.live_panel.platforms.PlatformLink`.  Tokens go to ``studio.secrets_store`` (the
names :mod:`studio.connectors.credentials` reads), never to settings.json; a stored token is
never read back into the form — the form only says whether one is stored.  "Sign in…"
(:mod:`ui.platform_signin`) connects YouTube, Twitch or Facebook with OAuth instead of pasted
tokens.  Reading and
writing the secrets store and the settings file run off the GUI thread; the connectors'
states are read from memory each second.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from studio.connectors import ConnectorError, connector_from_spec, parse_spec
from studio.connectors.credentials import secret_name
from studio.connectors.signin import ACCOUNT_FIELD, SIGN_IN_PLATFORMS, SignInResult
from studio.settings import MAX_PLATFORMS, Settings, save_settings
from ui.live_panel.badges import platform_label
from ui.live_panel.platforms import secrets_key
from ui.platform_signin import SignInBox
from ui.workers import run_in_background

log = logging.getLogger(__name__)

PROBLEM_COLOUR = "#ff6b6b"
PROBLEM_STYLE = f"color: {PROBLEM_COLOUR};"
STATUS_INTERVAL_MS = 1000
KINDS = ("youtube", "twitch", "facebook", "shopee", "generic")
# The credential fields each platform's connector reads (studio.connectors.credentials.FIELDS).
FIELDS_BY_PLATFORM = {
    "youtube": ("token", "refresh_token", "client_id", "client_secret"),
    "twitch": ("token", "refresh_token", "client_id", "client_secret", "nick"),
    "facebook": ("token", "client_id", "client_secret"),  # App ID and client token, for sign-in
    "shopee": ("token", "refresh_token", "client_id", "client_secret", "user_id"),  # partner id/key, streamer's id
    "generic": ("token",),
}
SECRET_FIELDS = {"token", "refresh_token", "client_secret"}
ALL_FIELDS = ("token", "refresh_token", "client_id", "client_secret", "nick", "user_id")
SIGN_IN_FIELDS = (ACCOUNT_FIELD, "page_id")  # written by a sign-in, forgotten with the tokens


def stored_fields(keys: list[str]) -> dict[str, set[str]]:
    """Which credential fields are stored for each key (pool thread: the keyring may be slow)."""
    from studio.secrets_store import get_secret

    return {key: {name for name in ALL_FIELDS if get_secret(secret_name(key, name))} for key in keys}


def stored_accounts(keys: list[str]) -> dict[str, str]:
    """The account each key is signed in as, where a sign-in named one (pool thread)."""
    from studio.secrets_store import get_secret

    return {key: account for key in keys if (account := get_secret(secret_name(key, ACCOUNT_FIELD)))}


def credential_problems(specs: list[str]) -> dict[str, str]:
    """What keeps each spec from connecting, in the connector's words (pool thread)."""
    problems: dict[str, str] = {}
    for spec in specs:
        try:
            problem = connector_from_spec(spec).credential_problem()
        except ConnectorError as error:
            problem = str(error)
        if problem:
            problems[spec] = problem
    return problems


def store_credentials(staged: dict[str, dict[str, str]], forgotten: set[str]) -> None:
    """Write what was typed (and forget what was asked) in the secrets store (pool thread)."""
    from studio.secrets_store import set_secret

    for key in forgotten:
        for name in ALL_FIELDS + SIGN_IN_FIELDS:
            set_secret(secret_name(key, name), None)
    for key, values in staged.items():
        for name, value in values.items():
            if value:
                set_secret(secret_name(key, name), value)


class PlatformsDialog(QDialog):
    """Add and remove platform connectors, paste their tokens, and see each one's state in words."""

    def __init__(self, settings: Settings, link: Any | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("platformsDialog")
        self.settings = settings
        self.link = link  # the running show's PlatformLink (None: edit settings only)
        self.specs: list[str] = list(settings.platforms)
        self.problems: dict[str, str] = {}  # spec -> why it cannot connect (credentials), in words
        self.stored: dict[str, set[str]] = {}  # secrets key -> fields stored
        self.accounts: dict[str, str] = {}  # secrets key -> the account a sign-in connected
        self.staged: dict[str, dict[str, str]] = {}  # secrets key -> fields typed, not yet stored
        self.forgotten: set[str] = set()
        self.is_busy = False
        self._credentials_key: str | None = None

        layout = QVBoxLayout(self)
        self.intro_label = QLabel(self)
        self.intro_label.setWordWrap(True)
        layout.addWidget(self.intro_label)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("platformTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_row_chosen)
        layout.addWidget(self.table, 1)

        add_row = QHBoxLayout()
        self.kind_box = QComboBox(self)
        self.kind_box.setObjectName("platformKind")
        for kind in KINDS:
            self.kind_box.addItem("", kind)
        self.kind_box.currentIndexChanged.connect(self._on_kind_changed)
        self.target_edit = QLineEdit(self)
        self.target_edit.setObjectName("platformTarget")
        self.target_edit.returnPressed.connect(self.add_platform)
        self.add_button = QPushButton(self)
        self.add_button.clicked.connect(self.add_platform)
        self.remove_button = QPushButton(self)
        self.remove_button.clicked.connect(self.remove_selected)
        add_row.addWidget(self.kind_box)
        add_row.addWidget(self.target_edit, 1)
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.remove_button)
        layout.addLayout(add_row)

        self.credentials_group = QGroupBox(self)
        form = QFormLayout(self.credentials_group)
        self.credentials_box = QComboBox(self.credentials_group)
        self.credentials_box.setObjectName("credentialsFor")
        self.credentials_box.currentIndexChanged.connect(self._on_credentials_chosen)
        self.stored_label = QLabel(self.credentials_group)
        self.stored_label.setObjectName("storedCredentials")
        self.stored_label.setWordWrap(True)
        self.fields: dict[str, QLineEdit] = {}
        self.captions: dict[str, QLabel] = {}
        self.credentials_caption = QLabel(self.credentials_group)
        form.addRow(self.credentials_caption, self.credentials_box)
        for name in ALL_FIELDS:
            edit = QLineEdit(self.credentials_group)
            edit.setObjectName(f"credential_{name}")
            if name in SECRET_FIELDS:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, name not in SECRET_FIELDS)
            caption = QLabel(self.credentials_group)
            self.fields[name], self.captions[name] = edit, caption
            form.addRow(caption, edit)
        self.forget_button = QPushButton(self.credentials_group)
        self.forget_button.clicked.connect(self.forget_credentials)
        form.addRow(self.stored_label, self.forget_button)
        self.signin_box = SignInBox(self.credentials_group)
        self.signin_box.sign_in_button.clicked.connect(self.sign_in)
        self.signin_box.signed_in.connect(self._on_signed_in)
        form.addRow(self.signin_box)
        layout.addWidget(self.credentials_group)

        self.message_label = QLabel(self)
        self.message_label.setObjectName("platformsMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet(PROBLEM_STYLE)
        self.message_label.hide()
        layout.addWidget(self.message_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self._timer = QTimer(self)
        self._timer.setInterval(STATUS_INTERVAL_MS)
        self._timer.timeout.connect(self.show_states)
        self._timer.start()
        self.retranslate()
        self._fill_credentials_box()
        self._look_up()
        self.resize(760, 660)  # room for the sign-in code under the credentials at 1366×768

    # -- the list --------------------------------------------------------------------------------------
    def add_platform(self) -> None:
        kind = self.kind_box.currentData()
        spec = f"{kind}:{self.target_edit.text().strip()}"
        try:
            platform, target = parse_spec(spec)
        except ConnectorError as error:
            self.show_message(str(error))
            return
        spec = f"{platform}:{target.lstrip('#').lower() if platform == 'twitch' else target}"
        if any(c.isspace() for c in target):
            self.show_message(self.tr("An ID has no spaces: paste the broadcast, channel or video ID alone."))
            return
        if spec in self.specs:
            self.show_message(self.tr("{spec} is already in the list.").format(spec=spec))
            return
        if len(self.specs) >= MAX_PLATFORMS:
            self.show_message(self.tr("At most {count} platforms can be connected at once.").format(count=MAX_PLATFORMS))
            return
        self.specs.append(spec)
        self.target_edit.clear()
        self.show_message("")
        self._fill_credentials_box(select=secrets_key(spec))
        self._look_up()

    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def remove_selected(self) -> None:
        row = self.selected_row()
        if row < 0:
            self.show_message(self.tr("Choose the platform to remove in the list first."))
            return
        if row < len(self.specs):
            del self.specs[row]
            self.show_message("")
            self._fill_credentials_box()
            self.show_states()

    def _on_row_chosen(self) -> None:
        row = self.selected_row()
        if 0 <= row < len(self.specs):
            index = self.credentials_box.findData(secrets_key(self.specs[row]))
            if index >= 0:
                self.credentials_box.setCurrentIndex(index)

    def _on_kind_changed(self) -> None:
        self.target_edit.setPlaceholderText(self._target_hint(self.kind_box.currentData()))

    def _target_hint(self, kind: str) -> str:
        return {"youtube": self.tr("Broadcast ID, or active for the account's live broadcast"),
                "twitch": self.tr("Channel name"),
                "facebook": self.tr("Live video ID"),
                "shopee": self.tr("Livestream session ID"),
                "generic": self.tr("The platform's name, e.g. tiktok (its events are posted to the control API)")}[kind]

    # -- states ------------------------------------------------------------------------------------------
    def state_words(self, spec: str) -> tuple[str, str, bool]:
        """(state, details, is_a_problem) for one row, in words."""
        statuses = {f"{s['platform']}:{s['target']}": s for s in (self.link.statuses() if self.link is not None else [])}
        status = statuses.get(spec)
        link_problem = self.link.problems.get(spec) if self.link is not None else None
        if status is None:
            problem = link_problem or self.problems.get(spec)
            if problem:
                return self.tr("Cannot connect"), problem, True
            if spec not in self.settings.platforms:
                return self.tr("Connects when saved"), "", False
            return self.tr("Not connected"), self.tr("Connects when the show opens."), False
        state = status.get("state", "")
        words = {"idle": self.tr("Starting"), "connecting": self.tr("Connecting"), "live": self.tr("Connected"),
                 "waiting": self.tr("Waiting for the live chat"), "rate_limited": self.tr("Slowed down by the platform"),
                 "reconnecting": self.tr("Reconnecting"), "failed": self.tr("Stopped: needs attention"),
                 "stopped": self.tr("Stopped")}.get(state, state)
        details = [status.get("message") or ""]
        if status.get("quota"):
            details.append(self.tr("Quota: {quota}").format(quota=status["quota"]))
        if status.get("events"):
            details.append(self.tr("Events heard: {count}").format(count=status["events"]))
        return words, " ".join(part for part in details if part), state in ("failed", "rate_limited", "reconnecting")

    def show_states(self) -> None:
        if self.table.rowCount() != len(self.specs):
            self.table.setRowCount(len(self.specs))
        for row, spec in enumerate(self.specs):
            platform, target = parse_spec(spec)
            name = platform_label(target) if platform == "generic" else platform_label(platform)
            state, details, is_problem = self.state_words(spec)
            cells = (name, target, f"{state} — {details}" if details else state)
            for column, text in enumerate(cells):
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, column, item)
                if item.text() != text:
                    item.setText(text)
                    item.setToolTip(text)
                if column == 2:
                    item.setForeground(QColor(PROBLEM_COLOUR) if is_problem else self.palette().text().color())
        self.table.resizeRowsToContents()

    def problem_of(self, spec: str) -> str:
        """The row's state and details as shown (tests and screen readers)."""
        row = self.specs.index(spec)
        item = self.table.item(row, 2)
        return item.text() if item is not None else ""

    # -- credentials ----------------------------------------------------------------------------------
    def _credential_keys(self) -> list[str]:
        keys = ["youtube", "twitch", "facebook", "shopee"]
        for spec in self.specs:
            key = secrets_key(spec)
            if key not in keys:
                keys.append(key)
        return keys

    def _fill_credentials_box(self, select: str | None = None) -> None:
        current = select or self.credentials_box.currentData()
        self.credentials_box.blockSignals(True)
        self.credentials_box.clear()
        for key in self._credential_keys():
            self.credentials_box.addItem(platform_label(key), key)
        index = self.credentials_box.findData(current)
        self.credentials_box.setCurrentIndex(max(0, index))
        self.credentials_box.blockSignals(False)
        self._on_credentials_chosen()

    def _stash_typed(self) -> None:
        """Keep what was typed for the platform shown before another is shown."""
        key = self._credentials_key
        if key is None:
            return
        typed = {name: edit.text().strip() for name, edit in self.fields.items() if edit.text().strip()}
        if typed:
            self.staged.setdefault(key, {}).update(typed)

    def _on_credentials_chosen(self) -> None:
        self._stash_typed()
        key = self.credentials_box.currentData()
        self._credentials_key = key
        platform = key if key in FIELDS_BY_PLATFORM else "generic"
        for name, edit in self.fields.items():
            shown = name in FIELDS_BY_PLATFORM[platform]
            edit.clear()
            edit.setVisible(shown)
            self.captions[name].setVisible(shown)
            # What was typed for it earlier in this dialog comes back (never what is stored).
            typed = self.staged.get(key, {}).get(name)
            if typed:
                edit.setText(typed)
        self.signin_box.setVisible(key in SIGN_IN_PLATFORMS or self.signin_box.is_running)
        self._show_stored()

    def _show_stored(self) -> None:
        key = self._credentials_key
        if key is None:
            return
        present = set() if key in self.forgotten else self.stored.get(key, set())
        if key in self.forgotten:
            text = self.tr("Stored credentials will be forgotten when you save.")
        elif "token" in present and self.accounts.get(key):
            text = self.tr("Signed in as {account}; its token is stored (not shown).").format(account=self.accounts[key])
        elif "token" in present:
            text = self.tr("A token is stored (not shown). Paste a new one to replace it.")
        else:
            text = self.tr("No token stored yet.")
        self.stored_label.setText(text)
        for name in ALL_FIELDS:  # whether stored, never what
            self.fields[name].setPlaceholderText(self.tr("stored — paste to replace") if name in present else "")

    def forget_credentials(self) -> None:
        key = self._credentials_key
        if key is not None:
            self.forgotten.add(key)
            self.staged.pop(key, None)
            for edit in self.fields.values():
                edit.clear()
            self._show_stored()

    def _look_up(self) -> None:
        """Which credentials are stored and what keeps each connector from connecting (off the GUI thread)."""
        specs, keys = list(self.specs), self._credential_keys()
        run_in_background(lambda: (stored_fields(keys), credential_problems(specs), stored_accounts(keys)),
                          self._on_looked_up, lambda error: self.show_message(str(error)), receiver=self)

    def _on_looked_up(self, result: tuple[dict[str, set[str]], dict[str, str], dict[str, str]]) -> None:
        stored, problems, accounts = result
        self.stored.update(stored)
        self.accounts = accounts
        self.problems = dict(problems)  # every spec was looked up: one without a problem has none now
        self._show_stored()
        self.show_states()

    # -- signing in ------------------------------------------------------------------------------------
    def sign_in(self) -> None:
        """Connect the chosen platform's account with OAuth (off the GUI thread; the box shows each step)."""
        key = self._credentials_key
        if key not in SIGN_IN_PLATFORMS:
            self.show_message(self.tr("This platform has no sign-in: paste its token."))
            return
        self._stash_typed()
        self.show_message("")
        self.signin_box.start(key, dict(self.staged.get(key, {})))

    def _on_signed_in(self, result: SignInResult) -> None:
        self.forgotten.discard(result.platform)
        self.staged.pop(result.platform, None)  # what was typed for it is stored now
        if self._credentials_key == result.platform:
            for edit in self.fields.values():
                edit.clear()
        if self.link is not None:  # the running show reconnects that platform with the new token
            self.link.apply(list(self.settings.platforms), {result.platform})
        self._look_up()

    def done(self, result: int) -> None:  # noqa: D102 - closing stops a sign-in that is still waiting
        self.signin_box.cancel()
        super().done(result)

    # -- saving ------------------------------------------------------------------------------------------
    def save(self) -> None:
        if self.is_busy:
            return
        self._stash_typed()
        staged, forgotten = {k: dict(v) for k, v in self.staged.items()}, set(self.forgotten)
        snapshot = self.settings.model_copy(deep=True)
        snapshot.platforms = list(self.specs)

        def work() -> None:
            store_credentials(staged, forgotten)
            save_settings(snapshot)

        self.is_busy = True
        self.buttons.setEnabled(False)
        run_in_background(work, lambda _r: self._on_saved(set(staged) | forgotten), self._on_save_failed, receiver=self)

    def _on_saved(self, renewed: set[str]) -> None:
        self.is_busy = False
        self.settings.platforms = list(self.specs)
        if self.link is not None:
            self.link.apply(list(self.specs), renewed)
        self.accept()

    def _on_save_failed(self, error: BaseException) -> None:
        self.is_busy = False
        self.buttons.setEnabled(True)
        log.warning("platform settings not saved: %s", type(error).__name__)
        self.show_message(self.tr("Nothing was saved: {reason}").format(reason=error))

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    # -- language ------------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Platforms"))
        self.intro_label.setText(self.tr("The platforms this show is streamed on: their comments join the Live panel's "
                                         "queue with a badge, their viewer counts and orders appear as they come in, and "
                                         "a reply goes back to the comment's own platform."))
        self.table.setHorizontalHeaderLabels([self.tr("Platform"), self.tr("ID"), self.tr("State")])
        names = {"youtube": self.tr("YouTube"), "twitch": self.tr("Twitch"), "facebook": self.tr("Facebook"),
                 "shopee": self.tr("Shopee"), "generic": self.tr("Other (bridge)")}
        for index in range(self.kind_box.count()):
            self.kind_box.setItemText(index, names[self.kind_box.itemData(index)])
        self._on_kind_changed()
        self.add_button.setText(self.tr("Add"))
        self.remove_button.setText(self.tr("Remove"))
        self.credentials_group.setTitle(self.tr("Credentials (kept in the system's secret store, never shown again)"))
        self.credentials_caption.setText(self.tr("For"))
        captions = {"token": self.tr("Access token"), "refresh_token": self.tr("Refresh token"),
                    "client_id": self.tr("OAuth client ID"), "client_secret": self.tr("OAuth client secret"),
                    "nick": self.tr("Login name (the account that replies)"),
                    "user_id": self.tr("Shopee user ID (the streamer)")}
        for name, caption in captions.items():
            self.captions[name].setText(caption)
        self.forget_button.setText(self.tr("Forget stored credentials"))
        self.signin_box.retranslate()
        self._show_stored()
        self.show_states()
