"""Platform connectors: the real audience's comments, viewers and orders in, replies out.

``connector_from_spec("youtube:BROADCAST_ID")`` builds one connector (credentials from the
environment or the secrets store); a :class:`~studio.connectors.hub.ConnectorHub` runs any
number of them, merges their events into one numbered, deduplicated stream and hands it to a
sink.  Qt-free; everything network runs on the hub's own asyncio loop thread.
"""
from __future__ import annotations

from typing import Any, Mapping

from studio.connectors.base import Action, Connector, ConnectorState, ConnectorStatus
from studio.connectors.credentials import Credentials, credentials_for
from studio.connectors.errors import ConnectorError
from studio.connectors.events import EventType, PlatformEvent
from studio.core.i18n import _

PLATFORMS = ("youtube", "twitch", "facebook", "shopee", "generic")

__all__ = ["Action", "Connector", "ConnectorError", "ConnectorState", "ConnectorStatus", "Credentials", "EventType",
           "PlatformEvent", "PLATFORMS", "connector_from_spec", "parse_spec"]


def parse_spec(spec: str) -> tuple[str, str]:
    """'youtube:abc' → ('youtube', 'abc'); a ConnectorError in words for anything else."""
    platform, sep, target = spec.partition(":")
    platform = platform.strip().lower()
    if not sep or platform not in PLATFORMS or not target.strip():
        raise ConnectorError(_("'{spec}' is not PLATFORM:ID (platforms: {platforms}; e.g. youtube:BROADCAST_ID, "
                               "twitch:CHANNEL, facebook:LIVE_VIDEO_ID, generic:NAME).").format(spec=spec, platforms=", ".join(PLATFORMS)))
    return platform, target.strip()


def connector_from_spec(spec: str, env: Mapping[str, str] | None = None, **options: Any) -> Connector:
    """The connector for ``spec`` with its credentials (env ``BRIDGECAST_<PLATFORM>_*`` or the secrets store)."""
    platform, target = parse_spec(spec)
    if platform == "youtube":
        from studio.connectors.youtube import YouTubeConnector

        return YouTubeConnector(target, credentials_for("youtube", env), **options)
    if platform == "twitch":
        from studio.connectors.twitch import TwitchConnector

        return TwitchConnector(target.lstrip("#").lower(), credentials_for("twitch", env), **options)
    if platform == "facebook":
        from studio.connectors.facebook import FacebookConnector

        return FacebookConnector(target, credentials_for("facebook", env), **options)
    if platform == "shopee":
        from studio.connectors.shopee import ShopeeConnector

        return ShopeeConnector(target, credentials_for("shopee", env), **options)
    from studio.connectors.generic import GenericConnector

    return GenericConnector(target, credentials_for(target, env), **options)
