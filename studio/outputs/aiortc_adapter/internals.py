"""Every private aiortc name the sending side uses, and the check that they still exist.

The sender, the simulcast transceiver and the transport-cc hook reach into aiortc where it
has no public hook; the names are listed here once and :func:`check_internals` asserts each
still exists (cheap: the publisher calls it before any thread starts), so an aiortc upgrade
fails loudly instead of publishing silently wrong.
"""
from __future__ import annotations

import asyncio
import inspect
from typing import Any

from aiortc import RTCRtpSender, RTCRtpTransceiver
from aiortc import clock as aiortc_clock
from aiortc import codecs as aiortc_codecs
from aiortc import rtcrtpsender as aiortc_rtcrtpsender
from aiortc import rtp as aiortc_rtp
from aiortc import utils as aiortc_utils
from aiortc.rtcdtlstransport import RTCDtlsTransport

from studio.outputs.aiortc_adapter import PINNED_AIORTC_VERSION


class AiortcInternalsChanged(RuntimeError):
    """aiortc no longer has an internal this adapter relies on (upgrade without re-checking)."""


# Private aiortc names the sending side uses (checked by check_internals)
_SENDER = "_RTCRtpSender__"
SENDER_PRIVATE_ATTRIBUTES: tuple[str, ...] = (
    "rtp_started",  # asyncio.Event set when the RTP task runs (stop() waits for it)
    "rtp_exited",  # asyncio.Event set when the RTP task ends (stop() waits for it)
    "rtp_header_extensions_map",  # HeaderExtensionsMap configured in send()
    "mid",  # the m-line's mid, stamped on every packet
    "ntp_timestamp",  # sender report: NTP time ...
    "rtp_timestamp",  # ... and the RTP timestamp it corresponds to
    "octet_count",  # sender report + getStats
    "packet_count",  # sender report + getStats
    "started",
)
# _send_rtcp: every RTCP packet aiortc's _run_rtcp sends (sender reports are restamped there)
SENDER_PRIVATE_METHODS: tuple[str, ...] = ("_run_rtp", "_run_rtcp", "_send_rtcp", "_handle_rtcp_packet", "_retransmit")
SENDER_SEMI_PRIVATE_ATTRIBUTES: tuple[str, ...] = ("_ssrc", "_rtx_ssrc", "_stream_id", "_track_id", "_enabled")
TRANSCEIVER_SENDER_ATTRIBUTE = "_RTCRtpTransceiver__sender"
TRANSCEIVER_CODECS_ATTRIBUTE = "_codecs"  # negotiated codecs, set by RTCPeerConnection
DTLS_RTCP_DATA_METHOD = "_handle_rtcp_data"  # raw (decrypted) RTCP in; wrapped for transport-cc
DTLS_TRANSPORT_METHODS: tuple[str, ...] = ("_send_rtp", "_register_rtp_sender", "_unregister_rtp_sender", DTLS_RTCP_DATA_METHOD)


# The full names of the sender-report fields the per-packet path writes (no string built per packet).
SENDER_NTP_TIMESTAMP = _SENDER + "ntp_timestamp"
SENDER_RTP_TIMESTAMP = _SENDER + "rtp_timestamp"
SENDER_OCTET_COUNT = _SENDER + "octet_count"
SENDER_PACKET_COUNT = _SENDER + "packet_count"


def _get(sender: RTCRtpSender, name: str) -> Any:
    return getattr(sender, _SENDER + name)


def _set(sender: RTCRtpSender, name: str, value: Any) -> None:
    setattr(sender, _SENDER + name, value)


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
    """Assert that every private aiortc name the sending side uses still exists.

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
    if "_send_rtcp" not in RTCRtpSender._run_rtcp.__code__.co_names:
        problems.append("RTCRtpSender._run_rtcp() no longer sends its reports through _send_rtcp()")
    run_rtcp_names = set(RTCRtpSender._run_rtcp.__code__.co_names)
    for name in (_SENDER + "ntp_timestamp", _SENDER + "rtp_timestamp"):
        if name not in run_rtcp_names:
            problems.append(f"RTCRtpSender._run_rtcp() no longer reports {name}")
    if list(inspect.signature(RTCRtpSender._run_rtp).parameters) != ["self", "codec"]:
        problems.append("RTCRtpSender._run_rtp() changed its signature")
    for name in DTLS_TRANSPORT_METHODS:
        if not callable(getattr(RTCDtlsTransport, name, None)):
            problems.append(f"RTCDtlsTransport.{name}() is gone")
    for module, name in (
        (aiortc_rtcrtpsender, "random_sequence_number"),
        (aiortc_utils, "uint16_add"),
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
    from aiortc.codecs import h264 as aiortc_h264

    pack_names = set(aiortc_h264.H264Encoder.pack.__code__.co_names)
    for name in ("_split_bitstream", "_packetize"):
        if not callable(getattr(aiortc_h264.H264Encoder, name, None)) or name not in pack_names:
            problems.append(f"H264Encoder.pack() no longer packetizes through {name}()")
    if getattr(rtcpeerconnection, "CODECS", None) is not getattr(aiortc_codecs, "CODECS", object()):
        problems.append("RTCPeerConnection no longer reads aiortc.codecs.CODECS (install_codecs would not apply)")
    if not hasattr(aiortc_rtp.HeaderExtensions(), "rtp_stream_id"):
        problems.append("aiortc.rtp.HeaderExtensions has no rtp_stream_id")
    from studio.outputs.aiortc_adapter import turn  # every TURN URL's relay, servers learned late

    problems.extend(turn.check_internals())
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
    "AiortcInternalsChanged",
    "DTLS_RTCP_DATA_METHOD",
    "DTLS_TRANSPORT_METHODS",
    "SENDER_NTP_TIMESTAMP",
    "SENDER_OCTET_COUNT",
    "SENDER_PACKET_COUNT",
    "SENDER_PRIVATE_ATTRIBUTES",
    "SENDER_RTP_TIMESTAMP",
    "SENDER_PRIVATE_METHODS",
    "SENDER_SEMI_PRIVATE_ATTRIBUTES",
    "TRANSCEIVER_CODECS_ATTRIBUTE",
    "TRANSCEIVER_SENDER_ATTRIBUTE",
    "check_internals",
]
