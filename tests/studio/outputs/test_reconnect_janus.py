"""Reconnection against the real SFU (issue 5, "Reconnection" and "Must show"):

* Janus and simple-whip-server killed and restarted (the endpoint recreated with the same id, as
  a platform's persists): the publisher comes back live by itself, a subscriber decodes again,
  and the local recording (fed by the encoders, which never stop) has no gap;
* the network vanishing (the link shaper drops everything, both directions) for a while, then
  back: reconnecting, then live again, nobody touching anything;
* the server dropping the session (a VideoRoom ``kick``: Janus hangs the PeerConnection up).

Each test builds its own stack (a restart must not disturb other tests' shared stack).  The
product's ``LiveSession`` (640x360 test pattern → x264 h/m/l → WHIP) runs in the client
namespace; an aiortc subscriber through Janus decodes.  Times are measured and printed;
asserted only with generous bounds.
"""
from __future__ import annotations

import os
import time

import pytest

from studio.outputs.publisher import FAILED, LIVE, RECONNECTING, STOPPED

from studio.golive.session import LiveSession
from bench.testbed import harness
from bench.testbed.harness import JanusSubscriber, call_in_netns
from bench.testbed.recording import largest_gap, recorded_video_times
from tests.sfu.fixtures import require_sfu
from tests.helpers import wait_until
from tests.studio.outputs.test_publish_janus import Program, three_layers

ENDPOINT_ID = "show1"
MAX_RECORDING_GAP_S = 0.5
# The issue says 30 s; 10 s keeps the suite short.  BRIDGECAST_NETWORK_OUTAGE_S=30 runs the
# issue's figure (measured: see the report printed by the test).
NETWORK_OUTAGE_S = float(os.environ.get("BRIDGECAST_NETWORK_OUTAGE_S", "10"))


@pytest.fixture
def stack(tmp_path):
    require_sfu()
    with harness.sfu_stack(tmp_path / "sfu") as sfu:
        yield sfu


@pytest.fixture
def split_stack(tmp_path):
    require_sfu()
    with harness.sfu_stack(tmp_path / "sfu", split=True) as sfu:
        yield sfu


@pytest.fixture
def program():
    program = Program(640, 360).start()
    yield program
    program.stop()


def go_live(sfu, program, url: str, **options) -> LiveSession:
    session = LiveSession((program.compositor, program.mixer), url, None, three_layers(640, 360), "h264", "libx264",
                          **options)
    call_in_netns(sfu.client_ns, session.start, timeout=30)
    assert session.wait_live(25), f"state {session.state}: {session.failure}"
    return session


def decodes_top_layer(sfu, frames: int = 10, timeout: float = 20.0) -> int:
    """Subscribe through Janus, ask for the top layer, return how many frames were decoded."""
    with JanusSubscriber(sfu.janus, display=ENDPOINT_ID) as sub:
        sub.wait_frames(3, timeout=timeout)
        sub.select_substream(2)
        sub.wait_for_size(640, 360, timeout=timeout)
        sub.wait_frames(frames, timeout=timeout)
        return sub.total_frames


# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["stop", "kill"])
def test_janus_and_whip_server_restart_is_recovered_and_the_recording_has_no_gap(stack, program, tmp_path, how, capsys):
    """``stop``: SIGTERM (Janus hangs up: aiortc sees DTLS close at once); ``kill``: SIGKILL
    (nothing said: found by the server's silence, ICE-restart PATCHes refused until the
    endpoint is back and says the session is gone, then a fresh session)."""
    url = stack.whip.create_endpoint(ENDPOINT_ID)
    record = tmp_path / "show.mkv"
    session = go_live(stack, program, url, record_path=record)
    states: list[tuple[float, str]] = []
    session.on_state.connect(lambda state, failure=None: states.append((time.monotonic(), state)))
    try:
        assert decodes_top_layer(stack) >= 10
        time.sleep(1.0)
        recorded_before_s = session.recorder.stats().get("duration_s")

        killed = time.monotonic()
        if how == "kill":
            stack.whip.kill()
            stack.janus.kill()
        else:
            stack.whip.stop()
            stack.janus.stop()
        assert session.publisher.wait_for_state(RECONNECTING, FAILED, timeout=15), session.state
        detected_s = time.monotonic() - killed
        time.sleep(2.0)  # down for a while: attempts hit refused connections
        refused_attempts = session.publisher.reconnect.attempt

        stack.janus.start()
        stack.whip.start()
        stack.whip.create_endpoint(ENDPOINT_ID)  # the platform's endpoint persists
        back = time.monotonic()
        assert session.publisher.wait_for_state(LIVE, FAILED, timeout=45), session.state
        assert session.state == LIVE, session.failure
        live_again = time.monotonic()
        stats = session.stats()
        assert stats["reconnects"] == 1 and stats["reconnect_attempt"] == 0
        assert stats["last_outage_s"] is not None
        assert decodes_top_layer(stack) >= 10  # viewers see the show again
        time.sleep(1.0)
    finally:
        session.stop()
    assert session.state == STOPPED
    assert [s for _, s in states][:2] == [RECONNECTING, LIVE], states

    times, errors = recorded_video_times(record)
    assert errors == 0
    assert len(times) > 30 * 5
    # The recording spans the outage (its timeline starts at the first keyframe) ...
    outage_start = recorded_before_s if recorded_before_s is not None else 2.0
    outage_end = outage_start + (live_again - killed) + 0.5
    assert times[-1] > outage_end, (times[-1], outage_end)
    # ... without a gap anywhere, the outage included.
    gap = largest_gap(times, 0.0, times[-1])
    assert gap <= MAX_RECORDING_GAP_S, gap
    with capsys.disabled():
        print(f"\n[janus {how} + restart] loss detected after {detected_s:.2f} s; attempts while down {refused_attempts}; "
              f"live {live_again - back:.2f} s after the servers were back ({live_again - killed:.2f} s outage); "
              f"recording {len(times)} frames over {times[-1]:.1f} s, largest gap {gap * 1000:.0f} ms; "
              f"history {session.publisher.reconnect.history}")


@pytest.mark.parametrize("outage_s", [NETWORK_OUTAGE_S])
@pytest.mark.parametrize(
    "directions, ice_restart",
    [(("up", "down"), True), (("up",), True), (("up", "down"), False)],
    ids=["both_ways-ice_restart", "uplink_only-ice_restart", "both_ways-new_session"],
)
def test_network_vanishing_is_recovered_without_touching_anything(split_stack, program, outage_s, directions,
                                                                  ice_restart, capsys):
    """Everything lost (both directions), or only what we send (Janus's receiver reports and
    REMB keep coming on a timer: detected from transport-cc feedback stopping).  With ICE
    restart (simple-whip-server answers ``Accept-Patch``) the same WHIP session and DTLS
    carry on; without it, a fresh WHIP session (after DELETEing the stale one)."""
    sfu = split_stack
    url = sfu.whip.create_endpoint(ENDPOINT_ID)
    up, down = sfu.shaper("up"), sfu.shaper("down")
    up.start()
    down.start()
    session = None
    try:
        session = go_live(sfu, program, url, ice_restart=ice_restart)
        assert decodes_top_layer(sfu) >= 10
        time.sleep(1.0)
        vanished = time.monotonic()
        for direction in directions:
            (up if direction == "up" else down).set(loss=100.0)
        assert session.publisher.wait_for_state(RECONNECTING, FAILED, timeout=outage_s + 5), session.state
        detected_s = time.monotonic() - vanished
        remaining = outage_s - (time.monotonic() - vanished)
        if remaining > 0:
            time.sleep(remaining)
        assert session.state == RECONNECTING, session.state  # never gave up, never "failed"
        snapshot = session.publisher.reconnect_snapshot()
        cleared = time.monotonic()
        up.clear()
        down.clear()
        assert session.publisher.wait_for_state(LIVE, FAILED, timeout=45), session.state
        assert session.state == LIVE, session.failure
        back_s = time.monotonic() - cleared
        assert decodes_top_layer(sfu) >= 10
        stats = session.stats()
        assert stats["reconnects"] == 1
        history = session.publisher.reconnect.history
        assert history[-1]["how"] == ("ice_restart" if ice_restart else "new_session"), history
        assert session.publisher.sessions == (1 if ice_restart else 2)
    finally:
        if session is not None:
            session.stop()
        up.stop()
        down.stop()
    assert wait_until(lambda: not sfu.janus.publishers(), 10), sfu.janus.list_participants()
    with capsys.disabled():
        print(f"\n[network gone {outage_s:.0f} s, {'+'.join(directions)}] reconnecting after {detected_s:.2f} s "
              f"(attempt {snapshot['reconnect_attempt']}, last failure {snapshot['last_failure']!r}); "
              f"live {back_s:.2f} s after the network came back; history {session.publisher.reconnect.history}")


def test_server_dropping_the_session_is_recovered(stack, program, capsys):
    url = stack.whip.create_endpoint(ENDPOINT_ID)
    session = go_live(stack, program, url)
    try:
        assert decodes_top_layer(stack) >= 10
        dropped = time.monotonic()
        assert stack.janus.kick_publishers() == 1
        assert session.publisher.wait_for_state(RECONNECTING, FAILED, timeout=15), session.state
        detected_s = time.monotonic() - dropped
        assert session.publisher.wait_for_state(LIVE, FAILED, timeout=30), session.state
        assert session.state == LIVE, session.failure
        back_s = time.monotonic() - dropped
        assert decodes_top_layer(stack) >= 10
        assert session.publisher.reconnects == 1
        # The encoders kept running and the new session starts on a keyframe on every layer.
        for layer in session.publisher.stats()["layers"]:
            assert layer["keyframes"] >= 1, layer
    finally:
        session.stop()
    with capsys.disabled():
        print(f"\n[session dropped] reconnecting after {detected_s:.2f} s, live again after {back_s:.2f} s; "
              f"history {session.publisher.reconnect.history}")
