"""Live commerce state: catalog, coupons, flash sales, giveaways, comments, run-of-show (no Qt)."""
from studio.live.session import LiveShow

__all__ = ["LiveShow"]
