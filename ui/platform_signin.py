"""The "Sign in…" part of Settings → Platforms…: runs a platform's OAuth sign-in off the GUI thread.

A view of one :class:`~studio.connectors.signin.SignInFlow` at a time.  The flow runs on Qt's
thread pool (:func:`ui.workers.run_in_background`) with its own asyncio loop; what the user must
do — the browser page to approve, or the code to type on the platform's page — arrives through
a queued signal and is shown here, with the page opened in the system browser
(``QDesktopServices.openUrl``) and a Cancel.  The result says which account is connected; the
tokens themselves never reach this widget.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.connectors.signin import PromptKind, SignInPrompt, SignInResult, flow_for
from studio.core.errors import StudioError
from ui.workers import run_in_background

log = logging.getLogger(__name__)

PROBLEM_STYLE = "color: #ff6b6b;"
CODE_POINT_SIZE = 20


def open_browser(url: str) -> bool:
    """Open ``url`` in the system browser (tests replace this)."""
    return QDesktopServices.openUrl(QUrl(url))


def sign_in_worker(platform: str, typed: dict[str, str], holder: "SignInBox") -> Callable[[], Any]:
    """The pool-thread work: credentials (environment, secrets store, what was typed) → flow → result."""
    def work() -> tuple[Any, SignInResult | StudioError]:
        from studio.connectors.credentials import credentials_for

        credentials = credentials_for(platform)
        for name, value in typed.items():
            if value and name in ("client_id", "client_secret"):
                setattr(credentials, name, value)
        flow = flow_for(platform, credentials, holder.relay.emit_prompt)
        holder.attach(flow)
        try:
            return flow, flow.run_blocking()
        except StudioError as error:  # declined, expired, cancelled…: an answer in words, not a failure to log
            return flow, error
    return work


class _PromptRelay(QObject):
    """Carries a prompt from the flow's thread to the GUI thread (queued: it lives on the GUI thread)."""

    prompted = Signal(object)

    def emit_prompt(self, prompt: SignInPrompt) -> None:
        try:
            self.prompted.emit(prompt)
        except RuntimeError:
            pass  # the dialog closed meanwhile: nobody to show it to


class SignInBox(QWidget):
    """Sign in… / Cancel and what the user must do now, for the platform chosen in the dialog."""

    signed_in = Signal(object)  # SignInResult, once the tokens are stored

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInBox")
        self.relay = _PromptRelay(self)
        self.relay.prompted.connect(self._show_prompt)
        self.platform: str | None = None
        self.is_running = False
        self.last_prompt: SignInPrompt | None = None
        self._flow: Any = None
        self._cancel_requested = threading.Event()
        self._lock = threading.Lock()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        self.sign_in_button = QPushButton(self)
        self.sign_in_button.setObjectName("signInButton")
        self.open_button = QPushButton(self)
        self.open_button.clicked.connect(self.open_again)
        self.cancel_button = QPushButton(self)
        self.cancel_button.setObjectName("signInCancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.sign_in_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("signInStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status_label)
        self.code_label = QLabel(self)
        self.code_label.setObjectName("signInCode")
        font = QFont(self.code_label.font())
        font.setPointSize(CODE_POINT_SIZE)
        font.setBold(True)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 2.0)
        self.code_label.setFont(font)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.code_label)
        self.retranslate()
        self._show_idle("")

    # -- running ------------------------------------------------------------------------------------
    def start(self, platform: str, typed: dict[str, str]) -> None:
        """Sign ``platform`` in with the client id/secret typed (else stored)."""
        if self.is_running:
            return
        self.platform, self.is_running, self.last_prompt = platform, True, None
        self._cancel_requested.clear()
        with self._lock:
            self._flow = None
        self.sign_in_button.setEnabled(False)
        self.cancel_button.show()
        self.open_button.hide()
        self.code_label.hide()
        self._set_status(self.tr("Starting the sign-in…"))
        run_in_background(sign_in_worker(platform, dict(typed), self), self._done, self._failed, receiver=self)

    def attach(self, flow: Any) -> None:
        """Called on the pool thread once the flow exists (so Cancel can reach it)."""
        with self._lock:
            self._flow = flow
        if self._cancel_requested.is_set():
            flow.cancel()

    def cancel(self) -> None:
        """Stop waiting for the platform; nothing is stored."""
        if not self.is_running:
            return
        self._cancel_requested.set()
        with self._lock:
            flow = self._flow
        if flow is not None:
            flow.cancel()
        self._set_status(self.tr("Cancelling…"))

    def open_again(self) -> None:
        if self.last_prompt is not None:
            open_browser(self.last_prompt.url)

    def _show_prompt(self, prompt: SignInPrompt) -> None:
        if not self.is_running:
            return
        self.last_prompt = prompt
        name = self._name(prompt.platform)
        minutes = max(1, round((prompt.expires_in_s or 0) / 60))
        if prompt.kind is PromptKind.BROWSER:
            self._set_status(self.tr("Waiting for the browser: sign in to {platform} there and allow Bridgecast Studio. "
                                     "The page opened in your browser; if it did not, use Open the page.").format(
                platform=name))
            self.code_label.hide()
        else:
            self._set_status(self.tr("On {url} enter this code to connect {platform} (it expires in {minutes} min):")
                             .format(url=prompt.url.split("?", 1)[0], platform=name, minutes=minutes))
            self.code_label.setText(prompt.user_code or "")
            self.code_label.show()
        self.open_button.show()
        if not open_browser(prompt.url):
            self._set_status(self.status_label.text() + " " + self.tr("(No browser could be opened: open {url} yourself.)")
                             .format(url=prompt.url.split("?", 1)[0]))

    def _done(self, outcome: tuple[Any, SignInResult | StudioError]) -> None:
        flow, result = outcome
        if isinstance(result, StudioError):
            self._failed(result)
        elif result.needs_choice:
            self._choose_page(flow, result)
        else:
            self._finish(result)

    def _choose_page(self, flow: Any, result: SignInResult) -> None:
        names = [f"{page.name} ({page.page_id})" for page in result.pages]
        choice, is_chosen = QInputDialog.getItem(self, self.tr("Facebook Page"),
                                                 self.tr("Which Page streams the show?"), names, 0, False)
        if not is_chosen:
            self._end(self.tr("Sign-in cancelled: no Page chosen, nothing was stored."), is_problem=True)
            return
        page_id = result.pages[names.index(choice)].page_id
        run_in_background(lambda: flow.choose(page_id), self._finish, self._failed, receiver=self)

    def _finish(self, result: SignInResult) -> None:
        self._end(self.tr("Connected as {account}.").format(account=result.account), is_problem=False)
        self.signed_in.emit(result)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, StudioError):
            words = str(error)
        else:
            log.warning("sign-in stopped: %s", type(error).__name__)
            words = self.tr("The sign-in stopped after an unexpected error (details in the log).")
        self._end(words, is_problem=True)

    def _end(self, words: str, is_problem: bool) -> None:
        self.is_running = False
        with self._lock:
            self._flow = None
        self._show_idle(words, is_problem)

    # -- presentation -------------------------------------------------------------------------------
    def _show_idle(self, words: str, is_problem: bool = False) -> None:
        self.sign_in_button.setEnabled(True)
        self.cancel_button.hide()
        self.open_button.hide()
        self.code_label.hide()
        self._set_status(words, is_problem)

    def _set_status(self, words: str, is_problem: bool = False) -> None:
        self.status_label.setText(words)
        self.status_label.setStyleSheet(PROBLEM_STYLE if is_problem else "")
        self.status_label.setVisible(bool(words))

    def _name(self, platform: str) -> str:
        return {"youtube": "YouTube", "twitch": "Twitch", "facebook": "Facebook"}.get(platform, platform)

    def retranslate(self) -> None:
        self.sign_in_button.setText(self.tr("Sign in…"))
        self.sign_in_button.setToolTip(self.tr("Connect the account in the browser; the tokens go to the system's "
                                               "secret store."))
        self.open_button.setText(self.tr("Open the page"))
        self.cancel_button.setText(self.tr("Cancel sign-in"))
