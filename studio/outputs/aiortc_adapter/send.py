"""The sending side of aiortc, extended for a studio that encodes outside aiortc.

aiortc 1.16 (pinned) packetizes pre-encoded ``av.Packet``s but has no simulcast, no hook for
keyframe requests, no pacing, and builds RTCP sender reports from the time a packet *left*
rather than when its picture or sound was *captured*.  :class:`PacketSender` adds those:
an ``RTCRtpSender`` that stamps a rid (``rtp-stream-id``) on every packet, paces packets
(:class:`~studio.outputs.pacing.Pacer`, :class:`~studio.outputs.pacing.LinkBudget`), derives
RTP timestamps from capture time and makes sender reports map them to one wall clock
(:mod:`studio.outputs.clocks`) shared by audio and video, answers NACKs from a bounded
history (:class:`~studio.outputs.retransmission.RetransmissionHistory`), counts what RTCP
says (:class:`~studio.outputs.packets.SenderCounters`, for the bandwidth estimator) and
reports PLI/FIR for its SSRC to ``on_keyframe_request(rid)``.
:func:`attach_packet_sender` puts one in a transceiver.

The rest of the sending side lives next door, each in its own module: ``codecs`` (the codec
table), ``tracks`` (encoded tracks fed from encoder threads), ``transport_cc`` (the
transport-wide CC hook), ``simulcast`` (:class:`SimulcastVideo`) and ``internals`` (every
private aiortc name, verified by ``check_internals``).  The aiortc-free parts (clocks, pacing,
retransmission history, packet items and counters) live in :mod:`studio.outputs`.

Threads: everything here runs on the asyncio loop that owns the ``RTCPeerConnection``.
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import threading
import time
from fractions import Fraction
from typing import Any, Callable

from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver
from aiortc import codecs as aiortc_codecs
from aiortc import rtcrtpsender as aiortc_rtcrtpsender
from aiortc import rtp as aiortc_rtp
from aiortc.codecs.h264 import H264Encoder
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters, RTCRtpSendParameters

# bench/latency_browser.py and tests/browser reach uninstall_codecs as ``send.uninstall_codecs``.
from studio.outputs.aiortc_adapter.codecs import uninstall_codecs
from studio.outputs.aiortc_adapter.internals import (
    SENDER_NTP_TIMESTAMP,
    SENDER_OCTET_COUNT,
    SENDER_PACKET_COUNT,
    SENDER_RTP_TIMESTAMP,
    TRANSCEIVER_SENDER_ATTRIBUTE,
    _get,
)
from studio.outputs.aiortc_adapter.rtp_writer import ExtensionIds, RtpHeaderWriter, WrittenPacket, abs_send_time
from studio.outputs.aiortc_adapter.tracks import KeyframeCallback, PacketTrack
from studio.outputs.aiortc_adapter.transport_cc import hook_transport_feedback
from studio.outputs.clocks import AUDIO_CLOCK_RATE, VIDEO_CLOCK_RATE, RtpClock, WallClock
from studio.outputs.pacing import RTP_OVERHEAD_BYTES, LinkBudget, Pacer
from studio.outputs.packets import PacketItem, SenderCounters
from studio.outputs.retransmission import RedundantCopies, RetransmissionHistory
from studio.outputs.round_trip import RoundTrip
from studio.outputs.transport_feedback import TransportCcTracker

log = logging.getLogger(__name__)

RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
# A sequence number NACKed again within this long counts as one lost packet (receivers repeat
# their NACKs — Janus every ~RTT until the packet arrives — and the loss estimate must not
# count the repeats: measured 2-6 % "loss" on a link that lost 1 %).
NACK_REPEAT_WINDOW_S = 1.0
NACKS_REMEMBERED = 2048
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
_VIDEO_TIME_BASE = Fraction(1, VIDEO_CLOCK_RATE)


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
        self.round_trip = RoundTrip()
        self._nacked: collections.OrderedDict[int, float] = collections.OrderedDict()  # seq -> loop s
        # Loss repair without a round trip (SimulcastVideo shares one policy between the layers;
        # only the lowest layer's sender sends the copies).
        self.redundancy: RedundantCopies | None = None
        self.sends_copies = False
        # (due loop s, stored packet); bounded: a stalled transport must not grow it
        self._copies: collections.deque[tuple[float, Any]] = collections.deque(maxlen=1024)
        self._copies_waiting: asyncio.Event | None = None
        self.transport_cc: TransportCcTracker | None = None  # set when transport-cc was negotiated
        self._extension_ids = ExtensionIds()  # what send() negotiated: the RtpHeaderWriter's layout
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
        parameters = self._parameters_with_extensions(parameters)
        self._extension_ids = ExtensionIds.from_parameters(parameters.headerExtensions)
        await super().send(parameters)
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
                    now = asyncio.get_running_loop().time()
                    rtt_s = self.round_trip.on_report_block(report.lsr, report.dlsr, now)
                    if rtt_s is not None:
                        counters.rtt_s = rtt_s
                        counters.rtt_samples += 1
                        if self.redundancy is not None:
                            self.redundancy.note_rtt(rtt_s, now)
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
            if packet.lost:
                now = asyncio.get_running_loop().time()
                self.counters.nacked_packets += self._count_first_nacks(packet.lost, now)
                if self.redundancy is not None:
                    self.redundancy.note_loss(now)
        await super()._handle_rtcp_packet(packet)

    def _count_first_nacks(self, sequence_numbers: Any, now_s: float) -> int:
        """How many of ``sequence_numbers`` were not NACKed in the last NACK_REPEAT_WINDOW_S."""
        nacked = self._nacked
        first = 0
        for sequence_number in sequence_numbers:
            before = nacked.pop(sequence_number, None)
            if before is None or now_s - before > NACK_REPEAT_WINDOW_S:
                first += 1
            nacked[sequence_number] = now_s
        while len(nacked) > NACKS_REMEMBERED:
            nacked.popitem(last=False)
        return first

    async def _send_rtcp(self, packets: list[Any]) -> None:
        """aiortc's, with sender reports stamped at the time they leave (RFC 3550 §6.4.1).

        aiortc's report carries the pair of the last packet sent (here: its capture time); the
        pair is rewritten to *now* on the same two clocks (same mapping, so audio and video
        still line up) — every report then has its own NTP time, which the receiver echoes as
        LSR.  A paused layer sent the same pair in every report, so a receiver's block could
        not say which report it answered (round trips of 0 were measured).  Each report's send
        time is kept for :class:`RoundTrip`."""
        loop_now = asyncio.get_running_loop().time()
        for index, packet in enumerate(packets):
            if isinstance(packet, aiortc_rtp.RtcpSrPacket) and packet.sender_info.packet_count:
                now_ns = time.monotonic_ns()  # the media clock (studio.core.clock.now_ns)
                info = dataclasses.replace(
                    packet.sender_info, ntp_timestamp=self.wall_clock.ntp(now_ns), rtp_timestamp=self.rtp_clock.timestamp(now_ns)
                )
                packets[index] = aiortc_rtp.RtcpSrPacket(ssrc=packet.ssrc, sender_info=info, reports=packet.reports)
                self.round_trip.note_sender_report(info.ntp_timestamp, loop_now)
        await super()._send_rtcp(packets)

    async def _retransmit(self, sequence_number: int) -> None:
        """Answer a NACK from our bounded history (aiortc's path stays unused: RTX is off).

        The bytes are booked on the pacer (later media waits for them) but not waited for:
        this runs inside the transport's RTCP handling, which must not stall."""
        loop = asyncio.get_running_loop()
        stored = self.retransmissions.take(sequence_number, loop.time())
        if stored is None:
            self.counters.retransmit_misses += 1
            return
        data = self._serialize_again(stored)
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

    def _serialize_again(self, stored: Any) -> bytes:
        """The bytes of a packet sent before (a retransmission or a redundant copy): the same
        bytes, byte for byte.

        Resent on the same SSRC and sequence number, the packet is protected again under the same
        SRTP index.  With the AES-GCM profiles WebRTC negotiates first (aiortc lets the sender
        repeat an index: ``allow_repeat_tx``) any other bytes — a new transport-wide sequence
        number in the header, as before — would reuse a GCM nonce with different authenticated
        data, from which an on-path observer can solve for the authentication key and forge
        packets.  Identical bytes give an identical SRTP packet.  Transport-wide CC therefore sees
        the original's number again; its feedback is left out (``mark_resent``) rather than read
        as a late arrival.  (RTX, a separate SSRC, is what would let a resend carry its own number.)"""
        if isinstance(stored, WrittenPacket):
            sequence, data = stored.transport_sequence, stored.data
        elif isinstance(stored, aiortc_rtp.RtpPacket):  # kept by a caller other than _run_rtp
            sequence, data = stored.extensions.transport_sequence_number, stored.serialize(_get(self, "rtp_header_extensions_map"))
        else:
            return bytes(stored)
        if self.transport_cc is not None and sequence is not None:
            self.transport_cc.mark_resent(sequence)
        return data

    # -- redundant copies (RedundantCopies) --------------------------------------------------------
    def _queue_copy(self, stored: Any, now_s: float) -> None:
        """Send ``stored`` again ``redundancy.delay_s`` from now, when the policy says so."""
        policy = self.redundancy
        if not self.sends_copies or policy is None or not policy.is_on(now_s):
            return
        self._copies.append((now_s + policy.delay_s, stored))
        if self._copies_waiting is not None:
            self._copies_waiting.set()

    async def _run_copies(self) -> None:
        """Sends the queued copies when they are due (a task beside ``_run_rtp``)."""
        loop = asyncio.get_running_loop()
        waiting = self._copies_waiting = asyncio.Event()
        policy = self.redundancy
        while True:
            if not self._copies:
                waiting.clear()
                await waiting.wait()
                continue
            due, stored = self._copies[0]
            delay = due - loop.time()
            if delay > 0.001:
                await asyncio.sleep(delay)
                continue
            self._copies.popleft()
            data = self._serialize_again(stored)
            if self.link_budget is not None:
                self.link_budget.book(len(data) + RTP_OVERHEAD_BYTES - 12, loop.time())
            try:
                await self.transport._send_rtp(data)
            except ConnectionError:
                continue  # the transport is closing: _run_rtp ends too
            if policy is not None:
                policy.count(len(data))

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
            if isinstance(packer, H264Encoder):
                # pack()'s own steps without the RTP timestamp it converts through Fractions (ours
                # comes from the capture time): a third of packetizing a frame.
                payloads = packer._packetize(packer._split_bitstream(bytes(packet)))
            else:
                payloads, _timestamp = packer.pack(packet)
        except Exception:  # one malformed frame must not end the layer
            self.counters.malformed += 1
            log.exception("cannot packetize a %s frame for layer %s", codec.name, self.rid)
            return []
        return payloads

    async def _run_rtp(self, codec: RTCRtpCodecParameters) -> None:
        """aiortc's ``_run_rtp`` for packets, plus rid, pacing and capture-time clocks.

        The per-packet part is the transport's hot path (some 250 packets a second for three
        layers and the sound): headers come from an :class:`RtpHeaderWriter` laid out once,
        pacing and the link budget are asked without a coroutine unless they make it wait,
        and nothing else is built per packet."""
        _get(self, "rtp_started").set()
        track = self.track
        is_video = self.kind == "video"
        packer = aiortc_codecs.get_encoder(codec) if is_video else None
        history = self.retransmissions
        loop = asyncio.get_running_loop()
        writer = RtpHeaderWriter(
            self._extension_ids, payload_type=codec.payloadType, ssrc=self._ssrc, mid=_get(self, "mid"),
            rid=self.rid if self.rid_extension_id is not None else None,
        )
        sequence_number = aiortc_rtcrtpsender.random_sequence_number()
        is_first_audio = True
        copies = loop.create_task(self._run_copies()) if self.sends_copies else None
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
                audio_level = (item.is_voice, item.audio_level) if item.audio_level is not None else None
                last_index = len(payloads) - 1
                frame_bytes = 0
                for index, payload in enumerate(payloads):
                    size = len(payload) + RTP_OVERHEAD_BYTES
                    pacer = self.pacer
                    if pacer is not None:
                        delay = pacer.reserve_wait(size, loop.time())
                        if delay:
                            await asyncio.sleep(delay)
                    budget = self.link_budget
                    if budget is not None and budget.rate_bps:  # unlimited: booking and waiting are no-ops
                        if self.link_backlog_allowance_s is None:
                            budget.book(size, loop.time())
                        else:
                            await budget.wait(size, self.link_backlog_allowance_s)
                    if is_video:
                        marker = index == last_index
                    else:  # audio: marker on the first packet of a talk spurt only (RFC 3551)
                        marker = is_first_audio
                        is_first_audio = False
                    transport_cc = self.transport_cc
                    written = writer.write(
                        payload, sequence_number=sequence_number, timestamp=timestamp, marker=marker,
                        abs_send_time=abs_send_time(), audio_level=audio_level,
                        transport_sequence=None if transport_cc is None else transport_cc.next_sequence(size, loop.time()),
                    )
                    data = written.data
                    stored = written if transport_cc is not None else data
                    history.add(sequence_number, stored, loop.time())
                    await self.transport._send_rtp(data)
                    if self.sends_copies:
                        self._queue_copy(stored, loop.time())
                    setattr(self, SENDER_NTP_TIMESTAMP, ntp_timestamp)
                    setattr(self, SENDER_RTP_TIMESTAMP, timestamp)
                    setattr(self, SENDER_OCTET_COUNT, getattr(self, SENDER_OCTET_COUNT) + len(payload))
                    setattr(self, SENDER_PACKET_COUNT, getattr(self, SENDER_PACKET_COUNT) + 1)
                    sequence_number = (sequence_number + 1) & 0xFFFF
                    frame_bytes += len(payload)
                self.send_delay_ms.append((time.monotonic_ns() - item.capture_ns) / 1e6)
                self._count_frame(item, frame_bytes, len(payloads))
        except (asyncio.CancelledError, ConnectionError, MediaStreamError):
            pass
        except Exception:
            # _rtp_exited must be set whatever happened, or stop() hangs.
            log.exception("RTP sender for %s %s failed", self.kind, self.rid or "")
        if copies is not None:
            copies.cancel()
            try:
                await copies
            except (asyncio.CancelledError, ConnectionError):
                pass
            except Exception:
                log.exception("redundant copies for %s %s failed", self.kind, self.rid or "")
            self._copies.clear()
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


__all__ = ["AUDIO_LEVEL_URI", "PacketSender", "RID_URI", "attach_packet_sender", "uninstall_codecs"]
