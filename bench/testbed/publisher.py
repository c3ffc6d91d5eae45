"""Minimal WHIP publishers built on plain aiortc, for tests of the SFU test bed itself.

They are test peers, not the product's publisher.  Run them inside a :class:`NetnsLoop`
(``loop.run(whip_publish(url, ColourTrack()))``) so their sockets live in the namespace.

* :func:`whip_publish` — one video track, non-trickle offer, ``POST`` + ``201``.
* :func:`whip_publish_simulcast` — rid-based simulcast with aiortc, which has none of its own:
  one extra ``RTCRtpSender`` per layer on the transceiver's DTLS transport, each stamping its
  ``rtp-stream-id``, and ``a=rid``/``a=simulcast`` lines munged into the offer.  RTX is left out
  (it would need ``repaired-rtp-stream-id``).
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack
from aiortc import rtp as aiortc_rtp
from av import VideoFrame

from bench.testbed.harness import HttpResponse, http_request

RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"


class ColourTrack(VideoStreamTrack):
    """30 fps ``width``×``height`` frames of one RGB colour (converted to I420 once)."""

    def __init__(self, width: int = 640, height: int = 360, rgb: tuple[int, int, int] = (200, 40, 90)) -> None:
        super().__init__()
        self.width, self.height, self.rgb = width, height, rgb
        image = np.empty((height, width, 3), np.uint8)
        image[:] = rgb
        self._yuv = VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p").to_ndarray()

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(self._yuv, format="yuv420p")
        frame.pts = pts
        frame.time_base = time_base
        return frame


def _codecs(mime: str) -> list:
    return [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType.lower() == mime.lower()]


@dataclass
class WhipSession:
    pc: RTCPeerConnection
    response: HttpResponse
    resource_url: str | None
    offer_sdp: str
    extra_senders: list[RTCRtpSender] = field(default_factory=list)

    async def delete(self, token: str | None = None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if self.resource_url is None:
            return 0
        return (await http_request("DELETE", self.resource_url, headers=headers)).status

    async def close(self) -> None:
        for sender in self.extra_senders:
            await sender.stop()
        await self.pc.close()


def _resource_url(url: str, resp: HttpResponse) -> str | None:
    import urllib.parse

    location = resp.header("location")
    return urllib.parse.urljoin(url, location) if location else None


async def whip_publish(url: str, track: VideoStreamTrack, codec: str = "video/H264",
                       token: str | None = None) -> WhipSession:
    """POST a non-trickle offer with one send-only video track; apply the answer on 201."""
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver(track, direction="sendonly")
    transceiver.setCodecPreferences(_codecs(codec))
    await pc.setLocalDescription(await pc.createOffer())
    headers = {"Content-Type": "application/sdp"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    sdp = pc.localDescription.sdp
    resp = await http_request("POST", url, body=sdp, headers=headers)
    if resp.status == 201:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=resp.text, type="answer"))
    return WhipSession(pc, resp, _resource_url(url, resp), sdp)


# ---------------------------------------------------------------------------------------------
class _RidExtensionsMap(aiortc_rtp.HeaderExtensionsMap):
    """aiortc's header-extension map plus ``rtp-stream-id`` = ``rid`` on every packet."""

    def __init__(self, parameters: Any, rid: str, rid_ext_id: int) -> None:
        super().__init__()
        self.configure(parameters)
        self._HeaderExtensionsMap__ids.rtp_stream_id = rid_ext_id  # type: ignore[attr-defined]
        self.rid = rid

    def set(self, values: aiortc_rtp.HeaderExtensions) -> tuple[int, bytes]:
        values.rtp_stream_id = self.rid
        return super().set(values)


def _munge_simulcast(sdp: str, rids: list[str]) -> tuple[str, int]:
    """Add the rid extmap, ``a=rid:X send`` and ``a=simulcast:send …`` to the video section and
    drop its ``a=ssrc``/``a=ssrc-group`` lines (layers are told apart by rid)."""
    used = {int(m) for m in re.findall(r"^a=extmap:(\d+)", sdp, re.M)}
    rid_id = next(i for i in range(1, 15) if i not in used)
    out: list[str] = []
    in_video = False
    for line in sdp.split("\r\n"):
        if line.startswith("m="):
            in_video = line.startswith("m=video")
        if in_video and (line.startswith("a=ssrc:") or line.startswith("a=ssrc-group:")):
            continue
        out.append(line)
        if in_video and line.startswith("a=mid:"):
            out.append(f"a=extmap:{rid_id} {RID_URI}")
    # rid/simulcast lines go at the end of the video section.
    text = "\r\n".join(out)
    video_start = text.index("m=video")
    next_m = text.find("\r\nm=", video_start + 1)
    insert_at = next_m if next_m != -1 else len(text.rstrip("\r\n"))
    extra = "".join(f"\r\na=rid:{rid} send" for rid in rids) + f"\r\na=simulcast:send {';'.join(rids)}"
    text = text[:insert_at] + extra + text[insert_at:]
    if not text.endswith("\r\n"):
        text += "\r\n"
    return text, rid_id


async def whip_publish_simulcast(url: str, layers: dict[str, VideoStreamTrack], codec: str = "video/H264",
                                 token: str | None = None) -> WhipSession:
    """Publish simulcast over WHIP: ``layers`` maps rid -> track, highest quality first
    (e.g. ``{"h": 640x360, "m": 320x180, "l": 160x90}``)."""
    rids = list(layers)
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver(layers[rids[0]], direction="sendonly")
    transceiver.setCodecPreferences(_codecs(codec))  # no RTX
    main = transceiver.sender
    extra = [(rid, RTCRtpSender(layers[rid], main.transport)) for rid in rids[1:]]
    await pc.setLocalDescription(await pc.createOffer())
    offer, rid_ext_id = _munge_simulcast(pc.localDescription.sdp, rids)

    original_send = main.send

    async def send_all_layers(parameters: Any) -> None:
        # Called by aiortc once DTLS is up.  The RTP task starts on the next loop turn, so the
        # rid-stamping map is in place before the first packet.
        await original_send(parameters)
        main._RTCRtpSender__rtp_header_extensions_map = _RidExtensionsMap(parameters, rids[0], rid_ext_id)
        for rid, sender in extra:
            await sender.send(parameters)
            sender._RTCRtpSender__rtp_header_extensions_map = _RidExtensionsMap(parameters, rid, rid_ext_id)

    main.send = send_all_layers  # type: ignore[method-assign]

    headers = {"Content-Type": "application/sdp"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    resp = await http_request("POST", url, body=offer, headers=headers)
    if resp.status == 201:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=resp.text, type="answer"))
    return WhipSession(pc, resp, _resource_url(url, resp), offer, [s for _, s in extra])


async def wait_connected(pc: RTCPeerConnection, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while pc.connectionState != "connected":
            if pc.connectionState in ("failed", "closed"):
                raise ConnectionError(f"peer connection {pc.connectionState}")
            await asyncio.sleep(0.02)
