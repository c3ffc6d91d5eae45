"""The sending side of aiortc, extended for a studio that encodes outside aiortc.

aiortc 1.16 (pinned) packetizes pre-encoded ``av.Packet``s but has no simulcast, no hook for
keyframe requests, no pacing, and builds RTCP sender reports from the time a packet *left*
rather than when its picture or sound was *captured*.  This module adds those, each as a
small named piece that could be offered upstream:

* :func:`install_codecs` — H.264 entries that allow 1080p (Constrained Baseline level 4.2,
  and High 4.x so a server answering ``640028`` is accepted); :func:`codec_preferences`.
* :class:`EncodedVideoTrack` / :class:`EncodedAudioTrack` — tracks fed from encoder threads
  through a bounded mailbox; when the network side falls behind, video drops non-keyframes
  and asks for a keyframe instead of queueing (drops are counted).
* :class:`PacketSender` — an ``RTCRtpSender`` that stamps a rid (``rtp-stream-id``) on every
  packet, paces packets with a leaky bucket (:class:`Pacer`), derives RTP timestamps from
  capture time and makes sender reports map them to one wall clock (:class:`WallClock`)
  shared by audio and video, and reports PLI/FIR for its SSRC to ``on_keyframe_request(rid)``.
* :class:`RetransmissionHistory` — NACKs answered from a bounded per-sender history (count and
  age; one resend per sequence number per 50 ms), resent bytes booked on the pacer; RTCP report
  blocks, REMB and NACK counts surfaced in ``PacketSender.counters`` for the bandwidth estimator.
* transport-wide CC: :func:`add_transport_cc_extmap` offers the extension, every published layer
  stamps one shared sequence (:class:`~studio.outputs.congestion.TransportCcTracker`), and
  :func:`hook_transport_feedback` hands the feedback aiortc would drop to
  ``SimulcastVideo.take_transport_results``.
* :class:`SimulcastVideo` — one extra ``PacketSender`` per layer on the video transceiver's
  transport (aiortc's "Shown to work with Janus" recipe), started together with the
  transceiver's own sender when DTLS is up; publishes exactly the rids the answer accepted.
* :func:`check_internals` — asserts every private aiortc name used here still exists.

Every touch of aiortc internals on the sending side lives in this file, listed in
``SENDER_PRIVATE_ATTRIBUTES`` and friends and verified by :func:`check_internals`.

Threads: tracks are fed from any thread (``put``); everything else runs on the asyncio loop
that owns the ``RTCPeerConnection``.
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import math
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver
from aiortc import clock as aiortc_clock
from aiortc import codecs as aiortc_codecs
from aiortc import rtcrtpsender as aiortc_rtcrtpsender
from aiortc import rtp as aiortc_rtp
from aiortc import utils as aiortc_utils
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import (
    RTCRtcpFeedback,
    RTCRtpCodecCapability,
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpSendParameters,
)

from studio.outputs.aiortc_adapter import PINNED_AIORTC_VERSION
from studio.outputs.congestion import (
    RTCP_RTPFB_TRANSPORT_CC,
    TRANSPORT_CC_URI,
    PacketResult,
    TransportCcTracker,
    parse_transport_cc,
)

log = logging.getLogger(__name__)

RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
VIDEO_CLOCK_RATE = 90_000
AUDIO_CLOCK_RATE = 48_000
NS_PER_S = 1_000_000_000
# Seconds between the NTP epoch (1900) and the Unix epoch (1970).
NTP_UNIX_OFFSET_S = 2_208_988_800

# H.264 entries added by install_codecs(), in offer order.  aiortc matches an answer by
# profile only (not level), so Constrained Baseline 4.2 also accepts a 42e01f/42e028 answer;
# the High entries let a server answer 640028/640c28 (a Constrained Baseline stream is a
# valid High stream, so nothing changes on the wire).
H264_1080P_PROFILE_LEVEL_IDS: tuple[str, ...] = ("42e02a", "640c2a", "64002a")
H264_DEFAULT_PROFILE_LEVEL_ID = "42e01f"  # aiortc's own entry (level 3.1), offered after ours

# Pacing: packets of one frame leave at most this many times the layer's bitrate ...
PACING_FACTOR = 2.5
# ... but never slower than this (small layers would otherwise stretch a keyframe over
# a whole frame interval), and a burst of up to PACING_BURST_S of data may go at once.
PACING_MIN_BPS = 600_000
PACING_BURST_S = 0.004
# Per-packet bytes on the wire beyond the RTP payload (RTP + extensions + SRTP tag + UDP/IPv4).
RTP_OVERHEAD_BYTES = 12 + 16 + 10 + 8 + 20

# NACK answers: packets kept per sender (by count and age); one sequence number is resent at
# most once per RETRANSMIT_MIN_INTERVAL_S (receivers repeat NACKs until the packet arrives).
RETRANSMIT_HISTORY_PACKETS = 1024
RETRANSMIT_HISTORY_AGE_S = 1.5
RETRANSMIT_MIN_INTERVAL_S = 0.05

DEFAULT_VIDEO_QUEUE_FRAMES = 10  # ≈ 330 ms at 30 fps: a paced keyframe fits, a stall does not
DEFAULT_AUDIO_QUEUE_PACKETS = 25  # 500 ms of 20 ms Opus packets

KeyframeCallback = Callable[[str | None], Any]
_VIDEO_TIME_BASE = Fraction(1, VIDEO_CLOCK_RATE)


class AiortcInternalsChanged(RuntimeError):
    """aiortc no longer has an internal this adapter relies on (upgrade without re-checking)."""


# ----------------------------------------------------------------------------------------------
# Codec tables
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


# ----------------------------------------------------------------------------------------------
# Clocks
class WallClock:
    """One mapping from the media clock (``time.monotonic_ns``) to wall-clock time.

    Every stream of a session shares one instance, so audio and video sender reports agree
    on what "now" was when a picture or a sound was captured (browsers delay video by the
    disagreement; TESTBED measured 240–300 ms when they disagree).  ``offset_ns`` shifts
    every report by the same amount (e.g. to state times as "left the studio").
    """

    def __init__(self, unix_minus_media_ns: int | None = None, *, offset_ns: int = 0) -> None:
        self.unix_minus_media_ns = unix_minus_media_ns if unix_minus_media_ns is not None else self.sample_offset_ns()
        self.offset_ns = int(offset_ns)

    @staticmethod
    def sample_offset_ns(samples: int = 5) -> int:
        """``time.time_ns() - time.monotonic_ns()``, from the tightest of a few readings."""
        best: tuple[int, int] | None = None
        for _ in range(samples):
            before = time.monotonic_ns()
            wall = time.time_ns()
            after = time.monotonic_ns()
            if best is None or after - before < best[0]:
                best = (after - before, wall - (before + after) // 2)
        assert best is not None
        return best[1]

    def unix_ns(self, media_ns: int) -> int:
        return media_ns + self.unix_minus_media_ns + self.offset_ns

    def ntp(self, media_ns: int) -> int:
        """64-bit NTP timestamp (RFC 3550 §4) of the media-clock time ``media_ns``."""
        unix_ns = self.unix_ns(media_ns)
        seconds, rest_ns = divmod(unix_ns, NS_PER_S)
        fraction = (rest_ns << 32) // NS_PER_S
        return (((seconds + NTP_UNIX_OFFSET_S) & 0xFFFFFFFF) << 32) | fraction


class RtpClock:
    """RTP timestamps from capture times: ``origin + capture_ns × rate`` (mod 2³²).

    Layers of one video share an instance, so one picture carries one timestamp in every
    layer (SFUs may align layers by it); the origin is random as RFC 3550 asks.
    """

    def __init__(self, clock_rate: int, origin: int | None = None) -> None:
        self.clock_rate = int(clock_rate)
        self.origin = aiortc_utils.random32() if origin is None else int(origin) & 0xFFFFFFFF

    def timestamp(self, capture_ns: int) -> int:
        ticks = (capture_ns * self.clock_rate + NS_PER_S // 2) // NS_PER_S
        return (self.origin + ticks) & 0xFFFFFFFF


# ----------------------------------------------------------------------------------------------
# Pacing
class Pacer:
    """A leaky bucket: packets leave at ``rate_bps`` on average; up to ``burst_s`` worth
    (at least two full packets) may go back to back after a pause.  ``rate_bps`` None = no
    pacing.  Used on one asyncio loop; ``set_rate`` may be called from any thread."""

    def __init__(self, rate_bps: float | None, *, burst_s: float = PACING_BURST_S, min_burst_bytes: int = 2 * 1400) -> None:
        self.rate_bps = float(rate_bps) if rate_bps else None
        self.burst_s = float(burst_s)
        self.min_burst_bytes = int(min_burst_bytes)
        self._next_s = 0.0
        self.waits = 0
        self.waited_s = 0.0

    def set_rate(self, rate_bps: float | None) -> None:
        self.rate_bps = float(rate_bps) if rate_bps else None

    def reserve(self, size_bytes: int, now_s: float) -> float:
        """Book ``size_bytes`` of sending; return how long to wait before sending them."""
        rate = self.rate_bps
        if not rate:
            return 0.0
        burst_s = max(self.burst_s, self.min_burst_bytes * 8.0 / rate)
        start = max(self._next_s, now_s - burst_s)
        self._next_s = start + size_bytes * 8.0 / rate
        return max(0.0, start - now_s)

    async def wait(self, size_bytes: int) -> None:
        loop = asyncio.get_running_loop()
        delay = self.reserve(size_bytes, loop.time())
        # Below a millisecond the loop cannot sleep precisely anyway: send now.
        if delay >= 0.001:
            self.waits += 1
            self.waited_s += delay
            await asyncio.sleep(delay)


def pacing_rate_bps(bitrate_bps: int | None) -> int | None:
    """The pacing rate for a layer sending ``bitrate_bps``."""
    if not bitrate_bps:
        return None
    return int(max(PACING_MIN_BPS, PACING_FACTOR * bitrate_bps))


class LinkBudget:
    """The whole connection's send budget while the network limits it, shared by every layer.

    Per-layer pacers spread each frame but together can still exceed the bottleneck for the
    seconds the encoders need to meet lower targets (or until the top layer is paused); the
    bottleneck's queue then drops packets of every layer alike, and a lowest-layer packet lost
    twice (its retransmission too) freezes that layer's viewers until a keyframe.  The budget
    makes the publisher, not the network, decide what waits: the lowest layer (and every
    retransmission) books its bytes without waiting, the layers above wait while the booked
    backlog exceeds their allowance (middle a little, top none), so the top layer starves
    first, then the middle, and the queue in the network stays short.

    ``rate_bps`` None = unlimited (the usual case: set only while the estimate is below what
    the layers want).  One asyncio loop; ``set_rate`` may be called from any thread."""

    def __init__(self, rate_bps: float | None = None, *, burst_s: float = 0.010) -> None:
        self.rate_bps = float(rate_bps) if rate_bps else None
        self.burst_s = float(burst_s)
        self._next_s = 0.0
        self.waits = 0
        self.waited_s = 0.0

    def set_rate(self, rate_bps: float | None) -> None:
        self.rate_bps = float(rate_bps) if rate_bps else None

    def book(self, size_bytes: int, now_s: float) -> None:
        """Count ``size_bytes`` sent now (pushes the layers that wait back)."""
        rate = self.rate_bps
        if not rate:
            return
        start = max(self._next_s, now_s - self.burst_s)
        self._next_s = start + size_bytes * 8.0 / rate

    def backlog_s(self, now_s: float) -> float:
        """Seconds of booked sending not yet drained at ``rate_bps`` (0 when unlimited)."""
        if not self.rate_bps:
            return 0.0
        return max(0.0, self._next_s - now_s)

    async def wait(self, size_bytes: int, allowed_backlog_s: float) -> None:
        """Wait until the backlog is within ``allowed_backlog_s``, then book ``size_bytes``."""
        loop = asyncio.get_running_loop()
        while True:
            excess = self.backlog_s(loop.time()) - allowed_backlog_s
            if excess < 0.001:
                break
            self.waits += 1
            self.waited_s += excess
            await asyncio.sleep(excess)  # others (the lowest layer) may book meanwhile: re-check
        self.book(size_bytes, loop.time())


# How much booked backlog a layer may add to, by its place from the bottom of the ladder
# (index 0 = lowest: never waits).  Top layers get none: they starve first.
LINK_BACKLOG_ALLOWANCE_S: tuple[float | None, ...] = (None, 0.060, 0.0)


# ----------------------------------------------------------------------------------------------
# Tracks fed from encoder threads
@dataclass(slots=True)
class PacketItem:
    """One encoded frame (video) or Opus packet (audio) and what the sender needs to know."""

    packet: av.Packet
    capture_ns: int
    is_keyframe: bool = False
    width: int = 0
    height: int = 0
    audio_level: int | None = None  # RFC 6464: 0 (loud) .. 127 (silence), i.e. −dBov
    is_voice: bool = False
    encoder: str | None = None

    @property
    def size(self) -> int:
        return self.packet.size


def audio_level_dbov(samples: np.ndarray) -> int:
    """RFC 6465 level of float samples in [−1, 1]: 0 = full scale … 127 = silence (−dBov)."""
    if samples.size == 0:
        return 127
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    if rms <= 0.0:
        return 127
    return int(min(127, max(0, round(-20.0 * math.log10(rms)))))


class PacketTrack(MediaStreamTrack):
    """A track whose frames are already encoded, fed from any thread through a bounded mailbox.

    ``put`` never blocks.  Before the sender starts (``open``) packets are refused, so nothing
    stale piles up while connecting.  ``recv`` returns ``av.Packet`` (aiortc's contract);
    :class:`PacketSender` uses ``recv_item`` to get the capture time too.
    """

    kind = "unknown"

    def __init__(self, *, max_items: int, rid: str | None = None) -> None:
        super().__init__()
        if max_items <= 0:
            raise ValueError("max_items must be positive")
        self.rid = rid
        self.max_items = int(max_items)
        self._lock = threading.Lock()
        self._items: collections.deque[PacketItem] = collections.deque()
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._is_waiting = False
        self._is_open = False
        self._is_ended = False
        # counters (read without the lock: approximate is fine for stats)
        self.accepted = 0
        self.dropped = 0
        self.refused_closed = 0

    # -- any thread ------------------------------------------------------------------------------
    def put(self, item: PacketItem) -> bool:
        """Hand over one item; False when it was dropped (or refused before ``open``)."""
        with self._lock:
            if not self._is_open or self._is_ended:
                self.refused_closed += 1
                return False
            accepted = self._admit(item)
            wake = accepted and self._is_waiting
            if wake:
                self._is_waiting = False
            loop = self._loop
            needs_keyframe = self._pop_keyframe_need()
        if wake and loop is not None:
            try:
                loop.call_soon_threadsafe(self._event.set)
            except RuntimeError:  # the loop closed meanwhile: nobody is listening any more
                pass
        if needs_keyframe:
            self._request_keyframe()
        return accepted

    def _admit(self, item: PacketItem) -> bool:
        """Under the lock: queue ``item`` or drop something; True when ``item`` was queued."""
        if len(self._items) >= self.max_items:
            self._items.popleft()
            self.dropped += 1
        self._items.append(item)
        self.accepted += 1
        return True

    def _pop_keyframe_need(self) -> bool:
        """Under the lock: did ``_admit`` decide a keyframe must be asked for (once)?"""
        return False

    def _request_keyframe(self) -> None:
        """Outside the lock: ask the encoder side for a keyframe (video only)."""

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._items)

    # -- the loop ----------------------------------------------------------------------------------
    def open(self) -> None:
        """Start accepting packets (the sender is about to send); binds the running loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._loop = loop
            self._is_open = True

    async def recv_item(self) -> PacketItem:
        while True:
            self._event.clear()
            with self._lock:
                if self._is_ended:
                    raise MediaStreamError
                if self._items:
                    return self._items.popleft()
                self._loop = asyncio.get_running_loop()
                self._is_waiting = True
            await self._event.wait()

    async def recv(self) -> av.Packet:
        item = await self.recv_item()
        packet = item.packet
        if packet.pts is None:
            packet.pts = 0
        return packet

    def stop(self) -> None:
        with self._lock:
            already = self._is_ended
            self._is_ended = True
            self._items.clear()
            loop = self._loop
        if not already and loop is not None and not loop.is_closed():
            try:
                if _is_loop_thread(loop):
                    self._event.set()
                else:
                    loop.call_soon_threadsafe(self._event.set)
            except RuntimeError:
                pass
        super().stop()


def _is_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class EncodedVideoTrack(PacketTrack):
    """Video frames from an encoder (one simulcast layer).

    When the mailbox is full the network side is behind: a non-keyframe is dropped (and so
    is every later one up to the next keyframe, which the decoder needs anyway) and a
    keyframe is requested once through ``on_keyframe_needed(rid)``; a keyframe replaces
    whatever was queued.  ``dropped`` counts frames lost that way; frames skipped while
    waiting for the first keyframe after ``open`` are counted in ``skipped_before_keyframe``.
    """

    kind = "video"

    def __init__(
        self,
        *,
        rid: str | None = None,
        max_frames: int = DEFAULT_VIDEO_QUEUE_FRAMES,
        on_keyframe_needed: KeyframeCallback | None = None,
    ) -> None:
        super().__init__(max_items=max_frames, rid=rid)
        self.on_keyframe_needed = on_keyframe_needed
        self._is_awaiting_keyframe = True
        self._is_starting = True  # awaiting the first keyframe since open()
        self._is_request_due = False
        self.keyframes_requested = 0
        self.skipped_before_keyframe = 0
        self.overflows = 0

    def open(self) -> None:
        super().open()
        with self._lock:
            self._is_awaiting_keyframe = True
            self._is_starting = True
        self._request_keyframe()

    def _admit(self, item: PacketItem) -> bool:
        if item.is_keyframe:
            if len(self._items) >= self.max_items:
                self.dropped += len(self._items)
                self._items.clear()
            self._is_awaiting_keyframe = False
            self._is_starting = False
        elif self._is_awaiting_keyframe:
            if self._is_starting:
                self.skipped_before_keyframe += 1
            else:
                self.dropped += 1
            return False
        elif len(self._items) >= self.max_items:
            self.dropped += 1
            self.overflows += 1
            self._is_awaiting_keyframe = True
            self._is_request_due = True
            return False
        self._items.append(item)
        self.accepted += 1
        return True

    def _pop_keyframe_need(self) -> bool:
        # Once per overflow: the encoder side coalesces and rate-limits anyway.
        due, self._is_request_due = self._is_request_due, False
        return due

    def _request_keyframe(self) -> None:
        self.keyframes_requested += 1
        callback = self.on_keyframe_needed
        if callback is not None:
            try:
                callback(self.rid)
            except Exception:  # a consumer's bug must not break the hand-off
                log.exception("keyframe request for layer %s failed", self.rid)


class EncodedAudioTrack(PacketTrack):
    """Opus packets (20 ms each); when full, the oldest packet is dropped (counted)."""

    kind = "audio"

    def __init__(self, *, max_packets: int = DEFAULT_AUDIO_QUEUE_PACKETS) -> None:
        super().__init__(max_items=max_packets)


# ----------------------------------------------------------------------------------------------
# Transport-wide congestion control (send side): offer the extension, stamp packets, hear feedback
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


# ----------------------------------------------------------------------------------------------
# Private aiortc names used below (checked by check_internals)
_SENDER = "_RTCRtpSender__"
SENDER_PRIVATE_ATTRIBUTES: tuple[str, ...] = (
    "rtp_started",  # asyncio.Event set when the RTP task runs (stop() waits for it)
    "rtp_exited",  # asyncio.Event set when the RTP task ends (stop() waits for it)
    "rtt",  # smoothed round-trip time from report blocks (read after aiortc's RR handling)
    "rtp_header_extensions_map",  # HeaderExtensionsMap configured in send()
    "mid",  # the m-line's mid, stamped on every packet
    "ntp_timestamp",  # sender report: NTP time ...
    "rtp_timestamp",  # ... and the RTP timestamp it corresponds to
    "octet_count",  # sender report + getStats
    "packet_count",  # sender report + getStats
    "started",
)
SENDER_PRIVATE_METHODS: tuple[str, ...] = ("_run_rtp", "_run_rtcp", "_handle_rtcp_packet", "_retransmit")
SENDER_SEMI_PRIVATE_ATTRIBUTES: tuple[str, ...] = ("_ssrc", "_rtx_ssrc", "_stream_id", "_track_id", "_enabled")
TRANSCEIVER_SENDER_ATTRIBUTE = "_RTCRtpTransceiver__sender"
TRANSCEIVER_CODECS_ATTRIBUTE = "_codecs"  # negotiated codecs, set by RTCPeerConnection
DTLS_RTCP_DATA_METHOD = "_handle_rtcp_data"  # raw (decrypted) RTCP in; wrapped for transport-cc
DTLS_TRANSPORT_METHODS: tuple[str, ...] = ("_send_rtp", "_register_rtp_sender", "_unregister_rtp_sender", DTLS_RTCP_DATA_METHOD)


def _get(sender: RTCRtpSender, name: str) -> Any:
    return getattr(sender, _SENDER + name)


def _set(sender: RTCRtpSender, name: str, value: Any) -> None:
    setattr(sender, _SENDER + name, value)


# ----------------------------------------------------------------------------------------------
# The sender
@dataclass
class SenderCounters:
    """What one PacketSender sent (payload bytes, as RTCP counts them)."""

    frames: int = 0
    keyframes: int = 0
    packets: int = 0
    payload_bytes: int = 0
    keyframe_requests: int = 0  # PLI + FIR received for this SSRC
    nacks: int = 0  # sequence numbers NACKed
    retransmits: int = 0  # NACKed packets resent from the history
    retransmit_bytes: int = 0
    retransmit_misses: int = 0  # NACKed packets no longer (or never) in the history
    remb_bps: int | None = None
    remb_updates: int = 0
    reports: int = 0  # RTCP report blocks about this SSRC
    fraction_lost: float | None = None  # from the last report block, 0..1
    rtt_s: float | None = None  # aiortc's smoothed RTT after the last report
    jitter_s: float | None = None
    malformed: int = 0
    width: int = 0
    height: int = 0
    encoder: str | None = None


class RetransmissionHistory:
    """The packets one sender sent recently, serialized, for answering NACKs.

    Bounded by count (``max_packets``) and age (``max_age_s``); a sequence number is resent at
    most once per ``min_interval_s``.  One asyncio loop uses it (no lock needed).
    aiortc keeps 128 packets by ``seq % 128`` — about 60 ms of a 1080p keyframe, shorter than a
    round trip on a slow link — hence this.
    """

    def __init__(
        self,
        max_packets: int = RETRANSMIT_HISTORY_PACKETS,
        max_age_s: float = RETRANSMIT_HISTORY_AGE_S,
        min_interval_s: float = RETRANSMIT_MIN_INTERVAL_S,
    ) -> None:
        self.max_packets = int(max_packets)
        self.max_age_s = float(max_age_s)
        self.min_interval_s = float(min_interval_s)
        self._packets: collections.OrderedDict[int, list[Any]] = collections.OrderedDict()  # seq -> [data, sent_s, resent_s]

    def __len__(self) -> int:
        return len(self._packets)

    def add(self, sequence_number: int, data: Any, now_s: float) -> None:
        """Remember ``data`` (serialized bytes, or the packet itself) sent at ``now_s``."""
        self._packets.pop(sequence_number, None)
        self._packets[sequence_number] = [data, now_s, None]
        while len(self._packets) > self.max_packets:
            self._packets.popitem(last=False)
        self._expire(now_s)

    def _expire(self, now_s: float) -> None:
        while self._packets:
            first = next(iter(self._packets.values()))
            if now_s - first[1] <= self.max_age_s:
                break
            self._packets.popitem(last=False)

    def take(self, sequence_number: int, now_s: float) -> Any:
        """The packet to resend for a NACK of ``sequence_number``, or None (unknown, too old,
        or resent moments ago)."""
        self._expire(now_s)
        entry = self._packets.get(sequence_number)
        if entry is None:
            return None
        if entry[2] is not None and now_s - entry[2] < self.min_interval_s:
            return None
        entry[2] = now_s
        return entry[0]


class PacketSender(RTCRtpSender):
    """An ``RTCRtpSender`` for pre-encoded packets with rid, pacing and capture-time clocks.

    * ``rid``: stamped as ``rtp-stream-id`` on every packet once ``rid_extension_id`` is set.
    * ``rtp_clock``/``wall_clock``: RTP timestamp and sender-report NTP both derive from the
      packet's capture time, so audio and video reports agree.
    * ``pacer``: spreads the packets of a frame (None: send at once, e.g. audio).
    * ``on_keyframe_request(rid)``: called on the loop for every PLI/FIR for this SSRC.
    * ``siblings``: more senders (other layers) started by this one's ``send`` — aiortc calls
      ``send`` on the transceiver's sender once DTLS is up, so every layer starts together.

    Upstream shape: ``RTCRtpSender(track, transport, rid=..., on_keyframe_request=...)`` plus
    per-packet capture timestamps — the ``_run_rtp`` below differs from aiortc's in those lines.
    """

    def __init__(
        self,
        track: PacketTrack,
        transport: RTCDtlsTransport,
        *,
        rid: str | None = None,
        rtp_clock: RtpClock,
        wall_clock: WallClock,
        pacer: Pacer | None = None,
        on_keyframe_request: KeyframeCallback | None = None,
    ) -> None:
        super().__init__(track, transport)
        self.rid = rid
        self.rid_extension_id: int | None = None
        self.extra_header_extensions: list[RTCRtpHeaderExtensionParameters] = []
        self.rtp_clock = rtp_clock
        self.wall_clock = wall_clock
        self.pacer = pacer
        # Shared connection budget (SimulcastVideo sets it); None allowance = book, never wait.
        self.link_budget: LinkBudget | None = None
        self.link_backlog_allowance_s: float | None = None
        self.on_keyframe_request = on_keyframe_request
        self.siblings: list[PacketSender] = []
        self.counters = SenderCounters()
        self.retransmissions = RetransmissionHistory()
        self.transport_cc: TransportCcTracker | None = None  # set when transport-cc was negotiated
        self.on_transport_feedback: Callable[[bytes], Any] | None = None  # main sender hooks the transport
        self.is_sending = False
        self._recent: collections.deque[tuple[float, int]] = collections.deque()  # (monotonic s, bytes) per frame
        # capture → last packet handed to the transport, ms (encode + hand-off + pacing)
        self.send_delay_ms: collections.deque[float] = collections.deque(maxlen=300)
        self._recent_lock = threading.Lock()

    # -- negotiation -----------------------------------------------------------------------------
    def _parameters_with_extensions(self, parameters: RTCRtpSendParameters) -> RTCRtpSendParameters:
        """aiortc negotiates only the header extensions in its own table; add ours (rid)."""
        extensions = list(parameters.headerExtensions)
        known = {ext.uri for ext in extensions}
        for ext in self.extra_header_extensions:
            if ext.uri not in known:
                extensions.append(ext)
        if self.rid is not None and self.rid_extension_id is not None and RID_URI not in known:
            extensions.append(RTCRtpHeaderExtensionParameters(id=self.rid_extension_id, uri=RID_URI))
        return dataclasses.replace(parameters, headerExtensions=extensions)

    async def send(self, parameters: RTCRtpSendParameters) -> None:
        """Start sending (called by aiortc once DTLS is up), then start every sibling layer on
        the same transport (after BUNDLE it may differ from the one they were made with)."""
        await super().send(self._parameters_with_extensions(parameters))
        self.is_sending = True
        if self.on_transport_feedback is not None:
            hook_transport_feedback(self.transport, self.on_transport_feedback)
        for sibling in self.siblings:
            sibling.setTransport(self.transport)
            await sibling.send(parameters)

    async def stop(self) -> None:
        for sibling in self.siblings:
            try:
                await sibling.stop()
            except Exception:  # stopping one layer must not keep the others running
                log.exception("stopping layer %s failed", sibling.rid)
        self.is_sending = False
        await super().stop()

    # -- RTCP --------------------------------------------------------------------------------------
    async def _handle_rtcp_packet(self, packet: Any) -> None:
        if isinstance(packet, (aiortc_rtp.RtcpRrPacket, aiortc_rtp.RtcpSrPacket)):
            await super()._handle_rtcp_packet(packet)  # aiortc updates its RTT first
            for report in packet.reports:
                if report.ssrc == self._ssrc:
                    counters = self.counters
                    counters.reports += 1
                    counters.fraction_lost = report.fraction_lost / 256.0
                    counters.rtt_s = _get(self, "rtt")
                    clock_rate = VIDEO_CLOCK_RATE if self.kind == "video" else AUDIO_CLOCK_RATE
                    counters.jitter_s = report.jitter / clock_rate
            return
        if isinstance(packet, aiortc_rtp.RtcpPsfbPacket):
            if packet.fmt in (aiortc_rtp.RTCP_PSFB_PLI, aiortc_rtp.RTCP_PSFB_FIR):
                self.counters.keyframe_requests += 1
                callback = self.on_keyframe_request
                if callback is not None:
                    try:
                        callback(self.rid)
                    except Exception:
                        log.exception("keyframe request handler failed for layer %s", self.rid)
            elif packet.fmt == aiortc_rtp.RTCP_PSFB_APP:
                try:
                    bitrate, ssrcs = aiortc_rtp.unpack_remb_fci(packet.fci)
                    if self._ssrc in ssrcs:
                        self.counters.remb_bps = int(bitrate)
                        self.counters.remb_updates += 1
                except ValueError:
                    pass
        elif isinstance(packet, aiortc_rtp.RtcpRtpfbPacket) and packet.fmt == aiortc_rtp.RTCP_RTPFB_NACK:
            self.counters.nacks += len(packet.lost)
        await super()._handle_rtcp_packet(packet)

    async def _retransmit(self, sequence_number: int) -> None:
        """Answer a NACK from our bounded history (aiortc's path stays unused: RTX is off).

        The bytes are booked on the pacer (later media waits for them) but not waited for:
        this runs inside the transport's RTCP handling, which must not stall."""
        loop = asyncio.get_running_loop()
        stored = self.retransmissions.take(sequence_number, loop.time())
        if stored is None:
            self.counters.retransmit_misses += 1
            return
        if isinstance(stored, aiortc_rtp.RtpPacket):
            # A resent packet is a new packet for transport-wide CC: its own sequence number.
            if self.transport_cc is not None:
                stored.extensions.transport_sequence_number = self.transport_cc.next_sequence(
                    len(stored.payload) + RTP_OVERHEAD_BYTES, loop.time()
                )
            data = stored.serialize(_get(self, "rtp_header_extensions_map"))
        else:
            data = bytes(stored)
        if self.pacer is not None:
            self.pacer.reserve(len(data) + RTP_OVERHEAD_BYTES - 12, loop.time())
        if self.link_budget is not None:
            self.link_budget.book(len(data) + RTP_OVERHEAD_BYTES - 12, loop.time())
        try:
            await self.transport._send_rtp(data)
        except ConnectionError:
            return
        self.counters.retransmits += 1
        self.counters.retransmit_bytes += len(data)

    # -- RTP ---------------------------------------------------------------------------------------
    def _packetize(self, codec: RTCRtpCodecParameters, packer: Any, item: PacketItem) -> list[bytes]:
        """RTP payloads of one item (aiortc's packetizers; their timestamp is not used)."""
        packet = item.packet
        if packer is None:  # audio: one Opus packet per RTP packet
            return [bytes(packet)]
        if packet.pts is None or packet.time_base is None:
            packet.pts = 0
            packet.time_base = _VIDEO_TIME_BASE
        try:
            payloads, _timestamp = packer.pack(packet)
        except Exception:  # one malformed frame must not end the layer
            self.counters.malformed += 1
            log.exception("cannot packetize a %s frame for layer %s", codec.name, self.rid)
            return []
        return payloads

    async def _run_rtp(self, codec: RTCRtpCodecParameters) -> None:
        """aiortc's ``_run_rtp`` for packets, plus rid, pacing and capture-time clocks."""
        _get(self, "rtp_started").set()
        track = self.track
        is_video = self.kind == "video"
        packer = aiortc_codecs.get_encoder(codec) if is_video else None
        history = self.retransmissions
        loop = asyncio.get_running_loop()
        extensions_map = _get(self, "rtp_header_extensions_map")
        mid = _get(self, "mid")
        sequence_number = aiortc_rtcrtpsender.random_sequence_number()
        is_first_audio = True
        try:
            if isinstance(track, PacketTrack):
                track.open()
            while True:
                if not isinstance(track, PacketTrack):
                    raise MediaStreamError
                item = await track.recv_item()
                if not self._enabled:
                    continue
                payloads = self._packetize(codec, packer, item)
                if not payloads:
                    continue
                timestamp = self.rtp_clock.timestamp(item.capture_ns)
                ntp_timestamp = self.wall_clock.ntp(item.capture_ns)
                frame_bytes = 0
                for index, payload in enumerate(payloads):
                    if self.pacer is not None:
                        await self.pacer.wait(len(payload) + RTP_OVERHEAD_BYTES)
                    budget = self.link_budget
                    if budget is not None:
                        if self.link_backlog_allowance_s is None:
                            budget.book(len(payload) + RTP_OVERHEAD_BYTES, loop.time())
                        else:
                            await budget.wait(len(payload) + RTP_OVERHEAD_BYTES, self.link_backlog_allowance_s)
                    packet = aiortc_rtp.RtpPacket(
                        payload_type=codec.payloadType, sequence_number=sequence_number, timestamp=timestamp
                    )
                    packet.ssrc = self._ssrc
                    packet.payload = payload
                    if is_video:
                        packet.marker = 1 if index == len(payloads) - 1 else 0
                    else:  # audio: marker on the first packet of a talk spurt only (RFC 3551)
                        packet.marker = 1 if is_first_audio else 0
                        is_first_audio = False
                    packet.extensions.abs_send_time = (aiortc_clock.current_ntp_time() >> 14) & 0x00FFFFFF
                    packet.extensions.mid = mid
                    if self.rid is not None and self.rid_extension_id is not None:
                        packet.extensions.rtp_stream_id = self.rid
                    if item.audio_level is not None:
                        packet.extensions.audio_level = (item.is_voice, item.audio_level)
                    if self.transport_cc is not None:
                        packet.extensions.transport_sequence_number = self.transport_cc.next_sequence(
                            len(payload) + RTP_OVERHEAD_BYTES, loop.time()
                        )
                    data = packet.serialize(extensions_map)
                    history.add(packet.sequence_number, packet if self.transport_cc is not None else data, loop.time())
                    await self.transport._send_rtp(data)
                    _set(self, "ntp_timestamp", ntp_timestamp)
                    _set(self, "rtp_timestamp", timestamp)
                    _set(self, "octet_count", _get(self, "octet_count") + len(payload))
                    _set(self, "packet_count", _get(self, "packet_count") + 1)
                    sequence_number = aiortc_utils.uint16_add(sequence_number, 1)
                    frame_bytes += len(payload)
                self.send_delay_ms.append((time.monotonic_ns() - item.capture_ns) / 1e6)
                self._count_frame(item, frame_bytes, len(payloads))
        except (asyncio.CancelledError, ConnectionError, MediaStreamError):
            pass
        except Exception:
            # _rtp_exited must be set whatever happened, or stop() hangs.
            log.exception("RTP sender for %s %s failed", self.kind, self.rid or "")
        if track is not None:
            track.stop()
        _get(self, "rtp_exited").set()

    def _count_frame(self, item: PacketItem, payload_bytes: int, packets: int) -> None:
        counters = self.counters
        counters.frames += 1
        counters.packets += packets
        counters.payload_bytes += payload_bytes
        if item.is_keyframe:
            counters.keyframes += 1
        if item.width:
            counters.width, counters.height = item.width, item.height
        if item.encoder:
            counters.encoder = item.encoder
        now = time.monotonic()
        with self._recent_lock:
            self._recent.append((now, payload_bytes))
            while self._recent and self._recent[0][0] < now - 2.0:
                self._recent.popleft()

    def recent_rates(self, window_s: float = 1.0) -> tuple[int | None, float | None]:
        """(bitrate_bps, frames per second) over the last ``window_s`` seconds, or Nones."""
        now = time.monotonic()
        with self._recent_lock:
            recent = [(t, size) for t, size in self._recent if t >= now - window_s]
        if len(recent) < 2:
            return None, None
        return int(sum(size for _, size in recent) * 8 / window_s), round(len(recent) / window_s, 2)

    @property
    def ssrc(self) -> int:
        return self._ssrc

    @property
    def ntp_timestamp(self) -> int:
        """The NTP time the next sender report states (that of the last packet's capture)."""
        return _get(self, "ntp_timestamp")

    @property
    def rtp_timestamp(self) -> int:
        return _get(self, "rtp_timestamp")


# ----------------------------------------------------------------------------------------------
# Transceivers with our senders
def attach_packet_sender(
    pc: RTCPeerConnection, track: PacketTrack, **sender_options: Any
) -> tuple[RTCRtpTransceiver, PacketSender]:
    """A send-only transceiver whose sender is a :class:`PacketSender` for ``track``.

    aiortc builds the transceiver's sender itself; we put ours in its place before any offer
    (same SSRC and stream id, so the SDP and the receiver's RTCP SSRC stay consistent).
    Upstream shape: ``RTCPeerConnection.addTransceiver(..., sender_factory=...)``.
    """
    transceiver = pc.addTransceiver(track.kind, direction="sendonly")
    stock = transceiver.sender
    sender = PacketSender(track, stock.transport, **sender_options)
    sender._ssrc = stock._ssrc
    sender._rtx_ssrc = stock._rtx_ssrc
    sender._stream_id = stock._stream_id
    setattr(transceiver, TRANSCEIVER_SENDER_ATTRIBUTE, sender)
    return transceiver, sender


@dataclass
class LayerPlan:
    """What one published layer is: its rid, sender and track."""

    rid: str
    sender: PacketSender
    track: EncodedVideoTrack


class SimulcastVideo:
    """The video transceiver with one :class:`PacketSender` per simulcast layer.

    ``rids`` highest quality first (``["h", "m", "l"]``).  ``mode``: ``"rid"`` (RFC 8853),
    ``"ssrc"`` (SSRC-group SIM, for servers that want it) or ``"off"`` (one layer).
    Call :meth:`munge_offer` on aiortc's offer before sending it, :meth:`apply_answer` before
    ``setRemoteDescription``; aiortc then starts every published layer once DTLS is up.
    """

    def __init__(
        self,
        pc: RTCPeerConnection,
        rids: Sequence[str],
        codec: str,
        *,
        wall_clock: WallClock,
        bitrates_bps: dict[str, int] | None = None,
        mode: str = "rid",
        on_keyframe_request: KeyframeCallback | None = None,
        max_queued_frames: int = DEFAULT_VIDEO_QUEUE_FRAMES,
        offer_transport_cc: bool = False,
    ) -> None:
        if not rids:
            raise ValueError("at least one layer is needed")
        if mode not in ("rid", "ssrc", "off"):
            raise ValueError(f"unknown simulcast mode {mode!r}")
        self.rids = list(rids)
        self.mode = mode if len(self.rids) > 1 else "off"
        self.codec = codec
        self.rtp_clock = RtpClock(VIDEO_CLOCK_RATE)
        self.on_keyframe_request = on_keyframe_request
        bitrates_bps = bitrates_bps or {}
        self.tracks: dict[str, EncodedVideoTrack] = {
            rid: EncodedVideoTrack(rid=rid, max_frames=max_queued_frames, on_keyframe_needed=self._keyframe_needed)
            for rid in self.rids
        }
        self.pacers: dict[str, Pacer] = {rid: Pacer(pacing_rate_bps(bitrates_bps.get(rid))) for rid in self.rids}
        self.link_budget = LinkBudget()
        options = dict(rtp_clock=self.rtp_clock, wall_clock=wall_clock, on_keyframe_request=self._keyframe_request)
        first = self.rids[0]
        self.transceiver, self.main = attach_packet_sender(pc, self.tracks[first], rid=first, pacer=self.pacers[first], **options)
        self.transceiver.setCodecPreferences(codec_preferences(codec))
        self.spares: list[PacketSender] = [
            PacketSender(self.tracks[rid], self.main.transport, rid=rid, pacer=self.pacers[rid], **options)
            for rid in self.rids[1:]
        ] if self.mode != "off" else []
        self.published: list[LayerPlan] = []
        self.is_rid_stamped = False
        # transport-cc: offered when asked; used when the answer keeps it.
        self.offer_transport_cc = offer_transport_cc
        self.transport_cc: TransportCcTracker | None = None
        self.transport_feedbacks = 0
        self.transport_feedback_errors = 0
        self._transport_results: list[PacketResult] = []

    # -- keyframes ---------------------------------------------------------------------------------
    def _keyframe_request(self, rid: str | None) -> None:
        if self.on_keyframe_request is not None:
            self.on_keyframe_request(rid)

    def _keyframe_needed(self, rid: str | None) -> None:
        # A mailbox overflow or a sender start: the same kind of need as a PLI.
        if self.on_keyframe_request is not None:
            self.on_keyframe_request(rid)

    # -- negotiation --------------------------------------------------------------------------------
    @property
    def senders(self) -> list[PacketSender]:
        return [self.main, *self.spares]

    def munge_offer(self, offer_sdp: str, cname: str | None = None) -> str:
        """Add simulcast to aiortc's offer (rid lines, or an SSRC group)."""
        from studio.outputs import sdp as sdp_text

        if self.offer_transport_cc:
            offer_sdp, _ext_id = add_transport_cc_extmap(offer_sdp)
        if self.mode == "rid":
            return sdp_text.add_simulcast(offer_sdp, self.rids)
        if self.mode == "ssrc":
            # Janus (and Chrome's SDP) list a SIM group lowest quality first: substream 0.
            ssrcs = [sender._ssrc for sender in reversed(self.senders)]
            return sdp_text.add_ssrc_group_sim(offer_sdp, ssrcs, cname)
        return offer_sdp

    def enable_transport_cc(self, extension_id: int | None) -> bool:
        """After the answer: stamp every published layer's packets with one transport-wide
        sequence and listen for the feedback (True), or not (answer dropped it: False)."""
        if extension_id is None or not self.published:
            return False
        self.transport_cc = TransportCcTracker()
        extension = RTCRtpHeaderExtensionParameters(id=extension_id, uri=TRANSPORT_CC_URI)
        for plan in self.published:
            plan.sender.transport_cc = self.transport_cc
            if all(ext.uri != TRANSPORT_CC_URI for ext in plan.sender.extra_header_extensions):
                plan.sender.extra_header_extensions.append(extension)
        self.main.on_transport_feedback = self._on_transport_feedback
        return True

    def _on_transport_feedback(self, fci: bytes) -> None:
        tracker = self.transport_cc
        if tracker is None:
            return
        try:
            feedback = parse_transport_cc(fci)
        except ValueError:
            self.transport_feedback_errors += 1
            return
        self.transport_feedbacks += 1
        self._transport_results.extend(tracker.results(feedback))
        del self._transport_results[:-4096]  # bounded if nobody drains it

    def take_transport_results(self) -> list[PacketResult]:
        """Per-packet results from the transport-cc feedback since the last call (loop thread)."""
        results, self._transport_results = self._transport_results, []
        return results

    def apply_answer(self, accepted_rids: Iterable[str] | None, rid_extension_id: int | None) -> list[str]:
        """Decide which layers go out; returns their rids (highest first).

        rid mode: exactly the accepted rids we offered (the answer's order does not matter),
        stamped with the rid extension; no simulcast in the answer (or no rid extension id):
        the top layer alone, unstamped.  SSRC mode: every layer (SIM has no per-layer answer).
        """
        if self.mode == "ssrc":
            chosen = list(self.rids)
            self.is_rid_stamped = False
        elif self.mode == "rid" and accepted_rids and rid_extension_id is not None:
            accepted = set(accepted_rids)
            chosen = [rid for rid in self.rids if rid in accepted] or [self.rids[0]]
            self.is_rid_stamped = True
        else:
            chosen = [self.rids[0]]
            self.is_rid_stamped = False
        senders = self.senders
        plans = []
        for index, rid in enumerate(chosen):
            sender = senders[index] if self.mode != "ssrc" else senders[self.rids.index(rid)]
            track = self.tracks[rid]
            if sender.track is not track:
                sender.replaceTrack(track)
            sender.rid = rid
            sender.pacer = self.pacers[rid]
            sender.rid_extension_id = rid_extension_id if self.is_rid_stamped else None
            plans.append(LayerPlan(rid, sender, track))
        self.main.siblings = [plan.sender for plan in plans if plan.sender is not self.main]
        for from_bottom, plan in enumerate(reversed(plans)):
            plan.sender.link_budget = self.link_budget
            plan.sender.link_backlog_allowance_s = LINK_BACKLOG_ALLOWANCE_S[min(from_bottom, len(LINK_BACKLOG_ALLOWANCE_S) - 1)]
        self.published = plans
        return chosen

    def negotiated_codec(self) -> dict[str, Any] | None:
        """The codec aiortc settled on after the answer: ``{"mimeType", "payloadType", "parameters"}``."""
        codecs = getattr(self.transceiver, TRANSCEIVER_CODECS_ATTRIBUTE, None) or []
        primary = next((c for c in codecs if c.name.lower() != "rtx"), None)
        if primary is None:
            return None
        return {"mimeType": primary.mimeType, "payloadType": primary.payloadType, "parameters": dict(primary.parameters)}

    def layer(self, rid: str) -> LayerPlan | None:
        return next((plan for plan in self.published if plan.rid == rid), None)

    def set_link_budget(self, rate_bps: float | None) -> None:
        """Cap what all layers together send (None: no cap); see :class:`LinkBudget`."""
        self.link_budget.set_rate(rate_bps)

    def set_bitrate(self, rid: str, bitrate_bps: int) -> None:
        """Re-pace ``rid`` for a new target bitrate (any thread)."""
        pacer = self.pacers.get(rid)
        if pacer is not None:
            pacer.set_rate(pacing_rate_bps(bitrate_bps))

    def stop_tracks(self) -> None:
        for track in self.tracks.values():
            track.stop()


# ----------------------------------------------------------------------------------------------
# The internals check
def _probe_sender() -> tuple[RTCRtpSender, RTCRtpTransceiver]:
    """A throw-away sender + transceiver to look at (RTCRtpSender wants an event loop)."""

    class _Transport:  # the least an RTCRtpSender needs at construction
        state = "new"

    async def build() -> tuple[RTCRtpSender, RTCRtpTransceiver]:
        sender = RTCRtpSender("video", _Transport())  # type: ignore[arg-type]
        transceiver = RTCRtpTransceiver("video", receiver=None, sender=sender)  # type: ignore[arg-type]
        return sender, transceiver

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(build())
        finally:
            loop.close()
    # Inside a running loop: build() has no await, so stepping it by hand is enough.
    coro = build()
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("probe did not complete")  # pragma: no cover


def check_internals() -> list[str]:
    """Assert that every private aiortc name this module uses still exists.

    Raises :class:`AiortcInternalsChanged` listing what is missing; returns notes (e.g. a
    version other than the pinned one that still passes).  Cheap: call it before publishing.
    """
    problems: list[str] = []
    notes: list[str] = []
    import aiortc
    from aiortc import rtcpeerconnection

    if aiortc.__version__ != PINNED_AIORTC_VERSION:
        notes.append(f"aiortc {aiortc.__version__} is not the pinned {PINNED_AIORTC_VERSION}")
    for name in SENDER_PRIVATE_METHODS:
        if not callable(getattr(RTCRtpSender, name, None)):
            problems.append(f"RTCRtpSender.{name}() is gone")
    send_names = set(RTCRtpSender.send.__code__.co_names)
    for name in ("_run_rtp", "_run_rtcp", "_register_rtp_sender"):
        if name not in send_names:
            problems.append(f"RTCRtpSender.send() no longer calls {name}")
    if "_send_keyframe" not in RTCRtpSender._handle_rtcp_packet.__code__.co_names:
        problems.append("RTCRtpSender._handle_rtcp_packet() no longer handles PLI/FIR as before")
    if "_retransmit" not in RTCRtpSender._handle_rtcp_packet.__code__.co_names:
        problems.append("RTCRtpSender._handle_rtcp_packet() no longer answers NACKs through _retransmit()")
    if _SENDER + "rtt" not in RTCRtpSender._handle_rtcp_packet.__code__.co_names:
        problems.append("RTCRtpSender._handle_rtcp_packet() no longer keeps the RTT in __rtt")
    run_rtcp_names = set(RTCRtpSender._run_rtcp.__code__.co_names)
    for name in (_SENDER + "ntp_timestamp", _SENDER + "rtp_timestamp"):
        if name not in run_rtcp_names:
            problems.append(f"RTCRtpSender._run_rtcp() no longer reports {name}")
    import inspect

    if list(inspect.signature(RTCRtpSender._run_rtp).parameters) != ["self", "codec"]:
        problems.append("RTCRtpSender._run_rtp() changed its signature")
    for name in DTLS_TRANSPORT_METHODS:
        if not callable(getattr(RTCDtlsTransport, name, None)):
            problems.append(f"RTCDtlsTransport.{name}() is gone")
    for module, name in (
        (aiortc_rtcrtpsender, "random_sequence_number"),
        (aiortc_utils, "uint16_add"),
        (aiortc_utils, "random32"),
        (aiortc_clock, "current_ntp_time"),
        (aiortc_rtp, "unpack_remb_fci"),
        (aiortc_rtp, "RtcpRrPacket"),
        (aiortc_rtp, "RtcpSrPacket"),
        (aiortc_rtp, "RTCP_RTPFB_NACK"),
        (aiortc_rtp, "DYNAMIC_PAYLOAD_TYPES"),
        (aiortc_codecs, "CODECS"),
        (aiortc_codecs, "get_encoder"),
    ):
        if not hasattr(module, name):
            problems.append(f"{module.__name__}.{name} is gone")
    if getattr(rtcpeerconnection, "CODECS", None) is not getattr(aiortc_codecs, "CODECS", object()):
        problems.append("RTCPeerConnection no longer reads aiortc.codecs.CODECS (install_codecs would not apply)")
    if not hasattr(aiortc_rtp.HeaderExtensions(), "rtp_stream_id"):
        problems.append("aiortc.rtp.HeaderExtensions has no rtp_stream_id")
    try:
        sender, transceiver = _probe_sender()
    except Exception as exc:  # noqa: BLE001 - reported below
        problems.append(f"cannot build a probe RTCRtpSender: {exc!r}")
    else:
        for name in SENDER_PRIVATE_ATTRIBUTES:
            if not hasattr(sender, _SENDER + name):
                problems.append(f"RTCRtpSender has no private {name!r}")
        for name in SENDER_SEMI_PRIVATE_ATTRIBUTES:
            if not hasattr(sender, name):
                problems.append(f"RTCRtpSender has no {name!r}")
        if getattr(transceiver, TRANSCEIVER_SENDER_ATTRIBUTE, None) is not sender:
            problems.append("RTCRtpTransceiver no longer keeps its sender in __sender")
        if not isinstance(getattr(transceiver, TRANSCEIVER_CODECS_ATTRIBUTE, None), list):
            problems.append("RTCRtpTransceiver no longer keeps the negotiated codecs in _codecs")
    if problems:
        raise AiortcInternalsChanged(
            f"aiortc {aiortc.__version__}: the sending adapter needs revisiting: " + "; ".join(problems)
        )
    return notes


__all__ = [
    "AUDIO_CLOCK_RATE",
    "AiortcInternalsChanged",
    "EncodedAudioTrack",
    "EncodedVideoTrack",
    "H264_1080P_PROFILE_LEVEL_IDS",
    "LayerPlan",
    "PacketItem",
    "PacketSender",
    "PacketTrack",
    "Pacer",
    "RetransmissionHistory",
    "add_transport_cc_extmap",
    "hook_transport_feedback",
    "transport_cc_fcis",
    "RID_URI",
    "RtpClock",
    "SimulcastVideo",
    "VIDEO_CLOCK_RATE",
    "WallClock",
    "attach_packet_sender",
    "audio_level_dbov",
    "check_internals",
    "codec_preferences",
    "install_codecs",
    "pacing_rate_bps",
    "uninstall_codecs",
]
