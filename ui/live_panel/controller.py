"""``LivePanelController``: the Live panel's link to one ``LiveControl`` (its ``LiveShow``); no widgets.

- Commands and state snapshots run on a one-thread pool (in order; SQLite and overlay
  rendering never run on the GUI thread); results come back through ``ui.workers``.
- ``live.event`` fires on engine threads (comment adapters, the ticker, the control API).
  The handler only appends to a deque; a GUI timer drains it every ``DRAIN_INTERVAL_MS``
  so a flood of comments costs one model update per tick, never one Qt signal per comment.
- The catalog and comment item models live here; the panel's sections present them and the
  newest snapshot (``snapshot_changed``) and send their commands through :meth:`run_command`.
- The show's platform connectors (:class:`~ui.live_panel.platforms.PlatformLink`) start once
  the show is open; what they hear comes back as journal events like everything else: comments
  (with their ``platform``), ``platform.viewers`` (the counts in the header) and
  ``platform.order`` (the orders column of the catalog).
"""
from __future__ import annotations

import collections
import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal

from studio.core.i18n import ngettext
from studio.live.errors import LiveError
from ui.live_panel.models import MAX_COMMENT_ROWS, CommentModel, ProductTableModel, product_rows
from ui.live_panel.platforms import PlatformLink, journaled_orders, latest_viewers
from ui.workers import run_in_background

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 100
SNAPSHOT_INTERVAL_MS = 250
MAX_RECENT_ORDERS = 2_000
MAX_BUFFERED_EVENTS = 50_000  # between two drains; beyond that the view skips (counted), the journal does not


class EventBuffer:
    """Thread-safe hand-off of engine events to the GUI thread (drained on a GUI timer)."""

    def __init__(self, max_events: int = MAX_BUFFERED_EVENTS) -> None:
        self._events: collections.deque[dict[str, Any]] = collections.deque(maxlen=max_events)
        self.received = 0
        self.dropped = 0  # view-only skips when the GUI falls far behind; the journal keeps everything

    def push(self, event: dict[str, Any]) -> None:  # any thread; deque.append is atomic
        if len(self._events) == self._events.maxlen:
            self.dropped += 1
        self._events.append(event)
        self.received += 1

    def drain(self) -> list[dict[str, Any]]:
        out = []
        pop = self._events.popleft
        try:
            while True:
                out.append(pop())
        except IndexError:
            return out


class _Refused:
    def __init__(self, error: LiveError) -> None:
        self.error = error


class LivePanelController(QObject):
    """Commands, snapshots and engine events for the Live panel of one ``LiveControl``."""

    batch_applied = Signal(int)  # events applied in one drain (tests and load measurements)
    snapshot_changed = Signal(dict)  # the newest ``LiveShow.snapshot()``
    products_changed = Signal()  # the catalog model was reloaded
    comments_changed = Signal()  # flags of listed comments changed (filters must look again)
    command_failed = Signal(str)  # a refused command or a missing choice, in words
    command_succeeded = Signal()
    notice = Signal(str)  # a warning about what is on air (sold-out pin, pin taken off by a catalog); "" clears it
    show_started = Signal()  # a new show began: every view starts from a clean slate
    control_status_changed = Signal()  # the control API's state changed (always on the GUI thread)
    viewers_changed = Signal(dict)  # {platform: latest viewer count}
    _control_status_arrived = Signal()  # engine thread → GUI thread

    def __init__(self, control: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.control = control
        self.live = control.live
        self.snapshot: dict[str, Any] = {}
        self.products: list[dict[str, Any]] = []
        self.last_refusal: tuple[str, str] | None = None  # (viewer, reason code) of the newest giveaway refusal
        self.product_model = ProductTableModel(self)
        self.comment_model = CommentModel(self)
        self.viewers: dict[str, int] = {}
        # Orders drained lately, (journal seq, data): those a catalog reload read too are not counted twice.
        self._recent_orders: collections.deque[tuple[int, dict[str, Any]]] = collections.deque(maxlen=MAX_RECENT_ORDERS)
        self._orders_read_up_to = 0
        self.platforms = PlatformLink(self.live, self)
        self.platforms.started.connect(lambda: self._merge_viewers(self.platforms.viewers()))
        self.platforms.problem.connect(self.report)
        self.buffer = EventBuffer()
        self._is_snapshot_pending = False
        self._is_attached = False
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # commands run in the order given
        self._control_status_arrived.connect(self.control_status_changed, Qt.ConnectionType.QueuedConnection)
        self._drain_timer = QTimer(self)
        self._drain_timer.setInterval(DRAIN_INTERVAL_MS)
        self._drain_timer.timeout.connect(self.drain)
        self._snapshot_timer = QTimer(self)
        self._snapshot_timer.setInterval(SNAPSHOT_INTERVAL_MS)
        self._snapshot_timer.timeout.connect(self.request_snapshot)

    @property
    def dropped_events(self) -> int:
        return self.buffer.dropped

    @property
    def locale(self) -> str:
        """The show's locale (titles, prices and times are written its way)."""
        return self.live.locale

    # -- lifecycle -----------------------------------------------------------------------------------
    def attach(self) -> None:
        """Listen to the show and start the drain and snapshot timers."""
        if self._is_attached:
            return
        self.live.event.connect(self._on_live_event)
        status = getattr(self.control, "status", None)
        if status is not None:
            status.connect(self._on_control_status)
        self._is_attached = True
        self._drain_timer.start()
        self._snapshot_timer.start()
        self.refresh()

    def detach(self) -> None:
        """Stop listening and wait for queued commands (call before the show stops)."""
        if not self._is_attached:
            return
        self.live.event.disconnect(self._on_live_event)
        status = getattr(self.control, "status", None)
        if status is not None:
            status.disconnect(self._on_control_status)
        self._is_attached = False
        self._drain_timer.stop()
        self._snapshot_timer.stop()
        self._pool.waitForDone(10_000)
        self.platforms.stop()

    def connect_platforms(self, specs: list[str]) -> None:
        """Connect the show to ``specs`` ('youtube:BROADCAST_ID' …) — once the show is open; again
        with the new list whenever it changes (connectors run off the GUI thread)."""
        self.platforms.apply(specs)

    def refresh(self) -> None:
        """Reload products, recent comments and state from the show (off the GUI thread)."""
        def load() -> tuple[Any, ...]:
            return (self.live.shelf.to_json(), self.live.comments.recent(include_hidden=True, limit=MAX_COMMENT_ROWS),
                    journaled_orders(self.live), latest_viewers(self.live))

        self.run_command(load, self._on_refreshed)

    def _on_refreshed(self, result: tuple[Any, ...]) -> None:
        products, comments, (orders, read_up_to), viewers = result
        self.set_products(products)
        self._orders_read_up_to = read_up_to
        self.product_model.set_orders(orders + [order for seq, order in self._recent_orders if seq > read_up_to])
        self.comment_model.replace(comments)
        self.viewers = {}
        self._merge_viewers({**viewers, **self.platforms.viewers()})

    def _merge_viewers(self, viewers: dict[str, int]) -> None:
        self.viewers.update(viewers)
        self.viewers_changed.emit(dict(self.viewers))

    def set_products(self, products: list[dict[str, Any]]) -> None:
        self.products = products
        self.product_model.set_rows(product_rows(products, self.live.locale))
        self.products_changed.emit()

    # -- engine → GUI --------------------------------------------------------------------------------
    def _on_control_status(self, **_status: Any) -> None:
        """Any thread (the control starts off the GUI thread): hop to the GUI thread."""
        try:
            self._control_status_arrived.emit()
        except RuntimeError:  # the panel is gone
            pass

    def _on_live_event(self, event: dict[str, Any]) -> None:
        """Engine threads: queue only (the GUI timer applies events in batches)."""
        self.buffer.push(event)

    def drain(self) -> int:
        """GUI thread: apply every queued event at once; returns how many."""
        events = self.buffer.drain()
        if not events:
            return 0
        comments: list[dict[str, Any]] = []
        orders: list[dict[str, Any]] = []
        viewers: dict[str, int] = {}
        needs_snapshot = needs_products = needs_show_reload = False
        archive = None
        for event in events:
            kind, data = event["type"], event["data"]
            if kind == "comment.received":
                comments.append(dict(data))
                continue
            if kind.startswith("platform."):  # what the connected platforms report (no show state changes)
                seq = int(event.get("seq") or 0)
                if kind == "platform.order" and seq > self._orders_read_up_to:  # not already in a reload
                    orders.append(data)
                    self._recent_orders.append((seq, data))
                elif kind == "platform.viewers" and isinstance(data.get("count"), int):
                    viewers[str(data.get("platform"))] = data["count"]
                continue
            if comments:  # keep order: updates apply to comments already listed
                self.comment_model.append(comments)
                comments = []
            if kind in ("comment.updated", "answer.pinned", "comment.replied"):
                comment_id = data.get("id") or (data.get("comment") or {}).get("id")
                flags = {k: data[k] for k in ("is_question", "is_hidden", "is_answered") if k in data}
                if kind in ("answer.pinned", "comment.replied"):
                    flags = {"is_answered": True}
                self.comment_model.update(lambda c, cid=comment_id: c["id"] == cid, **flags)
                self.comments_changed.emit()
            elif kind in ("user.blocked", "user.unblocked"):
                user = data.get("user")
                self.comment_model.update(lambda c, u=user: c["user"] == u, is_hidden=kind == "user.blocked")
                self.comments_changed.emit()
            elif kind == "catalog.loaded":
                needs_products = True
                self.notice.emit(self._catalog_notice(data))
            elif kind == "product.pinned":
                self.notice.emit(self._sold_out_notice(data.get("sku")) if data.get("is_sold_out") else "")
            elif kind == "product.unpinned":
                self.notice.emit("")
            elif kind == "show.new":
                needs_show_reload = True
                self._recent_orders.clear()  # the journal starts again; the last show's orders stay with it
                archive = data.get("archive")
            elif kind == "giveaway.entry_refused":
                self.last_refusal = (data.get("user", ""), data.get("reason", ""))
            elif kind == "giveaway.opened":
                self.last_refusal = None
            if not kind.startswith("comment.") and kind != "giveaway.entered":
                needs_snapshot = True
        if comments:
            self.comment_model.append(comments)
        if orders:
            self.product_model.add_orders(orders)
        if viewers:
            self._merge_viewers(viewers)
        if needs_show_reload:
            self.last_refusal = None
            self.notice.emit(self.tr("A new show has started. The last one is kept for review as {path}.").format(path=archive))
            self.show_started.emit()
            self.refresh()  # the catalog and the (now empty) comments of the new show
        elif needs_products:
            self.run_command(self.live.shelf.to_json, self.set_products)
        if needs_snapshot:
            self.request_snapshot()
        self.batch_applied.emit(len(events))
        return len(events)

    def _sold_out_notice(self, sku: str | None) -> str:
        return self.tr("{sku} is sold out (stock 0) and on the program now. "
                       "Unpin it, or load a catalog with new stock.").format(sku=sku)

    def _catalog_notice(self, data: dict[str, Any]) -> str:
        """What a catalog replacement did, in words: rows left out, the pinned product taken off or sold out."""
        parts = []
        skipped = int(data.get("skipped_rows") or 0)
        if skipped:
            parts.append(ngettext("{count} catalog row was skipped.", "{count} catalog rows were skipped.", skipped).format(count=skipped))
        if data.get("unpinned_sku"):
            parts.append(self.tr("{sku} is not in the new catalog, so its card was taken off the program.").format(
                sku=data["unpinned_sku"]))
        elif data.get("pinned_is_sold_out"):
            parts.append(self._sold_out_notice(data.get("pinned_sku")))
        return " ".join(parts)

    def request_snapshot(self) -> None:
        """Ask for the show state; at most one request in flight (the newest answer wins)."""
        if self._is_snapshot_pending:
            return
        self._is_snapshot_pending = True
        run_in_background(self.live.snapshot, self._apply_snapshot, self._on_snapshot_failed, receiver=self, pool=self._pool)

    def _apply_snapshot(self, snapshot: dict[str, Any]) -> None:
        self._is_snapshot_pending = False
        previous, self.snapshot = self.snapshot, snapshot
        # Every timer the views show (segment, countdowns) is in the snapshot itself, so one that
        # differs from the last only in its time stamp changes nothing on screen: no repaint.
        if previous is None or _shown(previous) != _shown(snapshot):
            self.snapshot_changed.emit(snapshot)

    def _on_snapshot_failed(self, error: BaseException) -> None:
        self._is_snapshot_pending = False
        log.warning("live snapshot failed: %s", error)

    # -- commands ------------------------------------------------------------------------------------
    def run_command(self, work: Callable[[], Any], on_done: Callable[[Any], None] | None = None) -> None:
        """Run a show command on the panel's thread; errors are reported in words (``command_failed``)."""
        def guarded() -> Any:
            try:
                return work()
            except LiveError as error:  # expected (a refused command): shown in words, not logged as a crash
                return _Refused(error)

        def done(result: Any) -> None:
            if isinstance(result, _Refused):
                self.report(result.error)
                return
            self.command_succeeded.emit()
            if on_done is not None:
                on_done(result)

        run_in_background(guarded, done, self.report, receiver=self, pool=self._pool)

    def report(self, error: BaseException | str) -> None:
        """Show a problem in words in the panel (a refused command, or a choice still missing)."""
        self.command_failed.emit(str(error))


def _shown(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What of a snapshot the panel shows: all but the time it was taken."""
    return {key: value for key, value in snapshot.items() if key != "t"}
