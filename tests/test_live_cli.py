"""``bridgecast live`` headless, run as a user runs it, against the built-in rehearsal receiver."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def live(*args, timeout=120, env=None):
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", "live", *args],
        cwd=ROOT,
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_live_to_rehearsal_receiver_writes_stats_and_exits_zero(tmp_path):
    stats = tmp_path / "s.jsonl"
    result = live("--canvas", "640x360", "--duration", "6", "--stats-jsonl", str(stats))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in stats.read_text().splitlines()]
    assert records[-1]["state"] == "stopped"
    live_records = [r for r in records if r["state"] == "live"]
    assert live_records, [r["state"] for r in records]
    last = live_records[-1]
    for key in ("t", "state", "layers", "rtt_ms", "loss_fraction", "available_bitrate_bps", "dropped_frames", "encoder"):
        assert key in last
    layers = {layer["rid"]: layer for layer in last["layers"]}
    assert set(layers) == {"h", "m", "l"}
    assert all(layer["active"] and layer["bitrate_bps"] for layer in layers.values())
    assert (layers["m"]["width"], layers["m"]["height"]) == (320, 180)
    for layer in layers.values():
        assert set(layer) >= {"rid", "width", "height", "fps", "bitrate_bps", "keyframes", "active"}


def test_single_layer(tmp_path):
    stats = tmp_path / "s.jsonl"
    result = live("--canvas", "640x360", "--duration", "4", "--layers", "h", "--no-audio", "--stats-jsonl", str(stats))
    assert result.returncode == 0, result.stderr
    live_records = [json.loads(line) for line in stats.read_text().splitlines() if '"live"' in line]
    assert [layer["rid"] for layer in live_records[-1]["layers"]] == ["h"]


def test_unreachable_server_is_one_line_in_words_without_the_token():
    result = live("--canvas", "640x360", "--duration", "5", "--whip", "http://127.0.0.1:9/whip", env={"BRIDGECAST_WHIP_TOKEN": "tok-SECRET-42"})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["error: Cannot reach the WHIP server (connection refused)"]
    assert "SECRET" not in result.stdout + result.stderr


def test_bad_option_named():
    result = live("--layers", "h,x")
    assert result.returncode == 2 and "--layers" in result.stderr


def test_live_with_catalog_and_control_api(tmp_path):
    """The contract: `bridgecast live --catalog FILE --control-port P`; pin needs the token."""
    import socket
    import time
    import urllib.error
    import urllib.request

    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,title,price,currency,stock\nSCARF-1,Silk scarf,29.99,USD,40\nMUG-2,Travel mug,12.50,USD,100\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "ctl-token-123"
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "live", "--canvas", "640x360", "--duration", "25", "--no-audio",
         "--catalog", str(catalog), "--control-port", str(port), "--show-db", str(tmp_path / "show.db")],
        cwd=ROOT, env=dict(os.environ, BRIDGECAST_CONTROL_TOKEN=token), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1"

    def call(method, path, with_token=True):
        request = urllib.request.Request(base + path, method=method, data=b"" if method == "POST" else None)
        if with_token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, products = call("GET", "/products")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "control API never came up"
                time.sleep(0.3)
        assert status == 200 and {p["sku"] for p in products} == {"SCARF-1", "MUG-2"}
        try:
            call("POST", "/products/SCARF-1/pin", with_token=False)
            raise AssertionError("pin without a token must be refused")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        assert call("GET", "/state")[1]["pinned_sku"] is None  # the refused request changed nothing
        assert call("POST", "/products/SCARF-1/pin")[0] == 200
        assert call("GET", "/state")[1]["pinned_sku"] == "SCARF-1"
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert token not in out + err


def test_live_records_the_top_layer_while_streaming(tmp_path):
    import av

    recording = tmp_path / "show.mkv"
    result = live("--canvas", "640x360", "--duration", "6", "--record", str(recording))
    assert result.returncode == 0, result.stderr
    with av.open(str(recording)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (640, 360)  # the h layer, not a re-encode
        assert container.streams.audio, "audio recorded too"
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 60  # several seconds at 30 fps


def test_recording_to_an_impossible_path_warns_and_streaming_goes_on(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    stats = tmp_path / "s.jsonl"
    result = live("--canvas", "640x360", "--duration", "5", "--record", str(blocker / "show.mkv"), "--stats-jsonl", str(stats))
    assert result.returncode == 0, result.stderr
    assert "recording stopped" in result.stderr
    assert any('"live"' in line for line in stats.read_text().splitlines())


def test_every_show_keeps_its_stats_and_review_summarizes_them(isolated_settings):
    # A webhook nobody answers must not cost the stream either.
    result = live("--canvas", "640x360", "--duration", "5", "--no-audio", "--webhook", "http://127.0.0.1:9/hook")
    assert result.returncode == 0, result.stderr
    kept = list((isolated_settings / "live" / "stats").glob("*.jsonl"))
    assert len(kept) == 1, kept
    review = subprocess.run([sys.executable, "-m", "ui.cli", "review", "--json"], capture_output=True, text=True,
                            timeout=60, env=dict(os.environ))
    assert review.returncode == 0, review.stderr
    report = json.loads(review.stdout.strip().splitlines()[-1])
    stream = report["streams"][0]
    assert stream["file"] == str(kept[0])
    assert stream["live_s"] >= 2 and stream["final_state"] == "stopped"
    assert set(stream["layers"]) == {"h", "m", "l"} and stream["layers"]["l"]["active_share"] > 0.5
    assert stream["outages"] == [] and "Live for" in stream["verdict"]
    text = subprocess.run([sys.executable, "-m", "ui.cli", "review"], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ))
    assert text.returncode == 0 and "Every quality layer was sent" in text.stdout


def test_review_without_any_show_says_so(isolated_settings):
    review = subprocess.run([sys.executable, "-m", "ui.cli", "review"], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ))
    assert review.returncode == 1
    assert review.stderr.strip() == "error: no show statistics yet (they are kept for every show from now on)"


def test_locale_is_checked_in_words():
    result = live("--duration", "2", "--locale", "xx_QQ")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "error: --locale must be a known locale such as en_US, th_TH or ar_SA, not “xx_QQ”"


def test_a_busy_server_is_waited_for_in_words_before_going_live():
    from tests.studio.outputs.whip_test_server import ThreadedWhipTestServer

    server = ThreadedWhipTestServer(token="tok-SECRET-43")
    server.post_status = (503, {"Retry-After": "1"}, "maintenance")
    server.start_in_thread()
    try:
        result = live("--canvas", "640x360", "--duration", "20", "--whip", server.endpoint_url,
                      env={"BRIDGECAST_WHIP_TOKEN": "tok-SECRET-43"})
    finally:
        server.stop_thread()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    waits = [line for line in lines if line.startswith("warning:")]
    assert len(waits) == 3 and all("busy (503); trying again in 1 s" in line for line in waits), lines
    assert "try 2 of 4" in waits[0] and "try 4 of 4" in waits[-1]
    assert result.returncode == 1 and lines[-1].startswith("error:") and "busy" in lines[-1], lines
    assert len(server.requests_of("POST")) == 4
    assert "SECRET" not in result.stdout + result.stderr


def test_connect_brings_a_platforms_chat_and_viewers_into_the_show(tmp_path):
    import sqlite3

    from bench.testbed.platforms.youtube import YouTubeStandIn

    youtube = YouTubeStandIn(page_size=20, polling_interval_ms=40).start()
    try:
        youtube.concurrent_viewers = 57
        for i in range(3):
            youtube.add_message(f"viewer{i}", f"how much is it {i}?")
        db = tmp_path / "show.db"
        result = live("--canvas", "640x360", "--duration", "6", "--layers", "h", "--show-db", str(db),
                      "--connect", "youtube:bc-1", "--connect", "twitch:somechannel",
                      env={"BRIDGECAST_YOUTUBE_TOKEN": "ya29.first-token", "BRIDGECAST_YOUTUBE_API_BASE": youtube.origin,
                           "BRIDGECAST_TWITCH_TOKEN": "", "XDG_CONFIG_HOME": str(tmp_path / "config")})
    finally:
        youtube.stop()
    assert result.returncode == 0, result.stderr
    # Twitch has no token here: one warning in words; YouTube and the show went on.
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "twitch:somechannel" in warnings[0] and "BRIDGECAST_TWITCH_TOKEN" in warnings[0], warnings
    with sqlite3.connect(db) as con:
        comments = [row[0] for row in con.execute("SELECT json_extract(data, '$.platform') FROM events WHERE type = 'comment.received'")]
        viewers = [row[0] for row in con.execute("SELECT json_extract(data, '$.count') FROM events WHERE type = 'platform.viewers'")]
    assert comments == ["youtube"] * 3 and viewers and viewers[-1] == 57
    assert "ya29" not in result.stdout + result.stderr


def test_connect_refuses_an_unknown_platform_up_front():
    result = live("--connect", "myspace:abc")
    assert result.returncode == 2 and "--connect" in result.stderr and "youtube" in result.stderr


def test_connected_show_killed_mid_show_comes_back_with_its_audience(tmp_path):
    import signal
    import sqlite3
    import time

    from bench.testbed.platforms.youtube import YouTubeStandIn
    from studio.live.audience import ShowAudience
    from studio.live.session import LiveShow
    from tests.helpers import wait_until

    youtube = YouTubeStandIn(page_size=20, polling_interval_ms=40).start()
    db = tmp_path / "show.db"
    try:
        youtube.concurrent_viewers = 88
        ids = [youtube.add_message(f"viewer{i}", f"price {i}?") for i in range(4)]
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "live", "--canvas", "640x360", "--layers", "h", "--duration", "60",
             "--show-db", str(db), "--connect", "youtube:bc-1"], cwd=ROOT,
            env=dict(os.environ, BRIDGECAST_YOUTUBE_TOKEN="ya29.first-token", BRIDGECAST_YOUTUBE_API_BASE=youtube.origin,
                     XDG_CONFIG_HOME=str(tmp_path / "config")),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        def journaled() -> tuple[int, int]:
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
                    comments = con.execute("SELECT COUNT(*) FROM events WHERE type = 'comment.received'").fetchone()[0]
                    viewers = con.execute("SELECT COUNT(*) FROM events WHERE type = 'platform.viewers'").fetchone()[0]
                return comments, viewers
            except sqlite3.Error:
                return 0, 0

        try:
            assert wait_until(lambda: journaled()[0] == 4 and journaled()[1] >= 1 or process.poll() is not None, 40)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        assert journaled()[0] == 4, process.stderr.read()
    finally:
        youtube.stop()
    # Restart on the same database (no platform reachable now): the queue and the counts are back.
    live = LiveShow(None, db)
    audience = ShowAudience(live)
    try:
        assert [c for c in live.comments.by_id] == [f"youtube:{i}" for i in ids]
        assert audience.viewers() == {"youtube": 88}
        assert live.was_interrupted
    finally:
        live.stop()
        live.store.close()
