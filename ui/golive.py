"""Go live: the controller that starts/stops a show through the go-live service, and the button.

:class:`GoLiveController` is the only place in ``ui/`` that owns a show on air.  It builds a
:class:`~studio.golive.plan.GoLivePlan` from the settings (every enabled destination — WHIP
and RTMP/RTMPS, each on its canvas — recording and events channel under Settings → Go live…)
and hands it to a
:class:`~studio.golive.service.GoLiveService` — the same service ``bridgecast live`` uses.
Every call that can wait (opening encoders, starting the rehearsal receiver, reading the token
from the keyring, the WHIP DELETE on stop, the MP4 copy of the recording) runs on a worker
thread; the service's ``on_state`` arrives on the network thread and is re-emitted as a queued
Qt signal, so the GUI thread only ever reads snapshots.  While live, one destination can be
stopped or started again (:meth:`GoLiveController.stop_output` / ``start_output``, on a worker
thread too).  :class:`GoLiveWidget` is the view: the destinations button (opens the Go-live
dialog), the button (Go live → Connecting… → Live 00:12:34 → Reconnecting… → Stop) and the
state/reason label.

With no destination enabled "Go live" starts the built-in :class:`~studio.outputs.rehearsal.RehearsalReceiver` and publishes to its loopback
URL; the publisher gathers loopback ICE candidates for loopback URLs by itself.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any, Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QSizePolicy, QWidget

from studio.golive.state import ShowState
from studio.settings import Destination, Settings

log = logging.getLogger(__name__)

IDLE, CONNECTING, LIVE = ShowState.IDLE, ShowState.CONNECTING, ShowState.LIVE
RECONNECTING, STOPPING, FAILED = ShowState.RECONNECTING, ShowState.STOPPING, ShowState.FAILED
ELAPSED_TICK_MS = 500
SHUTDOWN_TIMEOUT_S = 15.0


def token_ref_for(destination_id: str) -> str:
    """The secrets-store name under which a destination's token is kept."""
    return f"destination:{destination_id}"


def find_destination(settings: Settings, destination_id: str | None) -> Destination | None:
    if destination_id is None:
        return None
    return next((d for d in settings.destinations if d.id == destination_id), None)


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class GoLiveController(QObject):
    """Starts and stops one live session at a time; ``changed`` fires on every state change.

    ``state``: idle → connecting → live ⇄ reconnecting → stopping → idle, or → failed (with
    ``failure_text`` in words; the session is torn down in the background and "Go live" works
    again).  ``session``/``receiver`` are the engine objects while they exist (views read their
    ``stats()``, which are in-memory snapshots).
    """

    changed = Signal()
    outputs_changed = Signal()  # a destination changed state, or a per-destination stop/start finished
    notice = Signal(str)  # something the host should know (e.g. the server took fewer layers), in words
    _notice = Signal(str)  # from engine threads; re-emitted as ``notice`` on the GUI thread
    _engine_state = Signal(int, str, str)  # generation, engine state, failure in words
    _worker_done = Signal(int, str, object)  # generation, what finished, error or None
    _output_changed = Signal(int)  # generation

    def __init__(self, studio: Any, settings: Settings, parent: QObject | None = None,
                 session_factory: Callable[..., Any] | None = None,
                 receiver_factory: Callable[[], Any] | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self.settings = settings
        self.state = IDLE
        self.failure_text: str | None = None
        self.destination_name: str | None = None  # None = the rehearsal receiver
        self.destination_count = 0  # destinations of the show on air (0: the rehearsal receiver)
        self.pending_outputs: set[str] = set()  # destinations being stopped or started on a worker thread
        self.live_since: float | None = None
        self.service: Any = None  # the GoLiveService of the show on air (None when idle)
        self.last_service: Any = None  # the one that ran last (its recording, its stats), after Stop
        self.live_show: Any = None  # the live panel's show, for the events channel (set by the main window)
        self._session_factory = session_factory
        self._receiver_factory = receiver_factory
        self._generation = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stop_after_start = False
        self._is_starting = False
        self._is_tearing_down = False
        self._engine_state.connect(self._on_engine_state, Qt.ConnectionType.QueuedConnection)
        self._worker_done.connect(self._on_worker_done, Qt.ConnectionType.QueuedConnection)
        self._notice.connect(self._relay_notice, Qt.ConnectionType.QueuedConnection)
        self._output_changed.connect(self._on_output_changed, Qt.ConnectionType.QueuedConnection)

    # -- queries -------------------------------------------------------------------------------
    @property
    def is_busy(self) -> bool:
        """A start or a tear-down is under way on a worker thread."""
        return self._is_starting or self._is_tearing_down

    @property
    def is_active(self) -> bool:
        return self.state.is_on_air

    @property
    def session(self) -> Any:
        """The live session (encoders + WHIP publisher) while a show runs; views read its stats."""
        service = self.service
        return service.session if service is not None else None

    @property
    def receiver(self) -> Any:
        """The built-in rehearsal receiver while a rehearsal runs."""
        service = self.service
        return service.receiver if service is not None else None

    @property
    def show_stats(self) -> Any:
        """This show's stats file for the post-show review."""
        service = self.service
        return service.show_stats if service is not None else None

    @property
    def is_rehearsal(self) -> bool:
        return self.receiver is not None

    @property
    def elapsed_s(self) -> float | None:
        return None if self.live_since is None else time.monotonic() - self.live_since

    def stats(self) -> dict[str, Any] | None:
        service = self.service
        return service.stats() if service is not None and service.started_at is not None else None

    def reconnect_info(self) -> dict[str, Any] | None:
        """While reconnecting: ``attempt`` (in this outage), ``next_retry_in_s`` (None while an
        attempt is running) and ``last_failure`` (in words) from the session's stats."""
        if self.state != RECONNECTING:
            return None
        try:
            stats = self.stats() or {}
        except Exception:  # a session tearing down: show the plain state
            return None
        next_retry = stats.get("next_retry_in_s")
        return {
            "attempt": int(stats.get("reconnect_attempt") or 0),
            "next_retry_in_s": float(next_retry) if next_retry is not None else None,
            "last_failure": stats.get("last_failure_message") or None,
        }

    # -- commands ------------------------------------------------------------------------------
    def outputs(self) -> list[dict[str, Any]]:
        """The destinations of the show on air (stats ``outputs`` without the recording)."""
        try:
            stats = self.stats()
        except Exception:  # a service tearing down: nothing to show
            return []
        return [entry for entry in (stats or {}).get("outputs") or [] if entry.get("kind") != "record"]

    def go_live(self) -> bool:
        """Start publishing to every enabled destination; False if a session is still running."""
        if self.is_active or self.state == STOPPING or self.is_busy:
            return False
        from studio.golive.from_settings import enabled_destinations

        enabled = enabled_destinations(self.settings)
        self._generation += 1
        generation = self._generation
        self.failure_text = None
        self.live_since = None
        self.destination_count = len(enabled)
        self.destination_name = enabled[0].name if len(enabled) == 1 else (
            self.tr("{count} destinations").format(count=len(enabled)) if enabled else None)
        self.pending_outputs.clear()
        self._stop_after_start = False
        self._is_starting = True
        self._set_state(CONNECTING)
        # A snapshot: the host may edit destinations while the worker reads keys and builds the plan.
        settings = self.settings.model_copy(deep=True)
        vertical_canvas = self._scenes_vertical_canvas()
        self._spawn("golive-start", generation, "started", lambda: self._start_work(generation, settings, vertical_canvas))
        return True

    def _scenes_vertical_canvas(self) -> tuple[int, int] | None:
        """The vertical canvas the scenes already have on (the show takes it as it is)."""
        collection = getattr(self.studio, "collection", None)
        vertical = getattr(collection, "vertical_canvas", None)
        return (int(vertical.width), int(vertical.height)) if vertical is not None else None

    def start_all(self) -> None:
        """Go live on every enabled destination, or (while live) start every stopped one again."""
        if not self.is_active:
            self.go_live()
            return
        for entry in self.outputs():
            if entry.get("state") == "stopped":
                self.start_output(str(entry["id"]))

    def stop_output(self, output_id: str) -> bool:
        """Stop one destination while the others go on (the unpublish runs on a worker thread)."""
        return self._change_output(output_id, "stop")

    def start_output(self, output_id: str) -> bool:
        """Start one stopped destination of the show on air again (on a worker thread)."""
        return self._change_output(output_id, "start")

    def _change_output(self, output_id: str, how: str) -> bool:
        service = self.service
        if service is None or not self.is_active or self.is_busy or output_id in self.pending_outputs:
            return False
        self.pending_outputs.add(output_id)
        self.outputs_changed.emit()
        call = service.stop_output if how == "stop" else service.start_output
        self._spawn(f"golive-{how}-output", self._generation, f"output:{output_id}", lambda: call(output_id))
        return True

    def stop(self) -> None:
        """Stop (or cancel a connection under way): WHIP DELETE and every thread joined, off the GUI thread."""
        if not self.is_active:
            return
        self._set_state(STOPPING)
        self._tear_down()

    def shutdown(self, timeout_s: float = SHUTDOWN_TIMEOUT_S) -> None:
        """Blocking stop for application exit: waits for workers, then stops what is left."""
        deadline = time.monotonic() + timeout_s
        for thread in list(self._threads):
            thread.join(max(0.1, deadline - time.monotonic()))
        self._stop_now()
        for thread in list(self._threads):
            thread.join(max(0.1, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
        self.state = IDLE if self.state != FAILED else FAILED

    # -- workers -------------------------------------------------------------------------------
    def _spawn(self, name: str, generation: int, what: str, work: Callable[[], None]) -> None:
        def run() -> None:
            error: BaseException | None = None
            try:
                work()
            except Exception as exc:  # shown to the user in words
                error = exc
                if not _is_expected(exc):
                    log.exception("go-live %s failed", what)
            try:
                self._worker_done.emit(generation, what, error)
            except RuntimeError:
                pass  # the controller is gone (application exit)

        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _start_work(self, generation: int, settings: Settings, vertical_canvas: tuple[int, int] | None) -> None:
        from studio.golive.from_settings import plan_from_settings
        from studio.golive.service import GoLiveService
        from studio.outputs.show_stats import new_stats_path
        from studio.secrets_store import get_secret

        live_show = self.live_show
        # Tokens and stream keys come from the keyring here, off the GUI thread.
        plan = plan_from_settings(settings, get_secret, stats_path=new_stats_path(), has_live_show=live_show is not None,
                                  vertical_canvas=vertical_canvas)
        service = GoLiveService(self.studio, plan, live_show=live_show, session_factory=self._session_factory,
                                receiver_factory=self._receiver_factory)

        def forward(state: str, failure: Any = None, **_extra: Any) -> None:
            try:
                self._engine_state.emit(generation, str(state), str(failure) if failure is not None else "")
            except RuntimeError:
                pass

        def forward_output(**_payload: Any) -> None:
            try:
                self._output_changed.emit(generation)
            except RuntimeError:
                pass

        def forward_notice(code: Any = None, message: Any = None, **_extra: Any) -> None:
            if message:
                try:
                    self._notice.emit(str(message))
                except RuntimeError:
                    pass

        service.output_state.connect(forward_output)
        service.on_state.connect(forward)
        service.notices.connect(forward_notice)
        with self._lock:
            self.service = service
        service.start()

    def _stop_now(self) -> None:
        with self._lock:
            service = self.service
        if service is not None:
            try:
                service.stop()
            except Exception:
                log.exception("stopping the show's outputs failed")
        with self._lock:
            if self.service is service:
                self.last_service = service
                self.service = None

    def _tear_down(self) -> None:
        if self._is_starting:
            self._stop_after_start = True  # the start worker still owns the objects
            return
        if self._is_tearing_down:
            return
        self._is_tearing_down = True
        self.changed.emit()
        self._spawn("golive-stop", self._generation, "stopped", self._stop_now)

    # -- GUI-thread hand-offs ----------------------------------------------------------------------
    def _relay_notice(self, message: str) -> None:
        self.notice.emit(message)

    def _on_output_changed(self, generation: int) -> None:
        if generation == self._generation:
            self.outputs_changed.emit()

    def _on_worker_done(self, generation: int, what: str, error: object) -> None:
        if what.startswith("output:"):
            self.pending_outputs.discard(what.split(":", 1)[1])
            if error is not None and generation == self._generation:
                self.notice.emit(_describe(error))
            self.outputs_changed.emit()
            return
        if what == "started":
            self._is_starting = False
            if error is not None and self.state != FAILED:
                self.failure_text = _describe(error)
                self._set_state(FAILED)
                self._stop_after_start = True
            if self._stop_after_start or self.state in (STOPPING, FAILED):
                self._stop_after_start = False
                self._tear_down()
            else:
                self.changed.emit()
        elif what == "stopped":
            self._is_tearing_down = False
            if self.state != FAILED:
                self.live_since = None
                self._set_state(IDLE)
            else:
                self.changed.emit()

    def _on_engine_state(self, generation: int, state: str, failure: str) -> None:
        if generation != self._generation or self.state in (STOPPING, IDLE):
            return
        if state == LIVE:
            if self.live_since is None:
                self.live_since = time.monotonic()
            self._set_state(LIVE)
        elif state in (CONNECTING, RECONNECTING):
            self._set_state(CONNECTING if self.live_since is None else RECONNECTING)
        elif state == FAILED:
            if self.state == FAILED:
                return
            self.failure_text = failure or self.tr("The stream stopped for an unknown reason.")
            self._set_state(FAILED)
            self._tear_down()
        elif state == "stopped" and self.is_active:
            self._set_state(STOPPING)
            self._tear_down()

    def _set_state(self, state: str) -> None:
        self.state = ShowState(state)
        self.changed.emit()


def _is_expected(error: BaseException) -> bool:
    from studio.core.errors import StudioError

    return isinstance(error, StudioError | OSError | ValueError)


def _describe(error: object) -> str:
    from studio.core.errors import StudioError

    if isinstance(error, StudioError):
        return str(error)
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error) or type(error).__name__


class GoLiveWidget(QWidget):
    """Destinations button (opens the Go-live dialog) + Go-live/Stop button + state label (the
    reason in words on failure; how many destinations are live when a show has several)."""

    destinations_requested = Signal()

    def __init__(self, controller: GoLiveController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("goLiveWidget")
        self.confirm_box: QMessageBox | None = None  # the open "stop the stream?" question (tests read it)
        self.destinations_button = QPushButton(self)
        self.destinations_button.setObjectName("destinationsButton")
        self.destinations_button.clicked.connect(self.destinations_requested)
        self.button = QPushButton(self)
        self.button.setObjectName("goLiveButton")
        self.button.setMinimumWidth(170)
        self.button.setMinimumHeight(30)
        self.button.clicked.connect(self._on_clicked)
        self.state_label = QLabel(self)
        self.state_label.setObjectName("goLiveStateLabel")
        self.state_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(8)
        self.destination_caption = QLabel(self)
        layout.addWidget(self.destination_caption)
        layout.addWidget(self.destinations_button)
        layout.addWidget(self.button)
        layout.addWidget(self.state_label, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(ELAPSED_TICK_MS)
        self._timer.timeout.connect(self.refresh)
        controller.changed.connect(self.refresh)
        controller.outputs_changed.connect(self.refresh)
        self.reload_destinations()
        self.retranslate()

    # -- destinations ------------------------------------------------------------------------------
    def reload_destinations(self) -> None:
        """Show which destinations Go live publishes to (after the host changed them)."""
        from studio.golive.from_settings import enabled_destinations

        enabled = enabled_destinations(self.controller.settings)
        if not enabled:
            text = self.tr("Rehearsal (built-in)")
        elif len(enabled) == 1:
            text = enabled[0].name
        else:
            text = self.tr("{count} destinations").format(count=len(enabled))
        self.destinations_button.setText(text + " ▾")
        self.destinations_button.setToolTip("\n".join(d.name for d in enabled) or self.tr(
            "No destination is ticked: Go live sends to the built-in rehearsal receiver."))

    # -- the button --------------------------------------------------------------------------------
    def _on_clicked(self) -> None:
        controller = self.controller
        if controller.state == LIVE or controller.state == RECONNECTING:
            self.ask_to_stop()
        elif controller.state == CONNECTING:
            controller.stop()  # cancel
        elif not controller.is_busy and controller.state in (IDLE, FAILED):
            controller.go_live()

    def ask_to_stop(self) -> None:
        """The stream is watched: confirm before stopping it (non-blocking question)."""
        if self.confirm_box is not None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Stop the stream?"),
                          self.tr("Viewers will stop seeing you. Stop the stream now?"),
                          QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("stopConfirmBox")
        stop_button = box.addButton(self.tr("Stop streaming"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(self.tr("Keep streaming"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(QMessageBox.StandardButton.NoButton)

        def finished(_result: int) -> None:
            self.confirm_box = None
            if box.clickedButton() is stop_button:
                self.controller.stop()
            box.deleteLater()

        box.finished.connect(finished)
        self.confirm_box = box
        box.open()

    def refresh(self) -> None:
        controller = self.controller
        state = controller.state
        self.button.setEnabled(True)
        where = controller.destination_name or self.tr("Rehearsal (built-in)")
        tooltip = ""
        outputs = controller.outputs() if state in (LIVE, RECONNECTING) and controller.destination_count > 1 else []
        if state == CONNECTING:
            text, label, style = self.tr("Connecting… (cancel)"), self.tr("Connecting to {where}…").format(where=where), "connecting"
        elif state == LIVE:
            text = self.tr("Stop · Live {elapsed}").format(elapsed=format_elapsed(controller.elapsed_s or 0))
            label, style = self.tr("Live on {where}").format(where=where), "live"
            if outputs:
                live = sum(1 for entry in outputs if entry.get("state") == LIVE)
                label = self.tr("Live on {live} of {total} destinations").format(live=live, total=len(outputs))
                failed = [entry for entry in outputs if entry.get("state") == FAILED]
                if failed:
                    label += " · " + self.tr("{name} failed").format(name=failed[0].get("name") or "")
                    tooltip = "\n".join(self.tr("{name}: {reason}").format(name=entry.get("name") or "", reason=entry.get("error") or "")
                                         for entry in failed)
        elif state == RECONNECTING:
            info = controller.reconnect_info() or {}
            attempt = info.get("attempt") or 0
            style = "reconnecting"
            if not attempt:
                text = self.tr("Stop · Reconnecting…")
                label = self.tr("Connection lost, reconnecting to {where}…").format(where=where)
            else:
                text = self.tr("Stop · Reconnecting (attempt {attempt})…").format(attempt=attempt)
                next_retry = info.get("next_retry_in_s")
                if next_retry is None:
                    label = self.tr("Connection lost, reconnecting to {where} (attempt {attempt}, trying now)…").format(
                        where=where, attempt=attempt)
                else:
                    label = self.tr("Connection lost, reconnecting to {where} (attempt {attempt}, next try in {seconds} s)…").format(
                        where=where, attempt=attempt, seconds=max(1, math.ceil(next_retry)))
            if info.get("last_failure"):
                tooltip = self.tr("Last problem: {reason}").format(reason=info["last_failure"])
        elif state == STOPPING:
            text, label, style = self.tr("Stopping…"), self.tr("Stopping the stream…"), "stopping"
            self.button.setEnabled(False)
        elif state == FAILED:
            text, style = self.tr("Go live"), "failed"
            label = self.tr("Failed: {reason}").format(reason=controller.failure_text or "")
            tooltip = label
            self.button.setEnabled(not controller.is_busy)
        else:
            text, label, style = self.tr("Go live"), "", "idle"
            self.button.setEnabled(not controller.is_busy)
        self.button.setText(text)
        self.button.setProperty("liveState", style)
        self.button.setStyleSheet(_BUTTON_STYLES.get(style, ""))
        self.state_label.setText(label)
        self.state_label.setToolTip(tooltip)
        self.button.setToolTip(tooltip or label)
        self.state_label.setStyleSheet("color: #ff6b6b;" if style == "failed" else "")
        if state in (LIVE, RECONNECTING, CONNECTING):
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.destination_caption.setText(self.tr("Destinations:"))
        self.reload_destinations()
        self.refresh()


_BUTTON_STYLES = {
    "idle": "QPushButton { background: #1f6feb; color: white; font-weight: bold; border-radius: 4px; padding: 4px 14px; }",
    "failed": "QPushButton { background: #1f6feb; color: white; font-weight: bold; border-radius: 4px; padding: 4px 14px; }",
    "connecting": "QPushButton { background: #9a6700; color: white; font-weight: bold; border-radius: 4px; padding: 4px 14px; }",
    "live": "QPushButton { background: #d1242f; color: white; font-weight: bold; border-radius: 4px; padding: 4px 14px; }",
    "reconnecting": "QPushButton { background: #bc4c00; color: white; font-weight: bold; border-radius: 4px; padding: 4px 14px; }",
    "stopping": "QPushButton { background: #3a3f48; color: #b9bec8; font-weight: bold; border-radius: 4px; padding: 4px 14px; }",
}
