"""RTMP(S) platform presets: where each platform takes a stream, and what it wants.

Each preset says which server to push to (or that the platform shows a per-account server URL
with the key), the highest video bitrate it takes, the picture it recommends (size and
orientation: the mobile-first platforms want 9:16) and the keyframe interval (2 s everywhere).
The stream key itself is never here: it lives in the secrets store.

Sources (the platforms' own pages, as published; figures change — the preset is a starting
point the host can override):
- YouTube: "Choose live encoder settings, bitrates, and resolutions" (support.google.com/youtube/
  answer/2853702): 1080p30 3–8 Mbit/s (H.264 recommended up to 10), keyframes ≤ 2 s recommended
  (≤ 4 s required), AAC; ingest rtmp://a.rtmp.youtube.com/live2, rtmps://a.rtmps.youtube.com/live2.
- Facebook: Live Video API reference (developers.facebook.com/docs/live-video-api/reference):
  RTMPS, 1080p30 3–6 Mbit/s (9 Mbit/s at most), keyframe 2 s (≤ 4 s), AAC-LC 48 kHz stereo;
  ingest rtmps://live-api-s.facebook.com:443/rtmp/.
- Instagram: Live Producer (about.instagram.com, "Instagram Live Producer"): 9:16 720×1280 at
  30 fps, 2.25–6 Mbit/s; the RTMPS URL and key come from instagram.com's "Go live" screen.
- Twitch: Broadcast requirements / Creator Camp "Broadcast recommendations": H.264 strict CBR,
  keyframe interval 2 s, AAC-LC; 6 Mbit/s on the standard path; ingest rtmp://live.twitch.tv/app.
- Kick: the stream URL shown in Kick's dashboard (Amazon IVS ingest,
  rtmps://fa723fc1b171.global-contribute.live-video.net/app), keyframe 2 s, up to 8 Mbit/s.
- TikTok LIVE, Shopee Live, Lazada LazLive: server URL and key are issued per stream by the
  platform's live tools (TikTok "LIVE Studio / Transfer to PC", Shopee Seller Centre live
  streaming, LazLive's streaming tool); vertical 9:16; we cap at 6 Mbit/s for 1080×1920.
"""
from __future__ import annotations

from dataclasses import dataclass

from studio.core.i18n import N_
from studio.golive.plan import CanvasRole

KEYFRAME_INTERVAL_S = 2.0


@dataclass(frozen=True)
class PlatformPreset:
    """One platform's ingest: ``server_url`` None means the platform shows a per-account URL."""

    id: str
    name: str
    server_url: str | None
    max_video_bitrate_bps: int
    width: int
    height: int
    hint: str  # where the host finds the URL/key, in words (translatable, N_-marked)
    keyframe_interval_s: float = KEYFRAME_INTERVAL_S
    audio_sample_rate_hz: int = 48_000

    @property
    def canvas(self) -> CanvasRole:
        """The canvas the platform's viewers expect (portrait platforms take the vertical one)."""
        return CanvasRole.VERTICAL if self.height > self.width else CanvasRole.HORIZONTAL

    @property
    def needs_server_url(self) -> bool:
        return self.server_url is None


PRESETS: tuple[PlatformPreset, ...] = (
    PlatformPreset("youtube", "YouTube", "rtmps://a.rtmps.youtube.com/live2", 8_000_000, 1920, 1080,
                   N_("YouTube Studio → Go live → Stream: copy the stream key.")),
    PlatformPreset("facebook", "Facebook", "rtmps://live-api-s.facebook.com:443/rtmp/", 6_000_000, 1920, 1080,
                   N_("Facebook → Live Producer → Streaming software: copy the stream key.")),
    PlatformPreset("instagram", "Instagram", None, 6_000_000, 720, 1280,
                   N_("instagram.com → Create → Live video: copy the stream URL and the stream key.")),
    PlatformPreset("twitch", "Twitch", "rtmp://live.twitch.tv/app", 6_000_000, 1920, 1080,
                   N_("Twitch Creator Dashboard → Settings → Stream: copy the primary stream key.")),
    PlatformPreset("kick", "Kick", "rtmps://fa723fc1b171.global-contribute.live-video.net/app", 8_000_000, 1920, 1080,
                   N_("Kick dashboard → Settings → Stream URL & Key.")),
    PlatformPreset("tiktok", "TikTok LIVE", None, 6_000_000, 1080, 1920,
                   N_("TikTok LIVE Studio or LIVE Center → stream with other software: copy the server URL and the stream key.")),
    PlatformPreset("shopee", "Shopee Live", None, 6_000_000, 1080, 1920,
                   N_("Shopee Seller Centre → Shopee Live → streaming software: copy the URL and the key.")),
    PlatformPreset("lazada", "Lazada LazLive", None, 6_000_000, 1080, 1920,
                   N_("Lazada Seller Center → LazLive → live with streaming software: copy the URL and the key.")),
    PlatformPreset("custom", "Custom RTMP(S)", None, 20_000_000, 1920, 1080,
                   N_("Any RTMP or RTMPS server: the URL and the stream key your server gives you.")),
)

_BY_ID = {preset.id: preset for preset in PRESETS}


def get_preset(preset_id: str) -> PlatformPreset:
    """The preset called ``preset_id``; unknown ids get the "Custom RTMP(S)" preset."""
    return _BY_ID.get(preset_id, _BY_ID["custom"])


def join_stream_url(server_url: str, stream_key: str) -> str:
    """The publish URL: the server URL with the key as its last path segment (as every platform
    and ``--rtmp URL`` expect)."""
    return server_url.rstrip("/") + "/" + stream_key.strip().lstrip("/")
