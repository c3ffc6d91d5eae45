"""Run several connectors at once and merge what they hear into one ordered stream.

The hub owns one asyncio loop thread (every connector's session and the generic inbound
route run on it) and one sink thread.  Each event is checked against what was already seen
(``(platform, platform_id)``, a bounded window), numbered (``seq``, in arrival order) and
put on a bounded hand-off; the sink thread hands it to ``sink`` (the show journal, later) so
disk writes never run on the network loop.  When the sink falls behind the hand-off fills
and the connectors wait (back-pressure; nothing is dropped) — ``stalls`` counts how often.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Iterable

import aiohttp

from studio.connectors.base import Action, Connector
from studio.connectors.errors import ConnectorError, NotSupported
from studio.connectors.events import EventType, PlatformEvent
from studio.connectors.generic import event_from_payload
from studio.connectors.orders_csv import OrderImport, read_orders_csv
from studio.core.i18n import _
from studio.core.loop_thread import LoopThread

log = logging.getLogger(__name__)

Sink = Callable[[PlatformEvent], Any]
MAX_PENDING = 2048
DEDUPE_WINDOW = 200_000
HANDOFF_RETRY_S = 0.005
CALL_TIMEOUT_S = 20.0


class ConnectorHub:
    """Start/stop with the show; ``sink`` gets every new event once, numbered, in order."""

    def __init__(self, sink: Sink, *, max_pending: int = MAX_PENDING, dedupe_window: int = DEDUPE_WINDOW,
                 last_seq: int = 0, seen: Iterable[tuple[str, str]] = ()) -> None:
        self._sink = sink
        self._handoff: queue.Queue[PlatformEvent | None] = queue.Queue(maxsize=max_pending)
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict((key, None) for key in seen)
        self._dedupe_window = int(dedupe_window)
        self._seq = int(last_seq)
        self._connectors: dict[str, Connector] = {}
        self._tasks: dict[str, concurrent.futures.Future[Any]] = {}
        self._viewers: dict[str, int] = {}
        self._loop_thread: LoopThread | None = None
        self._sink_thread: threading.Thread | None = None
        self._accept_lock: asyncio.Lock | None = None
        self._lock = threading.Lock()
        self.accepted = 0
        self.duplicates = 0
        self.stalls = 0
        self.sink_errors = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def is_running(self) -> bool:
        return self._loop_thread is not None and self._loop_thread.is_running

    def add(self, connector: Connector) -> None:
        """Add a connector (started at once when the hub runs)."""
        with self._lock:
            if connector.name in self._connectors:
                raise ConnectorError(_("{name} is already connected.").format(name=connector.name))
            self._connectors[connector.name] = connector
        if self.is_running:
            self._start_connector(connector)

    def remove(self, name: str) -> None:
        """Disconnect one connector ('twitch:channel') while the others go on."""
        with self._lock:
            connector = self._connectors.pop(name, None)
        future = self._tasks.pop(name, None)
        if connector is None:
            raise ConnectorError(_("{name} is not connected.").format(name=name))
        if future is not None:
            future.cancel()

    def start(self) -> "ConnectorHub":
        if self._loop_thread is not None:
            raise RuntimeError("a ConnectorHub starts once")
        self._sink_thread = threading.Thread(target=self._sink_main, name="connector-sink", daemon=True)
        self._sink_thread.start()
        self._loop_thread = LoopThread("connectors").start()
        self._loop_thread.run(self._make_lock())
        for connector in list(self._connectors.values()):
            self._start_connector(connector)
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop every connector, deliver what is already accepted, join both threads."""
        loop_thread, self._loop_thread = self._loop_thread, None
        if loop_thread is not None:
            for future in self._tasks.values():
                future.cancel()
            loop_thread.stop(timeout_s)  # cancelled sessions close their HTTP/WebSocket first
        self._tasks.clear()
        sink_thread, self._sink_thread = self._sink_thread, None
        if sink_thread is not None:
            self._handoff.put(None)
            sink_thread.join(timeout_s)

    async def _make_lock(self) -> None:
        self._accept_lock = asyncio.Lock()

    def _start_connector(self, connector: Connector) -> None:
        assert self._loop_thread is not None
        self._tasks[connector.name] = self._loop_thread.spawn(connector.run(self.accept))

    # ------------------------------------------------------------------ the merged stream

    async def accept(self, event: PlatformEvent) -> PlatformEvent | None:
        """Number and hand off ``event`` unless it was seen; the numbered event, or None (a duplicate)."""
        assert self._accept_lock is not None
        async with self._accept_lock:  # seq order == hand-off order
            if event.key in self._seen:
                self.duplicates += 1
                return None
            self._seen[event.key] = None
            if len(self._seen) > self._dedupe_window:
                self._seen.popitem(last=False)
            self._seq += 1
            numbered = event.with_seq(self._seq)
            if event.type is EventType.VIEWERS and event.count is not None:
                self._viewers[event.platform] = event.count
            while True:
                try:
                    self._handoff.put_nowait(numbered)
                    break
                except queue.Full:
                    self.stalls += 1
                    await asyncio.sleep(HANDOFF_RETRY_S)
            self.accepted += 1
            return numbered

    def _sink_main(self) -> None:
        while True:
            event = self._handoff.get()
            if event is None:
                return
            try:
                self._sink(event)
            except Exception:  # the journal's own failure: say it loudly, keep the stream going
                self.sink_errors += 1
                log.exception("the event sink failed on %s seq %s", event.platform, event.seq)

    # ------------------------------------------------------------------ inbound (any thread)

    def ingest(self, payload: Any, timeout_s: float = CALL_TIMEOUT_S) -> PlatformEvent | None:
        """Take one event in the documented inbound format (``platform-event.schema.json``).

        Raises :class:`EventFormatError` naming what is wrong; returns the numbered event, or
        None when it was a duplicate.  Blocks while the hand-off is full.
        """
        event = event_from_payload(payload)
        return self._run(self.accept(event), timeout_s)

    def import_orders(self, path: str | Path, platform: str, timeout_s: float = CALL_TIMEOUT_S) -> OrderImport:
        """Read a platform's order export (CSV) and add its orders; rows with problems are
        listed in the result (row, column, reason), the others imported."""
        result = read_orders_csv(path, platform)
        for event in result.events:
            if self._run(self.accept(event), timeout_s) is None:
                result.duplicates += 1
        return result

    def reply(self, name: str, text: str, to: PlatformEvent | None = None,
              timeout_s: float = CALL_TIMEOUT_S) -> None:
        """Post ``text`` through connector ``name`` ('youtube:ID'); raises a ConnectorError in words."""
        connector = self._connector(name)
        self._run(connector.reply(text, to), timeout_s)

    def moderate(self, name: str, action: Action, event: PlatformEvent, timeout_s: float = CALL_TIMEOUT_S) -> None:
        connector = self._connector(name)
        if action not in connector.actions:
            raise NotSupported(_("{platform} has no API to {action} a message.").format(
                platform=connector.display_name, action=action.value))
        self._run(connector.moderate(action, event), timeout_s)

    def actions_of(self, name: str) -> frozenset[Action]:
        """What connector ``name`` can do on its platform (reply, delete, ban, hide…)."""
        connector = self._connectors.get(name)
        return connector.actions if connector is not None else frozenset()

    def connector_for(self, event: PlatformEvent) -> str | None:
        """The name of the connector an event came from (to answer it on its own platform)."""
        for name, connector in list(self._connectors.items()):
            if connector.serves(event.platform):
                return name
        return None

    def statuses(self) -> list[dict[str, Any]]:
        return [connector.status.to_dict() for connector in list(self._connectors.values())]

    def viewers(self) -> dict[str, int]:
        """The latest viewer count per platform."""
        return dict(self._viewers)

    @property
    def last_seq(self) -> int:
        return self._seq

    def _connector(self, name: str) -> Connector:
        connector = self._connectors.get(name)
        if connector is None:
            raise ConnectorError(_("{name} is not connected.").format(name=name))
        return connector

    def _run(self, coro, timeout_s: float) -> Any:
        loop_thread = self._loop_thread
        if loop_thread is None or not loop_thread.is_running:
            coro.close()
            raise ConnectorError(_("Platform connections are not running (no show is live)."))
        try:
            return loop_thread.run(coro, timeout_s)
        except concurrent.futures.CancelledError as err:
            raise ConnectorError(_("Platform connections stopped before this was done.")) from err
        except (concurrent.futures.TimeoutError, asyncio.TimeoutError) as err:
            raise ConnectorError(_("The platform did not answer in {s:.0f} s.").format(s=timeout_s)) from err
        except (aiohttp.ClientError, OSError) as err:
            raise ConnectorError(_("The platform cannot be reached ({reason}); nothing was sent.").format(
                reason=type(err).__name__)) from err
