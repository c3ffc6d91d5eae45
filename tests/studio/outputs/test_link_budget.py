"""The shared connection budget: all layers together stay within the estimate, the lowest first."""
from __future__ import annotations

import asyncio
import time

import pytest

from studio.outputs.aiortc_adapter import send
from studio.outputs.aiortc_adapter.codecs import install_codecs
from studio.outputs.aiortc_adapter.send import PacketSender
from studio.outputs.aiortc_adapter.simulcast import SimulcastVideo
from studio.outputs.aiortc_adapter.tracks import EncodedVideoTrack
from studio.outputs.clocks import RtpClock, WallClock
from studio.outputs.pacing import LINK_BACKLOG_ALLOWANCE_S, LinkBudget, Pacer
from tests.studio.outputs.test_aiortc_adapter_send import RecordingTransport, item, run, send_parameters


def test_budget_books_and_drains_at_its_rate():
    budget = LinkBudget(8_000_000, burst_s=0.0)  # 1 MB/s
    assert budget.backlog_s(10.0) == 0.0
    budget.book(10_000, 10.0)
    assert budget.backlog_s(10.0) == pytest.approx(0.010)
    assert budget.backlog_s(10.005) == pytest.approx(0.005)
    assert budget.backlog_s(10.020) == 0.0
    budget.set_rate(None)  # unlimited: nothing is ever owed
    budget.book(10**7, 11.0)
    assert budget.backlog_s(11.0) == 0.0


def test_lowest_layer_goes_first_and_the_top_layer_waits_for_the_budget():
    install_codecs()
    h264 = next(c for c in send.aiortc_codecs.CODECS["video"] if c.parameters.get("profile-level-id") == "42e02a")
    rate_bps = 1_000_000
    transport = RecordingTransport()
    wall, clock = WallClock(), RtpClock(90_000)

    async def scenario():
        budget = LinkBudget(rate_bps)
        senders = {}
        for rid, allowance in (("h", LINK_BACKLOG_ALLOWANCE_S[2]), ("l", LINK_BACKLOG_ALLOWANCE_S[0])):
            track = EncodedVideoTrack(rid=rid, max_frames=100)
            sender = PacketSender(track, transport, rid=rid, rtp_clock=clock, wall_clock=wall,
                                  pacer=Pacer(20_000_000))
            sender.link_budget, sender.link_backlog_allowance_s = budget, allowance
            await sender.send(send_parameters(h264, []))
            senders[rid] = sender
        await asyncio.sleep(0.01)
        start = time.monotonic()
        # "h" offers 4 Mbit/s (50 kB every 100 ms), "l" 80 kbit/s (1 kB every 100 ms), for 1 s.
        l_put: list[float] = []
        for frame in range(10):
            senders["h"].track.put(item(50_000, keyframe=frame == 0, capture_ns=time.monotonic_ns()))
            senders["l"].track.put(item(1_000, keyframe=frame == 0, capture_ns=time.monotonic_ns()))
            l_put.append(time.monotonic())
            await asyncio.sleep(0.1)
        elapsed = time.monotonic() - start
        l_delays = list(senders["l"].send_delay_ms)
        for sender in senders.values():
            await sender.stop()
        return senders, elapsed, l_delays, budget

    senders, elapsed, l_delays, budget = run(scenario(), timeout=20)
    h_ssrc = senders["h"]._ssrc
    sent_bits = sum(len(data) * 8 for t, data in transport.rtp)
    h_frames = senders["h"].counters.frames
    # Everything together went out at about the budget (headroom for the burst and headers) ...
    assert sent_bits / elapsed <= rate_bps * 1.3, f"{sent_bits / elapsed:.0f} bit/s through a {rate_bps} budget"
    # ... "h" could not send its 4 Mbit/s: it waited ...
    assert h_frames < 10 and budget.waits > 0
    assert any(send.aiortc_rtp.RtpPacket.parse(data).ssrc == h_ssrc for _, data in transport.rtp)
    # ... while every "l" frame left at once (capture -> sent, ms), never behind "h".
    assert senders["l"].counters.frames == 10
    assert max(l_delays) < 30, l_delays


def test_simulcast_video_gives_each_published_layer_its_allowance():
    async def scenario():
        from aiortc import RTCPeerConnection

        pc = RTCPeerConnection()
        try:
            video = SimulcastVideo(pc, ["h", "m", "l"], "h264", wall_clock=WallClock())
            three = {plan.rid: plan.sender.link_backlog_allowance_s for plan in video.apply_answer(["h", "m", "l"], 4) and video.published}
            two = {plan.rid: plan.sender.link_backlog_allowance_s for plan in video.apply_answer(["h", "m"], 4) and video.published}
            assert all(plan.sender.link_budget is video.link_budget for plan in video.published)
            video.set_link_budget(500_000)
            return three, two, video.link_budget.rate_bps
        finally:
            await pc.close()

    three, two, rate = run(scenario())
    assert three == {"l": None, "m": LINK_BACKLOG_ALLOWANCE_S[1], "h": LINK_BACKLOG_ALLOWANCE_S[2]}
    assert two == {"m": None, "h": LINK_BACKLOG_ALLOWANCE_S[1]}  # the lowest published never waits
    assert rate == 500_000
