"""Receiving side of the aiortc adapter: rid-based simulcast receive and loopback ICE.

aiortc 1.16 receives exactly one RTP stream per transceiver: every packet of a video m-line goes
through one jitter buffer into one decoder, so three simulcast layers would be mixed into one
broken picture.  It also answers without ``a=rid``/``a=simulcast`` and without the
``rtp-stream-id`` header extension, and only accepts H.264 profile-level-ids from its own table
(level 3.1).  This module is the *only* place on the receiving side that reaches into aiortc or
aioice internals; :func:`check_internals` asserts each one still exists.

* :func:`prepare_offer` / :func:`apply_offer_plan` / :func:`finish_answer` — negotiate rid-based
  simulcast (RFC 8853) and pick one video codec (H.264 of any profile/level with
  packetization-mode 1, or VP8) plus Opus, around aiortc's own SDP handling.
* :class:`SimulcastReceiver` — takes over one aiortc ``RTCRtpReceiver``'s RTP path and
  demultiplexes by ``rtp-stream-id`` (then by the SSRC it learned), an SSRC-group SIM, or treats
  everything as one layer; each layer gets its own aiortc jitter buffer, depayloader and decoder
  (on its own thread), NACKs, rate-limited PLIs, and receiver reports through aiortc's RTCP loop.
* :func:`loopback_candidates` — an opt-in context in which aioice also gathers 127.0.0.1 host
  candidates (it always leaves them out), so a publisher and the rehearsal receiver on a machine
  with no network at all can still connect.  Other connections are unaffected.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol

import aioice.ice
import av
from aiortc import RTCPeerConnection, RTCRtpReceiver
from aiortc import sdp as aiortc_sdp
from aiortc.codecs import depayload, get_decoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcpeerconnection import RTCPeerConnection as _PeerConnectionClass
from aiortc.rtcrtpparameters import RTCRtcpFeedback, RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters
from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.rtp import RtpPacket

log = logging.getLogger(__name__)

RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
LOOPBACK_IPV4 = "127.0.0.1"
#: The name of the one layer of a publish without simulcast (matches ``--layers h``).
SINGLE_LAYER_RID = "h"
AUDIO_LAYER = "audio"
#: aiortc's H.264 table only holds level 3.1 entries; the offer aiortc sees is rewritten to one.
_AIORTC_H264_PROFILE_LEVEL_ID = "42e01f"
_VIDEO_CLOCK_RATE = 90000
_VIDEO_QUEUE_FRAMES = 30
_AUDIO_QUEUE_FRAMES = 50
#: At most one keyframe request per layer in this interval (SFUs learned this the hard way).
KEYFRAME_REQUEST_INTERVAL_S = 0.5
_JITTER_CAPACITY = 512


class OfferError(ValueError):
    """The offer cannot be received: ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class InternalsChangedError(AssertionError):
    """An aiortc/aioice internal this adapter relies on is gone or changed shape."""


# ---------------------------------------------------------------------------------------------
# Loopback ICE candidates (opt-in)
# ---------------------------------------------------------------------------------------------
_include_loopback: contextvars.ContextVar[bool] = contextvars.ContextVar("bridgecast_ice_loopback", default=False)
_original_get_host_addresses: Callable[[bool, bool], list[str]] | None = None
_hook_lock = threading.Lock()


def _get_host_addresses_with_loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    assert _original_get_host_addresses is not None
    addresses = _original_get_host_addresses(use_ipv4, use_ipv6)
    if use_ipv4 and _include_loopback.get() and LOOPBACK_IPV4 not in addresses:
        addresses.append(LOOPBACK_IPV4)
    return addresses


def _install_loopback_hook() -> None:
    """Wrap ``aioice.ice.get_host_addresses`` once; the wrapper is the identity unless the
    calling context opted in, so connections outside :func:`loopback_candidates` see no change.

    Upstream shape: ``aioice.Connection(..., include_loopback=False)`` passed on to
    ``get_host_addresses(use_ipv4, use_ipv6, include_loopback)``, and an aiortc
    ``RTCConfiguration`` field forwarding it.  Until then this context does the same.
    """
    global _original_get_host_addresses
    with _hook_lock:
        if _original_get_host_addresses is None:
            _original_get_host_addresses = aioice.ice.get_host_addresses
            aioice.ice.get_host_addresses = _get_host_addresses_with_loopback  # type: ignore[assignment]


@contextlib.contextmanager
def loopback_candidates(enabled: bool = True) -> Iterator[None]:
    """Within this context (and tasks started from it) aioice also gathers 127.0.0.1.

    Gathering happens in ``RTCPeerConnection.setLocalDescription``; wrap that call (or the whole
    publish coroutine) for both peers when they share one machine that may have no network::

        with loopback_candidates():
            await pc.setLocalDescription(await pc.createOffer())
    """
    if not enabled:
        yield
        return
    _install_loopback_hook()
    token = _include_loopback.set(True)
    try:
        yield
    finally:
        _include_loopback.reset(token)


def loopback_enabled() -> bool:
    """True inside :func:`loopback_candidates`."""
    return _include_loopback.get()


# ---------------------------------------------------------------------------------------------
# Internals check
# ---------------------------------------------------------------------------------------------
def _names(function: Any) -> set[str]:
    code = getattr(function, "__code__", None)
    return set(code.co_names) if code is not None else set()


def check_internals() -> None:
    """Raise :class:`InternalsChangedError` naming every aiortc/aioice internal that is missing.

    Run by the test suite so an aiortc/aioice upgrade fails loudly, not at a user's rehearsal.
    """
    problems: list[str] = []

    def need(condition: bool, what: str) -> None:
        if not condition:
            problems.append(what)

    # aioice: host address gathering goes through the module-level function we wrap.
    need(callable(getattr(aioice.ice, "get_host_addresses", None)), "aioice.ice.get_host_addresses")
    need("get_host_addresses" in _names(aioice.ice.Connection.gather_candidates),
         "aioice Connection.gather_candidates calls get_host_addresses")
    # The DTLS transport hands packets to receiver._handle_rtp_packet (we replace it per receiver).
    need("_handle_rtp_packet" in _names(RTCDtlsTransport._handle_rtp_data),
         "RTCDtlsTransport._handle_rtp_data -> receiver._handle_rtp_packet")
    for name in ("_handle_rtp_packet", "_send_rtcp_pli", "_send_rtcp_nack", "_run_rtcp"):
        need(callable(getattr(RTCRtpReceiver, name, None)), f"RTCRtpReceiver.{name}")
    need("_RTCRtpReceiver__remote_streams" in _names(RTCRtpReceiver.__init__)
         and "_RTCRtpReceiver__remote_streams" in _names(RTCRtpReceiver._run_rtcp),
         "RTCRtpReceiver.__remote_streams feeds receiver reports")
    # Answers and receive parameters are built from these transceiver fields.
    need({"_codecs", "_headerExtensions"} <= _names(RTCRtpTransceiver.__init__),
         "RTCRtpTransceiver._codecs/_headerExtensions")
    remote_rtp = getattr(_PeerConnectionClass, "_RTCPeerConnection__remoteRtp", None)
    need(remote_rtp is not None and {"_codecs", "_headerExtensions"} <= _names(remote_rtp),
         "RTCPeerConnection.__remoteRtp uses transceiver._codecs/_headerExtensions")
    # Jitter buffer internals our frame-on-marker subclass reads.
    try:
        buffer = JitterBuffer(capacity=16, is_video=True)
        for name in ("_origin", "_packets", "_capacity", "remove", "_remove_frame"):
            need(hasattr(buffer, name), f"JitterBuffer.{name}")
        need(JitterFrame(data=b"", timestamp=0).timestamp == 0, "JitterFrame(data, timestamp)")
    except Exception as exc:  # noqa: BLE001 - report, don't crash the check
        problems.append(f"JitterBuffer construction ({exc})")
    try:
        statistics = StreamStatistics(_VIDEO_CLOCK_RATE)
        for name in ("add", "packets_received", "max_seq", "fraction_lost", "packets_lost", "jitter"):
            need(hasattr(type(statistics), name) or hasattr(statistics, name), f"StreamStatistics.{name}")
        generator = NackGenerator()
        need(hasattr(generator, "add") and hasattr(generator, "missing"), "NackGenerator.add/missing")
    except Exception as exc:  # noqa: BLE001
        problems.append(f"StreamStatistics/NackGenerator construction ({exc})")
    need(hasattr(RtpPacket(), "extensions") and hasattr(RtpPacket().extensions, "rtp_stream_id"),
         "RtpPacket.extensions.rtp_stream_id")
    need(callable(getattr(aiortc_sdp.SessionDescription, "parse", None)), "aiortc.sdp.SessionDescription.parse")
    if problems:
        raise InternalsChangedError("aiortc/aioice internals changed: " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------
# SDP: offer plan, answer additions
# ---------------------------------------------------------------------------------------------
@dataclass
class MediaPlan:
    """What we accept from one offered m-line."""

    mid: str
    kind: str
    codec: RTCRtpCodecParameters | None  # the one codec we receive (None: nothing usable)
    rids: list[str] = field(default_factory=list)  # rid-based simulcast layers, offer order
    paused_rids: set[str] = field(default_factory=set)  # "~h" in a=simulcast
    rid_extension_id: int | None = None
    sim_ssrcs: list[int] = field(default_factory=list)  # SSRC-group SIM, offer order

    @property
    def layer_names(self) -> list[str]:
        """The names we report layers under."""
        if self.kind == "audio":
            return [AUDIO_LAYER]
        if self.rids:
            return list(self.rids)
        if self.sim_ssrcs:
            return sim_layer_names(len(self.sim_ssrcs))
        return [SINGLE_LAYER_RID]


@dataclass
class OfferPlan:
    """Result of :func:`prepare_offer`: the offer aiortc can digest plus what to restore."""

    aiortc_sdp: str
    media: list[MediaPlan]

    def media_for(self, mid: str | None) -> MediaPlan | None:
        return next((m for m in self.media if m.mid == mid), None)

    @property
    def video(self) -> MediaPlan | None:
        return next((m for m in self.media if m.kind == "video" and m.codec is not None), None)

    @property
    def audio(self) -> MediaPlan | None:
        return next((m for m in self.media if m.kind == "audio" and m.codec is not None), None)


def sim_layer_names(count: int) -> list[str]:
    """Names for SSRC-group SIM layers, listed lowest quality first (libwebrtc/Janus order)."""
    if count == 1:
        return [SINGLE_LAYER_RID]
    if count == 2:
        return ["l", "h"]
    if count == 3:
        return ["l", "m", "h"]
    return [f"s{i}" for i in range(count)]


def _split_sections(sdp: str) -> list[list[str]]:
    lines = [line for line in sdp.replace("\r\n", "\n").split("\n") if line]
    sections: list[list[str]] = [[]]
    for line in lines:
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    return sections


def _join_sections(sections: list[list[str]]) -> str:
    return "\r\n".join(line for section in sections for line in section) + "\r\n"


def _parse_simulcast(value: str) -> tuple[list[str], set[str]]:
    """``send h;~m;l`` (alternatives with ``,``) -> (["h", "m", "l"], {"m"})."""
    parts = value.split()
    if len(parts) < 2 or parts[0] != "send":
        return [], set()
    rids: list[str] = []
    paused: set[str] = set()
    for stream in parts[1].split(";"):
        first = stream.split(",")[0].strip()  # one rid per stream; alternatives are not used
        if not first:
            continue
        name = first.lstrip("~")
        if first.startswith("~"):
            paused.add(name)
        rids.append(name)
    return rids, paused


def _acceptable_video(codec: RTCRtpCodecParameters) -> bool:
    name = codec.name.lower()
    if name == "vp8":
        return True
    if name == "h264":
        # Any profile/level decodes with FFmpeg; non-interleaved packetization is what we depayload.
        return str(codec.parameters.get("packetization-mode", "0")) == "1"
    return False


def _feedback(codec: RTCRtpCodecParameters) -> list[RTCRtcpFeedback]:
    wanted = [RTCRtcpFeedback(type="nack"), RTCRtcpFeedback(type="nack", parameter="pli")]
    return [fb for fb in wanted if fb in codec.rtcpFeedback]


def prepare_offer(offer_sdp: str) -> OfferPlan:
    """Plan the answer to a WHIP offer and rewrite the offer so aiortc accepts it.

    For each video m-line the first offered codec we can receive is kept (H.264 of any
    profile/level with packetization-mode 1, or VP8; no RTX, as ``repaired-rtp-stream-id`` is not
    handled), and the rids of ``a=simulcast:send`` are collected.  Audio keeps Opus only.
    Raises :class:`OfferError` for SDP that is not an offer we can use.
    """
    if "m=" not in offer_sdp or not offer_sdp.lstrip().startswith("v="):
        raise OfferError("not an SDP offer", 400)
    try:
        description = aiortc_sdp.SessionDescription.parse(offer_sdp)
    except Exception as exc:  # aiortc's parser raises assorted errors on garbage
        raise OfferError(f"malformed SDP offer ({exc})", 400) from exc
    sections = _split_sections(offer_sdp)
    media_sections = sections[1:]
    if len(media_sections) != len(description.media):
        raise OfferError("malformed SDP offer (m-line count)", 400)
    plans: list[MediaPlan] = []
    for media, lines in zip(description.media, media_sections):
        mid = media.rtp.muxId
        if media.kind not in ("audio", "video"):
            plans.append(MediaPlan(mid=mid, kind=media.kind, codec=None))
            continue
        if media.kind == "audio":
            codec = next((c for c in media.rtp.codecs if c.name.lower() == "opus"), None)
        else:
            codec = next((c for c in media.rtp.codecs if _acceptable_video(c)), None)
        plan = MediaPlan(mid=mid, kind=media.kind, codec=None)
        if codec is not None:
            plan.codec = RTCRtpCodecParameters(
                mimeType=codec.mimeType,
                clockRate=codec.clockRate,
                channels=codec.channels,
                payloadType=codec.payloadType,
                rtcpFeedback=_feedback(codec),
                parameters=dict(codec.parameters),
            )
        if media.kind == "video":
            for line in lines:
                if line.startswith("a=simulcast:"):
                    plan.rids, plan.paused_rids = _parse_simulcast(line[len("a=simulcast:"):])
            if not plan.rids:  # a=rid lines without a=simulcast: take them in order
                plan.rids = [m.group(1) for line in lines if (m := re.match(r"a=rid:(\S+)\s+send\b", line))]
            plan.rid_extension_id = next((x.id for x in media.rtp.headerExtensions if x.uri == RID_URI), None)
            sim = next((g for g in media.ssrc_group if g.semantic == "SIM"), None)
            if sim is not None and not plan.rids:
                plan.sim_ssrcs = [int(s) for s in sim.items]
        plans.append(plan)
        if plan.codec is not None:
            _rewrite_section_for_aiortc(lines, plan.codec)
    if not any(p.kind == "video" and p.codec is not None for p in plans) and not any(
        p.kind == "audio" and p.codec is not None for p in plans
    ):
        raise OfferError("no codec we can receive (need H.264 packetization-mode 1, VP8 or Opus)", 422)
    if not any(m.ice_candidates for m in description.media):
        # Without trickle ICE (PATCH) such an offer can never connect; say so now rather than
        # after a connect time-out.  On one machine with no network, the publisher must gather
        # loopback candidates (loopback_candidates()).
        raise OfferError("the offer has no ICE candidates (trickle ICE is not supported)", 422)
    return OfferPlan(aiortc_sdp=_join_sections(sections), media=plans)


def _rewrite_section_for_aiortc(lines: list[str], codec: RTCRtpCodecParameters) -> None:
    """Keep only ``codec``'s payload type in this m-section; H.264 gets a profile-level-id from
    aiortc's table (the real one is put back with :func:`apply_offer_plan`)."""
    pt = str(codec.payloadType)
    head = lines[0].split()
    lines[0] = " ".join(head[:3] + [pt])
    kept: list[str] = []
    for line in lines[1:]:
        match = re.match(r"a=(rtpmap|fmtp|rtcp-fb):(\d+|\*)[ ]?", line)
        if match and match.group(2) not in (pt, "*"):
            continue
        if line.startswith(("a=rid:", "a=simulcast:")):
            continue
        if match and match.group(1) == "fmtp" and codec.name.lower() == "h264":
            line = re.sub(r"profile-level-id=[0-9a-fA-F]{6}", f"profile-level-id={_AIORTC_H264_PROFILE_LEVEL_ID}", line)
        kept.append(line)
    lines[1:] = kept


def apply_offer_plan(pc: RTCPeerConnection, plan: OfferPlan) -> None:
    """After ``setRemoteDescription(plan.aiortc_sdp)``: restore the offered codec parameters
    (answers echo the real profile-level-id) and accept the ``rtp-stream-id`` extension."""
    for transceiver in pc.getTransceivers():
        media = plan.media_for(transceiver.mid)
        if media is None or media.codec is None:
            continue
        transceiver._codecs = [media.codec]
        if media.kind == "video" and media.rid_extension_id is not None and media.rids:
            if not any(x.uri == RID_URI for x in transceiver._headerExtensions):
                transceiver._headerExtensions.append(
                    RTCRtpHeaderExtensionParameters(id=media.rid_extension_id, uri=RID_URI)
                )


def finish_answer(answer_sdp: str, plan: OfferPlan) -> str:
    """Add ``a=rid:X recv`` and ``a=simulcast:recv …`` to each simulcast video m-section."""
    sections = _split_sections(answer_sdp)
    for lines in sections[1:]:
        mid = next((line[len("a=mid:"):] for line in lines if line.startswith("a=mid:")), None)
        media = plan.media_for(mid)
        if media is None or media.kind != "video" or not media.rids or media.codec is None:
            continue
        streams = ";".join(("~" if rid in media.paused_rids else "") + rid for rid in media.rids)
        lines.extend(f"a=rid:{rid} recv" for rid in media.rids)
        lines.append(f"a=simulcast:recv {streams}")
    return _join_sections(sections)


# ---------------------------------------------------------------------------------------------
# Encoded frames
# ---------------------------------------------------------------------------------------------
@dataclass
class EncodedFrame:
    """One assembled, depayloaded frame of one layer (H.264 Annex-B, VP8 frame, Opus packet)."""

    layer: str
    kind: str
    codec_name: str  # "H264", "VP8", "opus"
    data: bytes
    rtp_timestamp: int  # unwrapped (monotonic across the 32-bit wrap), in clock_rate units
    clock_rate: int
    is_keyframe: bool
    arrival_wall_ms: float  # wall clock when its last packet arrived
    ssrc: int


def h264_nal_types(data: bytes) -> set[int]:
    """NAL unit types in an Annex-B access unit."""
    types: set[int] = set()
    index = data.find(b"\x00\x00\x01")
    while index != -1 and index + 3 < len(data):
        types.add(data[index + 3] & 0x1F)
        index = data.find(b"\x00\x00\x01", index + 3)
    return types


def is_keyframe(codec_name: str, data: bytes) -> bool:
    """IDR for H.264 (Annex-B), key frame bit for VP8, every Opus packet."""
    name = codec_name.lower()
    if name == "h264":
        return 5 in h264_nal_types(data)
    if name == "vp8":
        return bool(data) and not data[0] & 0x01
    return True


class _FrameJitterBuffer(JitterBuffer):
    """aiortc's jitter buffer, but a frame leaves as soon as its marker-bit packet is in.

    aiortc only releases a frame when the first packet of the *next* frame arrives, which holds
    every picture back one frame interval (~33 ms at 30 fps) — a rehearsal that reports latency
    must not add that.  Frames whose marker got lost still leave on the timestamp change.
    """

    def pop_frames(self, packet: RtpPacket) -> tuple[bool, list[JitterFrame]]:
        request_keyframe, frame = self.add(packet)
        frames: list[JitterFrame] = []
        while frame is not None:
            frames.append(frame)
            frame = self._remove_frame(packet.sequence_number)
        return request_keyframe, frames

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        if self._origin is None:
            return None
        packets: list[RtpPacket] = []
        timestamp: int | None = None
        for count in range(self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None:
                return None
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                self.remove(count)
                return JitterFrame(data=b"".join(p._data for p in packets), timestamp=timestamp)  # type: ignore[attr-defined]
            packets.append(packet)
            if packet.marker:
                self.remove(count + 1)
                return JitterFrame(data=b"".join(p._data for p in packets), timestamp=timestamp)  # type: ignore[attr-defined]
        return None


class _TimestampUnwrapper:
    def __init__(self) -> None:
        self._last: int | None = None
        self._offset = 0

    def unwrap(self, timestamp: int) -> int:
        if self._last is not None:
            delta = (timestamp - self._last) & 0xFFFFFFFF
            if delta < 0x80000000:
                if timestamp < self._last:
                    self._offset += 1 << 32
            elif timestamp > self._last:  # an older frame from before a wrap
                return timestamp + self._offset - (1 << 32)
        self._last = timestamp
        return timestamp + self._offset


# ---------------------------------------------------------------------------------------------
# Per-layer receive pipeline
# ---------------------------------------------------------------------------------------------
class FrameSink(Protocol):
    """Gets every decoded frame, on the layer's decoder thread (keep it short)."""

    def on_decoded(self, layer: "ReceivedLayer", encoded: EncodedFrame, frames: list[av.VideoFrame | av.AudioFrame],
                   decoded_wall_ms: float) -> None: ...


class ReceivedLayer:
    """One received layer (a rid, a SIM SSRC, the single layer, or the audio stream).

    Counters are written by the asyncio loop thread (packets) and the decoder thread (frames);
    readers on other threads get plain ints.
    """

    def __init__(self, owner: "SimulcastReceiver", name: str, kind: str, codec: RTCRtpCodecParameters) -> None:
        self.name = name
        self.kind = kind
        self.codec = codec
        self.ssrc: int | None = None
        self.packets_received = 0
        self.bytes_received = 0  # RTP payload bytes
        self.frames_assembled = 0
        self.frames_decoded = 0
        self.frames_dropped = 0  # decoder queue full or waiting for a keyframe
        self.decode_errors = 0
        self.keyframe_requests = 0
        self._owner = owner
        self._jitter = _FrameJitterBuffer(capacity=_JITTER_CAPACITY, is_video=True) if kind == "video" else None
        self._nack = NackGenerator() if kind == "video" else None
        self._unwrapper = _TimestampUnwrapper()
        self._last_audio_seq: int | None = None
        self._last_keyframe_request = -1e9
        self._decode_failed = threading.Event()
        self._queue: queue.Queue[EncodedFrame | None] = queue.Queue(
            maxsize=_VIDEO_QUEUE_FRAMES if kind == "video" else _AUDIO_QUEUE_FRAMES
        )
        self._waiting_for_keyframe = kind == "video"
        self._thread = threading.Thread(
            target=self._decode_loop, name=f"{owner.thread_prefix}-{kind}-{name}", daemon=True
        )
        self._thread.start()

    # -- loop thread --------------------------------------------------------------------------
    def _new_ssrc(self, ssrc: int) -> None:
        self.ssrc = ssrc
        if self.kind == "video":
            self._jitter = _FrameJitterBuffer(capacity=_JITTER_CAPACITY, is_video=True)
            self._nack = NackGenerator()
        self._last_audio_seq = None

    async def handle_packet(self, packet: RtpPacket) -> None:
        if packet.ssrc != self.ssrc:
            self._new_ssrc(packet.ssrc)
        self.packets_received += 1
        self.bytes_received += len(packet.payload)
        if self.kind == "audio":
            seq = packet.sequence_number
            if self._last_audio_seq is not None and ((seq - self._last_audio_seq) & 0xFFFF) >= 0x8000:
                return  # late or duplicate: Opus packets are self-contained, skipping one is fine
            self._last_audio_seq = seq
            if packet.payload:
                self._submit(packet.payload, packet.timestamp, packet.ssrc, key=True)
            return
        assert self._jitter is not None and self._nack is not None
        if self._nack.add(packet):
            await self._owner.send_nack(packet.ssrc, sorted(self._nack.missing))
        try:
            packet._data = depayload(self.codec, packet.payload) if packet.payload else b""  # type: ignore[attr-defined]
        except ValueError as exc:
            log.debug("layer %s: RTP payload parsing failed: %s", self.name, exc)
            return
        request_keyframe, frames = self._jitter.pop_frames(packet)
        for frame in frames:
            self._submit(frame.data, frame.timestamp, packet.ssrc, key=is_keyframe(self.codec.name, frame.data))
        if self._decode_failed.is_set():
            self._decode_failed.clear()
            request_keyframe = True
        if request_keyframe:
            await self.request_keyframe()

    def _submit(self, data: bytes, timestamp: int, ssrc: int, key: bool) -> None:
        self.frames_assembled += 1
        encoded = EncodedFrame(
            layer=self.name, kind=self.kind, codec_name=self.codec.name, data=data,
            rtp_timestamp=self._unwrapper.unwrap(timestamp), clock_rate=self.codec.clockRate,
            is_keyframe=key, arrival_wall_ms=time.time() * 1000.0, ssrc=ssrc,
        )
        try:
            self._queue.put_nowait(encoded)
        except queue.Full:
            # A decoder that fell behind: drop, and restart the reference chain at a keyframe.
            self.frames_dropped += 1
            if self.kind == "video":
                self._waiting_for_keyframe = True
                self._decode_failed.set()

    async def request_keyframe(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.kind != "video" or self.ssrc is None:
            return
        if not force and now - self._last_keyframe_request < KEYFRAME_REQUEST_INTERVAL_S:
            return
        self._last_keyframe_request = now
        self.keyframe_requests += 1
        await self._owner.send_pli(self.ssrc)

    # -- decoder thread -----------------------------------------------------------------------
    def _decode_loop(self) -> None:
        decoder = get_decoder(self.codec)
        sink = self._owner.sink
        while True:
            encoded = self._queue.get()
            if encoded is None:
                break
            if self._waiting_for_keyframe:
                if not encoded.is_keyframe:
                    self.frames_dropped += 1
                    self._decode_failed.set()  # ask for one (rate-limited on the loop side)
                    continue
                self._waiting_for_keyframe = False
            try:
                frames = decoder.decode(JitterFrame(data=encoded.data, timestamp=encoded.rtp_timestamp))
            except av.FFmpegError as exc:
                # Keep the decoder: resetting it would fail every frame up to the next keyframe.
                self.decode_errors += 1
                self._decode_failed.set()
                log.debug("layer %s: decode failed: %s", self.name, exc)
                frames = []
            decoded_wall_ms = time.time() * 1000.0
            self.frames_decoded += len(frames)
            if sink is not None:
                try:
                    sink.on_decoded(self, encoded, frames, decoded_wall_ms)
                except Exception:  # a broken viewer must not kill the decoder
                    log.exception("frame sink failed on layer %s", self.name)
        del decoder

    def close(self, timeout: float = 5.0) -> None:
        """Stop the decoder thread (frames still queued are dropped) and join it."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(None)
        self._thread.join(timeout)


class SimulcastReceiver:
    """Takes over the RTP path of one aiortc ``RTCRtpReceiver`` and splits it into layers.

    Attach right after ``setRemoteDescription`` (before packets can flow).  aiortc keeps doing
    ICE/DTLS/SRTP, routing, and RTCP (its receiver reports now cover every layer's SSRC); its own
    decoder thread for this receiver stays idle.  ``close()`` joins the layer threads — call it
    off the event loop (it blocks) after the peer connection closed.
    """

    def __init__(self, receiver: RTCRtpReceiver, media: MediaPlan, sink: FrameSink | None,
                 thread_prefix: str = "rtp-layer") -> None:
        if media.codec is None:
            raise ValueError("no codec negotiated for this m-line")
        self.kind = media.kind
        self.media = media
        self.sink = sink
        self.thread_prefix = thread_prefix
        self.layers: dict[str, ReceivedLayer] = {}
        self.unmatched_packets = 0
        self._receiver = receiver
        self._codecs = {media.codec.payloadType: media.codec}
        self._ssrc_layer: dict[int, str] = {}
        if media.sim_ssrcs:
            self._ssrc_layer = dict(zip(media.sim_ssrcs, sim_layer_names(len(media.sim_ssrcs))))
        self._statistics: dict[int, StreamStatistics] = {}
        self._closed = False
        receiver._handle_rtp_packet = self._handle_rtp_packet  # type: ignore[method-assign]

    def _layer_name(self, packet: RtpPacket) -> str | None:
        if self.kind == "audio":
            return AUDIO_LAYER
        rid = packet.extensions.rtp_stream_id
        if rid and self.media.rids:
            if rid not in self.media.rids:
                return None
            self._ssrc_layer[packet.ssrc] = rid  # senders may stop stamping rids once acknowledged
            return rid
        known = self._ssrc_layer.get(packet.ssrc)
        if known is not None:
            return known
        if not self.media.rids and not self.media.sim_ssrcs:
            return SINGLE_LAYER_RID
        if len(self.media.rids) == 1:
            return self.media.rids[0]
        return None

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int = 0) -> None:
        if self._closed:
            return
        codec = self._codecs.get(packet.payload_type)
        if codec is None:
            self.unmatched_packets += 1
            return
        name = self._layer_name(packet)
        if name is None:
            self.unmatched_packets += 1
            return
        statistics = self._statistics.get(packet.ssrc)
        if statistics is None:
            # Registered with aiortc's receiver so its RTCP loop reports on every layer.
            statistics = self._statistics[packet.ssrc] = StreamStatistics(codec.clockRate)
            self._receiver._RTCRtpReceiver__remote_streams[packet.ssrc] = statistics  # type: ignore[attr-defined]
        statistics.add(packet)
        layer = self.layers.get(name)
        if layer is None:
            layer = self.layers[name] = ReceivedLayer(self, name, self.kind, codec)
        await layer.handle_packet(packet)

    def statistics(self, ssrc: int) -> StreamStatistics | None:
        return self._statistics.get(ssrc)

    async def send_pli(self, ssrc: int) -> None:
        await self._receiver._send_rtcp_pli(ssrc)

    async def send_nack(self, ssrc: int, lost: list[int]) -> None:
        await self._receiver._send_rtcp_nack(ssrc, lost)

    async def request_keyframes(self) -> None:
        """Ask every video layer for a keyframe now."""
        for layer in list(self.layers.values()):
            await layer.request_keyframe(force=True)

    def close(self, timeout: float = 5.0) -> None:
        """Stop feeding and join every layer's decoder thread (blocking)."""
        self._closed = True
        for layer in list(self.layers.values()):
            layer.close(timeout)


def attach_receivers(pc: RTCPeerConnection, plan: OfferPlan, sink: FrameSink | None,
                     thread_prefix: str = "rtp-layer") -> list[SimulcastReceiver]:
    """One :class:`SimulcastReceiver` per audio/video transceiver the plan accepted."""
    receivers = []
    for transceiver in pc.getTransceivers():
        media = plan.media_for(transceiver.mid)
        if media is None or media.codec is None:
            continue
        receivers.append(SimulcastReceiver(transceiver.receiver, media, sink, thread_prefix))
    return receivers


def ice_servers_none() -> Any:
    """An ``RTCConfiguration`` without STUN/TURN (aiortc defaults to Google's STUN server,
    which a machine with no network can only time out on)."""
    from aiortc import RTCConfiguration

    return RTCConfiguration(iceServers=[])


__all__ = [
    "AUDIO_LAYER", "EncodedFrame", "FrameSink", "InternalsChangedError", "KEYFRAME_REQUEST_INTERVAL_S",
    "LOOPBACK_IPV4", "MediaPlan", "OfferError", "OfferPlan", "RID_URI", "ReceivedLayer", "SINGLE_LAYER_RID",
    "SimulcastReceiver", "apply_offer_plan", "attach_receivers", "check_internals", "finish_answer",
    "h264_nal_types", "ice_servers_none", "is_keyframe", "loopback_candidates", "loopback_enabled",
    "prepare_offer", "sim_layer_names",
]
