"""``ReferralsController``: the Live panel's link to the show's referral programme; no widgets.

Reads (the ledger, the leaderboard) and commands (codes, grant, hold, the leaderboard card, the
CSV export) run on the panel's command thread through :class:`LivePanelController`; the ledger
is read again after any drain that carried a referral or coupon event (engine threads only set
a flag), so the page follows joins from the control API and vesting on the ticker.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.live.referral_posters import write_invite_posters
from ui.live_panel.controller import LivePanelController
from ui.workers import run_in_background

LEADERBOARD_ROWS = 10


class ReferralsController(QObject):
    """The referral programme as the page shows it: ``changed(view)`` with ``ledger`` (the unit's
    JSON) and ``leaderboard`` (the top rows)."""

    changed = Signal(dict)

    def __init__(self, panel: LivePanelController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.view: dict[str, Any] = {}
        self._is_stale = threading.Event()
        self._is_reading = False
        self._is_attached = False
        panel.batch_applied.connect(lambda _count: self._is_stale.is_set() and self.refresh())
        panel.show_started.connect(self.refresh)

    @property
    def live(self) -> Any:
        return self.panel.live

    def attach(self) -> None:
        """Follow the show's events (the dock attaches and detaches with the show)."""
        if not self._is_attached:
            self._is_attached = True
            self.live.event.connect(self._on_live_event)
            self.refresh()

    def detach(self) -> None:
        if self._is_attached:
            self._is_attached = False
            self.live.event.disconnect(self._on_live_event)

    def _on_live_event(self, event: dict[str, Any]) -> None:
        """Engine threads: only note that the ledger changed (the drain asks for a new read)."""
        if event["type"].startswith(("referral.", "coupon.", "show.")):
            self._is_stale.set()

    def refresh(self) -> None:
        """Read the ledger and the leaderboard off the GUI thread (one read in flight)."""
        if self._is_reading:
            return
        self._is_reading = True
        self._is_stale.clear()
        referrals = self.live.referrals  # a new show replaces the unit: looked up now

        def read() -> dict[str, Any]:
            return {"ledger": referrals.to_json(), "leaderboard": referrals.leaderboard(LEADERBOARD_ROWS)}

        run_in_background(read, self._apply, self._failed, receiver=self)

    def _apply(self, view: dict[str, Any]) -> None:
        self._is_reading = False
        self.view = view
        self.changed.emit(view)
        if self._is_stale.is_set():
            self.refresh()

    def _failed(self, error: BaseException) -> None:
        self._is_reading = False
        self.panel.report(error)

    # -- commands -------------------------------------------------------------------------------------
    def add_inviter(self, viewer: str) -> None:
        self.panel.run_command(lambda: self.live.referrals.add_inviter(viewer))

    def grant(self, reward_id: str) -> None:
        self.panel.run_command(lambda: self.live.referrals.grant(reward_id))

    def hold(self, reward_id: str) -> None:
        self.panel.run_command(lambda: self.live.referrals.hold(reward_id))

    def show_board(self, is_shown: bool) -> None:
        self.panel.run_command(lambda: self.live.referrals.show_board(is_shown))

    def export_csv(self, path: str, on_done: Any) -> None:
        self.panel.run_command(lambda: self.live.referrals.export_csv(Path(path)), on_done)

    def write_posters(self, folder: str, on_done: Any) -> None:
        """An invite poster per inviter into ``folder``, in the show's language and region pack."""
        live = self.live
        referrals, locale, region = live.referrals, live.locale, live.overlay_region
        self.panel.run_command(lambda: write_invite_posters(referrals, folder, locale, region), on_done)
