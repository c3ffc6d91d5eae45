"""The show's platform connectors for the Live panel: one ``ShowAudience`` over the panel's ``LiveShow``.

:class:`PlatformLink` connects the platforms named in settings (``youtube:BROADCAST_ID`` …) once
the show is open, changes them when the Platforms dialog is saved, and stops them at quit.
Building the audience reads the show journal and the secrets store, so it runs on the link's
own one-thread pool, never on the GUI thread; the connectors themselves run on the hub's
threads and replies go through the audience's outbox thread.  What the panel shows (comments,
viewer counts, orders) arrives as journal events through the panel's controller; this link
only adds what is not journaled: each connector's state and the replies that could not be sent.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from studio.connectors import ConnectorError, parse_spec
from studio.live.audience import ShowAudience, audience_for
from ui.workers import run_in_background

log = logging.getLogger(__name__)

STATUS_INTERVAL_MS = 1000
JOURNAL_PAGE = 500
MAX_ORDERS_LOADED = 200_000
LATEST_VIEWER_EVENTS = 500


def journaled_orders(live: Any) -> tuple[list[dict[str, Any]], int]:
    """Every ``platform.order`` of the show, oldest first, and the journal sequence read up to
    (pool threads only: it reads SQLite)."""
    orders: list[dict[str, Any]] = []
    since = 0
    while len(orders) < MAX_ORDERS_LOADED:
        rows = live.store.query_events("platform.order", since, JOURNAL_PAGE)
        for seq, text in rows:
            since = seq
            data = _json(text)
            if data is not None:
                orders.append(data)
        if len(rows) < JOURNAL_PAGE:
            break
    return orders, since


def latest_viewers(live: Any) -> dict[str, int]:
    """The newest journaled viewer count per platform (pool threads only)."""
    viewers: dict[str, int] = {}
    for _seq, text in live.store.query_events("platform.viewers", 0, LATEST_VIEWER_EVENTS, newest=True):
        data = _json(text)
        if data and isinstance(data.get("platform"), str) and isinstance(data.get("count"), int):
            viewers[data["platform"]] = data["count"]  # oldest first: the newest wins
    return viewers


def _json(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class PlatformLink(QObject):
    """Runs the show's connectors; ``statuses_changed`` each second while any is connected."""

    started = Signal()  # the audience runs (connectors are connecting); also after each change
    statuses_changed = Signal(list)  # ShowAudience.statuses(): each connector's state and quota in words
    problem = Signal(str)  # a connector that could not be added, a reply that was not sent — in words

    def __init__(self, live: Any, parent: QObject | None = None, *, options: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self.audience: ShowAudience | None = None  # what the GUI reads (set once a change is done)
        self._working_audience: ShowAudience | None = None  # the link's pool thread only
        self.specs: list[str] = []
        self.problems: dict[str, str] = {}  # spec -> why it is not connected
        self.options = dict(options or {})  # connector options (tests: faster back-off)
        self._is_stopped = False
        self._failures_shown: list[str] = []
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # start, changes and stop in the order asked
        self._timer = QTimer(self)
        self._timer.setInterval(STATUS_INTERVAL_MS)
        self._timer.timeout.connect(self.poll)

    @property
    def is_running(self) -> bool:
        return self.audience is not None

    # -- lifecycle -----------------------------------------------------------------------------------
    def apply(self, specs: list[str], renewed_platforms: set[str] | frozenset[str] = frozenset()) -> None:
        """Connect exactly ``specs``: new ones are added, dropped ones removed, and those of a
        platform whose credentials were just changed (``renewed_platforms``) reconnected."""
        if self._is_stopped:
            return
        wanted = list(dict.fromkeys(specs))
        self.specs = wanted
        renewed = set(renewed_platforms)

        def work() -> tuple[ShowAudience | None, dict[str, str]]:
            # The pool runs one change at a time, so each starts from what the one before made.
            result = self._reconcile(self._working_audience, wanted, renewed)
            self._working_audience = result[0]
            return result

        run_in_background(work, self._applied, self._failed, receiver=self, pool=self._pool)

    def _reconcile(self, audience: ShowAudience | None, wanted: list[str],
                   renewed: set[str]) -> tuple[ShowAudience | None, dict[str, str]]:
        """Pool thread: build or change the audience; returns it and the problems in words."""
        problems: dict[str, str] = {}
        if audience is None:
            if not wanted:
                return None, problems
            # The show's one audience (the control API's platform-events route may have made it):
            # it reads the journal, so what was heard before a restart comes back.
            audience = audience_for(self.live)
        running = {status["platform"] + ":" + status["target"] for status in audience.statuses()}
        for name in sorted(running):
            if name not in wanted or secrets_key(name) in renewed:
                try:
                    audience.hub.remove(name)
                except ConnectorError:
                    pass
                running.discard(name)
        for spec in wanted:
            if spec in running:
                continue
            try:
                connector = audience.connect(spec, **self.options)
            except ConnectorError as error:
                problems[spec] = str(error)
                continue
            problem = connector.credential_problem()
            if problem:
                problems[spec] = problem
        return audience, problems

    def _applied(self, result: tuple[ShowAudience | None, dict[str, str]]) -> None:
        audience, problems = result
        if self._is_stopped:  # stop() already stopped it
            return
        self.audience = audience
        self.problems = problems
        for spec, problem in problems.items():
            self.problem.emit(self.tr("{spec}: {problem}").format(spec=spec, problem=problem))
        if audience is not None:
            self._timer.start()
            self.started.emit()
        self.poll()

    def _failed(self, error: BaseException) -> None:
        log.error("the platform connections could not be started: %s", error)
        self.problem.emit(self.tr("The platforms could not be connected: {reason}").format(reason=error))

    def stop(self) -> None:
        """Disconnect every platform (at quit): waits for the connectors to close (a few seconds at most)."""
        self._is_stopped = True
        self._timer.stop()
        self._pool.waitForDone(15_000)
        audience, self._working_audience, self.audience = self._working_audience, None, None
        if audience is not None:
            audience.stop()

    # -- readouts (memory only: safe on the GUI thread) ---------------------------------------------
    def statuses(self) -> list[dict[str, Any]]:
        return self.audience.statuses() if self.audience is not None else []

    def viewers(self) -> dict[str, int]:
        return self.audience.viewers() if self.audience is not None else {}

    def poll(self) -> None:
        """Each second: the connectors' states, and any reply that could not be sent."""
        audience = self.audience
        if audience is None:
            return
        self.statuses_changed.emit(audience.statuses())
        failures = list(audience.reply_failures)  # the latest few, newest last
        if failures and failures != self._failures_shown:
            self.problem.emit(failures[-1])
        self._failures_shown = failures


def secrets_key(spec: str) -> str:
    """Whose credentials a connector uses: the platform ('youtube'), or a generic bridge's own name."""
    try:
        platform, target = parse_spec(spec)
    except ConnectorError:
        return spec.partition(":")[0]
    return target if platform == "generic" else platform
