"""Transport-wide congestion control, send side: offer the extension, hear the feedback.

:func:`add_transport_cc_extmap` offers the header extension (aiortc offers only mid and
abs-send-time); every published layer stamps one shared sequence
(:class:`~studio.outputs.congestion.TransportCcTracker`); :func:`hook_transport_feedback`
hands the feedback aiortc would drop (it parses RTPFB fmt=15 as a NACK list) to a callback.
The hook wraps a private method of aiortc's DTLS transport, hence its place in the adapter.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from aiortc import rtp as aiortc_rtp
from aiortc.rtcdtlstransport import RTCDtlsTransport

from studio.outputs.aiortc_adapter.internals import DTLS_RTCP_DATA_METHOD
from studio.outputs.transport_feedback import RTCP_RTPFB_TRANSPORT_CC, TRANSPORT_CC_URI

log = logging.getLogger(__name__)


def add_transport_cc_extmap(offer_sdp: str) -> tuple[str, int]:
    """Offer the transport-cc header extension in the video m-section (a free id, or the one
    already there); returns the SDP and the id.  aiortc offers only mid and abs-send-time."""
    newline = "\r\n" if "\r\n" in offer_sdp else "\n"
    lines = offer_sdp.split(newline)
    used: set[int] = set()
    for line in lines:
        if line.startswith("a=extmap:"):
            head, _, uri = line[len("a=extmap:"):].partition(" ")
            ext_id = int(head.split("/")[0])
            if uri.strip() == TRANSPORT_CC_URI:
                return offer_sdp, ext_id
            used.add(ext_id)
    ext_id = next(i for i in range(1, 15) if i not in used)
    out: list[str] = []
    in_video = False
    inserted = False
    for index, line in enumerate(lines):
        if line.startswith("m="):
            in_video = line.startswith("m=video")
        out.append(line)
        if in_video and not inserted and line.startswith("a=extmap:"):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if not following.startswith("a=extmap:"):
                out.append(f"a=extmap:{ext_id} {TRANSPORT_CC_URI}")
                inserted = True
    if not inserted:
        raise ValueError("the offer has no video m-section with header extensions")
    return newline.join(out), ext_id


def transport_cc_fcis(data: bytes) -> list[bytes]:
    """The FCI of every transport-cc feedback message in a compound RTCP packet."""
    found = []
    pos = 0
    while pos + 4 <= len(data):
        first, packet_type, words = data[pos], data[pos + 1], int.from_bytes(data[pos + 2:pos + 4], "big")
        end = pos + (words + 1) * 4
        if first >> 6 != 2 or end > len(data):
            break
        if packet_type == aiortc_rtp.RTCP_RTPFB and first & 0x1F == RTCP_RTPFB_TRANSPORT_CC and end - pos > 12:
            padding = data[end - 1] if first & 0x20 else 0
            found.append(data[pos + 12:end - padding])
        pos = end
    return found


def hook_transport_feedback(transport: RTCDtlsTransport, callback: Callable[[bytes], Any]) -> None:
    """Hand the FCI of each transport-cc feedback the transport receives to ``callback``
    (aiortc parses RTPFB fmt=15 as a NACK list and drops the contents).  Idempotent."""
    original = getattr(transport, DTLS_RTCP_DATA_METHOD)
    if getattr(original, "_bridgecast_transport_cc", False):
        return

    async def handle_rtcp_data(data: bytes) -> None:
        try:
            for fci in transport_cc_fcis(data):
                callback(fci)
        except Exception:  # feedback trouble must not stop RTCP handling (PLI, NACK …)
            log.exception("transport-cc feedback handling failed")
        await original(data)

    handle_rtcp_data._bridgecast_transport_cc = True  # type: ignore[attr-defined]
    setattr(transport, DTLS_RTCP_DATA_METHOD, handle_rtcp_data)



__all__ = ["add_transport_cc_extmap", "hook_transport_feedback", "transport_cc_fcis"]
