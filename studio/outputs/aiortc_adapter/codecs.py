"""aiortc's codec table, extended so the studio can publish 1080p H.264.

* :func:`install_codecs` — H.264 entries that allow 1080p (Constrained Baseline level 4.2,
  and High 4.x so a server answering ``640028`` is accepted); :func:`uninstall_codecs`.
* :func:`codec_preferences` — what to pass to ``setCodecPreferences``.

Touches ``aiortc.codecs.CODECS`` (process-wide), hence its place in the adapter.
"""
from __future__ import annotations

import threading
from typing import Any

from aiortc import RTCRtpSender
from aiortc import codecs as aiortc_codecs
from aiortc import rtp as aiortc_rtp
from aiortc.rtcrtpparameters import RTCRtcpFeedback, RTCRtpCodecCapability, RTCRtpCodecParameters

from studio.outputs.clocks import VIDEO_CLOCK_RATE

# H.264 entries added by install_codecs(), in offer order.  aiortc matches an answer by
# profile only (not level), so Constrained Baseline 4.2 also accepts a 42e01f/42e028 answer;
# the High entries let a server answer 640028/640c28 (a Constrained Baseline stream is a
# valid High stream, so nothing changes on the wire).
H264_1080P_PROFILE_LEVEL_IDS: tuple[str, ...] = ("42e02a", "640c2a", "64002a")
H264_DEFAULT_PROFILE_LEVEL_ID = "42e01f"  # aiortc's own entry (level 3.1), offered after ours

_install_lock = threading.Lock()


def _h264_parameters(profile_level_id: str) -> dict[str, Any]:
    return {"level-asymmetry-allowed": "1", "packetization-mode": "1", "profile-level-id": profile_level_id}


def install_codecs() -> None:
    """Add H.264 entries allowing 1080p to aiortc's codec table (idempotent, process-wide).

    aiortc offers only level 3.1 (``42e01f``, 720p30 at most) and rejects an answer whose
    profile it lacks (e.g. ``640028``).  Each new entry gets a free dynamic payload type and
    an RTX companion like aiortc's own (RTX stays out of our offers: ``codec_preferences``).
    Upstream equivalent: more ``profile_level_id`` values in ``aiortc.codecs.init_codecs``.
    """
    with _install_lock:
        video = aiortc_codecs.CODECS["video"]
        present = {str(c.parameters.get("profile-level-id", "")).lower() for c in video if c.name.lower() == "h264"}
        used_pts = {c.payloadType for kind in aiortc_codecs.CODECS.values() for c in kind}
        free = (pt for pt in aiortc_rtp.DYNAMIC_PAYLOAD_TYPES if pt not in used_pts)
        template = next(c for c in video if c.name.lower() == "h264")
        for profile_level_id in H264_1080P_PROFILE_LEVEL_IDS:
            if profile_level_id in present:
                continue
            payload_type, rtx_payload_type = next(free), next(free)
            video.append(
                RTCRtpCodecParameters(
                    mimeType="video/H264",
                    clockRate=VIDEO_CLOCK_RATE,
                    payloadType=payload_type,
                    rtcpFeedback=[RTCRtcpFeedback(type=fb.type, parameter=fb.parameter) for fb in template.rtcpFeedback],
                    parameters=_h264_parameters(profile_level_id),
                )
            )
            video.append(
                RTCRtpCodecParameters(
                    mimeType="video/rtx",
                    clockRate=VIDEO_CLOCK_RATE,
                    payloadType=rtx_payload_type,
                    parameters={"apt": payload_type},
                )
            )


def uninstall_codecs() -> None:
    """Take the entries :func:`install_codecs` added out again (tests restore aiortc's table)."""
    with _install_lock:
        video = aiortc_codecs.CODECS["video"]
        ours = {
            c.payloadType
            for c in video
            if c.name.lower() == "h264" and str(c.parameters.get("profile-level-id", "")).lower() in H264_1080P_PROFILE_LEVEL_IDS
        }
        video[:] = [c for c in video if c.payloadType not in ours and c.parameters.get("apt") not in ours]


def codec_preferences(codec: str) -> list[RTCRtpCodecCapability]:
    """What to pass to ``setCodecPreferences`` for ``codec`` ("h264", "vp8", "opus"): the
    1080p H.264 entries first, then aiortc's level-3.1 entry; never RTX (it would need
    ``repaired-rtp-stream-id`` with simulcast)."""
    install_codecs()
    name = codec.lower()
    kind = "audio" if name == "opus" else "video"
    capabilities = RTCRtpSender.getCapabilities(kind).codecs
    if name == "h264":
        order = [*H264_1080P_PROFILE_LEVEL_IDS, H264_DEFAULT_PROFILE_LEVEL_ID]
        h264 = [c for c in capabilities if c.mimeType.lower() == "video/h264"]
        ranked = [c for pli in order for c in h264 if str(c.parameters.get("profile-level-id", "")).lower() == pli]
        if not ranked:
            raise ValueError("aiortc offers no H.264 entry")
        return ranked
    wanted = {"vp8": "video/vp8", "opus": "audio/opus"}.get(name)
    if wanted is None:
        raise ValueError(f"no RTP codec table entry for {codec!r}")
    chosen = [c for c in capabilities if c.mimeType.lower() == wanted]
    if not chosen:
        raise ValueError(f"aiortc offers no {codec} entry")
    return chosen


def h264_level_allows_1080p(profile_level_id: str) -> bool:
    """True when the profile-level-id's level is 4.0 or above (1080p30 fits in level 4.0)."""
    return int(profile_level_id[4:6], 16) >= 40


__all__ = [
    "H264_1080P_PROFILE_LEVEL_IDS",
    "H264_DEFAULT_PROFILE_LEVEL_ID",
    "codec_preferences",
    "h264_level_allows_1080p",
    "install_codecs",
    "uninstall_codecs",
]
