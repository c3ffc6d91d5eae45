"""The transport's per-packet Python work alone: ``bridgecast bench pipeline --sender-path``.

The whole-chain figure (``bench pipeline``) moves by a percent of a core from run to run on a
shared machine, more than a change to the send path saves.  This mode runs one
:class:`~studio.outputs.aiortc_adapter.send.PacketSender` as the publisher configures it (H.264,
rid, mid, abs-send-time and transport-wide sequence numbers, the retransmission history) on an
asyncio loop, hands it ``--frames`` encoded frames at once (the sizes of the 1080p ladder's
layers on the test pattern: two to three packets a frame, a keyframe every 60) and reads the
loop thread's CPU time.  The transport only counts: SRTP, ICE and the socket are not in the
figure (SRTP alone: :func:`srtp_us_per_packet`).  ``--profile`` adds cProfile's top functions.
Packets are sent back to back, without pacing: what is measured is the work, not the waiting.
"""
from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import time
from typing import Any

import av

# Frame sizes (bytes) of the three layers on the test pattern at 1080p30 (≈ 630, 450 and
# 280 kbit/s); a keyframe is ten times larger.
LAYER_FRAME_BYTES = (2_600, 1_900, 1_150)
KEYFRAME_FACTOR = 10
KEYFRAME_INTERVAL = 60


class _CountingTransport:
    """What a PacketSender needs of an RTCDtlsTransport, counting what it is given."""

    state = "connected"
    _stats_id = "bench"

    def __init__(self) -> None:
        from aiortc.rtcdtlstransport import RtpRouter

        self.packets = 0
        self.bytes = 0
        self.rtcp_packets = 0  # aiortc's sender reports go the same way
        self.router = RtpRouter()

    def _register_rtp_sender(self, sender: Any, _parameters: Any) -> None:
        self.router.register_sender(sender, sender._ssrc)

    def _unregister_rtp_sender(self, sender: Any) -> None:
        self.router.unregister_sender(sender)

    def _get_stats(self) -> Any:
        from aiortc.stats import RTCStatsReport

        return RTCStatsReport()

    async def _send_rtp(self, data: bytes) -> None:
        from aiortc.rtp import is_rtcp

        if is_rtcp(data):
            self.rtcp_packets += 1
            return
        self.packets += 1
        self.bytes += len(data)


def _frame(size: int, index: int, is_keyframe: bool) -> bytes:
    """An Annex-B access unit: a ``size``-byte slice (after SPS + PPS for a keyframe); no zero
    bytes inside a unit, so no false start code and a known packet count."""
    def body(length: int) -> bytes:
        return os.urandom(length).replace(b"\x00", b"\x01")

    if is_keyframe:
        return b"\x00\x00\x00\x01\x67" + body(20) + b"\x00\x00\x00\x01\x68" + body(4) + b"\x00\x00\x00\x01\x65" + body(size)
    return b"\x00\x00\x00\x01\x41" + body(size)


async def _run(frames: int, profile: cProfile.Profile | None) -> dict[str, Any]:
    from aiortc.rtcrtpparameters import RTCRtcpParameters, RTCRtpHeaderExtensionParameters, RTCRtpSendParameters

    from studio.outputs.aiortc_adapter import send
    from studio.outputs.aiortc_adapter.codecs import install_codecs
    from studio.outputs.aiortc_adapter.tracks import EncodedVideoTrack
    from studio.outputs.clocks import RtpClock, WallClock
    from studio.outputs.packets import PacketItem
    from studio.outputs.transport_feedback import TransportCcTracker

    install_codecs()
    h264 = next(c for c in send.aiortc_codecs.CODECS["video"] if c.mimeType.lower() == "video/h264")
    transport = _CountingTransport()
    track = EncodedVideoTrack(rid="h", max_frames=frames + 1)
    sender = send.PacketSender(track, transport, rid="h", rtp_clock=RtpClock(90_000), wall_clock=WallClock())
    sender.rid_extension_id = 10
    sender.transport_cc = TransportCcTracker()
    parameters = RTCRtpSendParameters(codecs=[h264], muxId="0", headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
        RTCRtpHeaderExtensionParameters(id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
        RTCRtpHeaderExtensionParameters(id=5, uri="http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
    ])
    parameters.rtcp = RTCRtcpParameters(cname="bench", mux=True)
    await sender.send(parameters)
    await asyncio.sleep(0.01)
    items = []
    for index in range(frames):
        is_keyframe = index % KEYFRAME_INTERVAL == 0
        size = LAYER_FRAME_BYTES[index % len(LAYER_FRAME_BYTES)] * (KEYFRAME_FACTOR if is_keyframe else 1)
        packet = av.Packet(_frame(size, index, is_keyframe))
        packet.pts = index
        items.append(PacketItem(packet=packet, capture_ns=time.monotonic_ns(), is_keyframe=is_keyframe))
    if profile is not None:
        profile.enable()
    cpu0 = time.thread_time()
    for item in items:
        track.put(item)
    while sender.counters.frames < frames:
        await asyncio.sleep(0.005)  # the sender runs meanwhile; this wait costs a few wake-ups only
    cpu_s = time.thread_time() - cpu0
    if profile is not None:
        profile.disable()
    await sender.stop()
    return {"frames": frames, "packets": transport.packets, "cpu_s": cpu_s}


def srtp_us_per_packet(packets: int = 20_000, size: int = 1_200) -> float:
    """pylibsrtp's ``protect`` (what aiortc calls per packet), AES-128-GCM as Janus negotiates."""
    from pylibsrtp import Policy, Session

    session = Session(policy=Policy(key=os.urandom(28), ssrc_type=Policy.SSRC_ANY_OUTBOUND,
                                    srtp_profile=Policy.SRTP_PROFILE_AEAD_AES_128_GCM))
    header = bytearray(b"\x80\x60\x00\x00" + bytes(8))
    payload = os.urandom(size)
    cpu0 = time.thread_time()
    for sequence in range(packets):
        header[2:4] = (sequence & 0xFFFF).to_bytes(2, "big")
        session.protect(bytes(header) + payload)
    return round(1e6 * (time.thread_time() - cpu0) / packets, 2)


def run(frames: int = 3_000, *, repeat: int = 5, profile: bool = False, top: int = 15) -> dict[str, Any]:
    """The median of ``repeat`` runs (a shared machine: single runs vary by half)."""
    profiler = cProfile.Profile(time.thread_time) if profile else None
    runs = [asyncio.run(_run(frames, profiler if index == 0 else None)) for index in range(max(1, repeat))]
    per_packet = sorted(1e6 * r["cpu_s"] / max(1, r["packets"]) for r in runs)
    median_us = per_packet[len(per_packet) // 2]
    packets = runs[0]["packets"]
    result: dict[str, Any] = {
        "benchmark": "pipeline-sender-path",
        "frames": frames,
        "packets": packets,
        "repeat": len(runs),
        "cpu_us_per_packet": round(median_us, 2),
        "cpu_us_per_packet_runs": [round(value, 2) for value in per_packet],
        "cpu_us_per_frame": round(median_us * packets / max(1, frames), 2),
        "srtp_protect_us_per_packet": srtp_us_per_packet(),
        "note": ("one PacketSender (H.264, rid, mid, abs-send-time, transport-wide numbers, retransmission "
                 "history) sending back to back to a counting transport; CPU of the loop thread; SRTP apart"),
    }
    if profiler is not None:  # the first run's
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
        result["profile_top"] = [line.rstrip() for line in out.getvalue().splitlines() if line.strip()][-top:]
    return result
