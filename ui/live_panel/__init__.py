"""The Live panel: one dock over one ``LiveControl``, one module per tab or box.

- :mod:`~ui.live_panel.controller`: commands, snapshots and engine events (no widgets)
- :mod:`~ui.live_panel.models`: the catalog and comment item models
- :mod:`~ui.live_panel.products`, :mod:`~ui.live_panel.comments`, :mod:`~ui.live_panel.promotions`
  (coupons, flash sale), :mod:`~ui.live_panel.giveaway`, :mod:`~ui.live_panel.rundown`,
  :mod:`~ui.live_panel.pairing`: the views
- :mod:`~ui.live_panel.dock`: the dock that holds them
"""
from ui.live_panel.controller import DRAIN_INTERVAL_MS, MAX_BUFFERED_EVENTS, SNAPSHOT_INTERVAL_MS, EventBuffer, LivePanelController
from ui.live_panel.dock import LivePanelDock
from ui.live_panel.models import HOTKEY_COUNT, MAX_COMMENT_ROWS, CommentFilter, CommentModel, ProductFilter, ProductTableModel
from ui.live_panel.pairing import PairDialog, mask_token
from ui.live_panel.promotions import CouponDialog, locale_time

__all__ = [
    "DRAIN_INTERVAL_MS", "HOTKEY_COUNT", "MAX_BUFFERED_EVENTS", "MAX_COMMENT_ROWS", "SNAPSHOT_INTERVAL_MS",
    "CommentFilter", "CommentModel", "CouponDialog", "EventBuffer", "LivePanelController", "LivePanelDock",
    "PairDialog", "ProductFilter", "ProductTableModel", "locale_time", "mask_token",
]
