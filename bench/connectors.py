"""Platform connectors under a busy show: ``bridgecast bench connectors --json``.

YouTube (stand-in of the Data API v3, bench/testbed/platforms/youtube.py), Twitch (stand-in
of IRC over WebSocket) and the generic inbound route (``ConnectorHub.ingest``, what
``POST /api/v1/platform-events`` calls) feed one live show (:class:`~studio.live.session.LiveShow`
through :class:`~studio.live.audience.ShowAudience`, journal on disk) at ``--per-minute``
comments a minute in total (default 3,000: 40 % YouTube, 40 % Twitch, 20 % generic) for
``--seconds`` (default 300).

Reported:

* ``lost`` / ``duplicated``: every comment the platforms sent against the journal's
  ``comment.received`` rows (by platform id) — both must be 0;
* ``lag_ms`` p50/p95/p99/max, per source and overall: from the moment a platform made a
  comment available (YouTube: the first ``liveChatMessages.list`` answer holding it — the
  connector waits ``pollingIntervalMillis`` between polls, as YouTube asks, which is not ours
  to shorten; Twitch: the PRIVMSG sent; generic: the call) to the journal's ``event`` signal
  for it, which is what the live panel's queue listens to (the panel's own Qt hop to the GUI
  thread is not in this figure);
* ``cpu_percent_of_one_core`` of the process (stand-ins included: an upper bound of ours).

Target (issue 16): none lost or duplicated; lag p99 ≤ 100 ms.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import CpuMeter, emit, percentile

DEFAULT_SECONDS = 300.0
DEFAULT_PER_MINUTE = 3000
SHARES = {"youtube": 0.4, "twitch": 0.4, "generic": 0.2}
LAG_TARGET_MS = 100.0
YOUTUBE_POLL_MS = 1000  # what YouTube typically announces for a busy chat


def _env(youtube: Any, twitch: Any) -> dict[str, str]:
    return {
        "BRIDGECAST_YOUTUBE_TOKEN": "ya29.first-token", "BRIDGECAST_YOUTUBE_API_BASE": youtube.origin,
        "BRIDGECAST_YOUTUBE_REFRESH_TOKEN": youtube.refresh_token, "BRIDGECAST_YOUTUBE_CLIENT_ID": youtube.client_id,
        "BRIDGECAST_YOUTUBE_CLIENT_SECRET": youtube.client_secret,
        "BRIDGECAST_TWITCH_TOKEN": "oauth:first-access-token", "BRIDGECAST_TWITCH_REFRESH_TOKEN": twitch.refresh_token,
        "BRIDGECAST_TWITCH_CLIENT_ID": twitch.client_id, "BRIDGECAST_TWITCH_CLIENT_SECRET": twitch.client_secret,
        "BRIDGECAST_TWITCH_NICK": twitch.bot_login, "BRIDGECAST_TWITCH_API_BASE": twitch.origin,
    }


class _Feed:
    """Says comments on each platform at a steady rate and notes when each became available."""

    def __init__(self, youtube: Any, twitch: Any, audience: Any, per_minute: float, seconds: float) -> None:
        self.youtube, self.twitch, self.audience = youtube, twitch, audience
        self.per_second = {name: per_minute * share / 60.0 for name, share in SHARES.items()}
        self.seconds = seconds
        self.sent: dict[str, dict[str, float]] = {name: {} for name in SHARES}  # platform id -> available at
        self.errors: list[str] = []
        self._stop = threading.Event()

    def run(self) -> None:
        threads = [threading.Thread(target=self._say, args=(name,), name=f"bench-feed-{name}", daemon=True) for name in SHARES]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(self.seconds + 60)

    def _say(self, name: str) -> None:
        interval = 1.0 / self.per_second[name]
        started = time.monotonic()
        count = 0
        while True:
            due = started + count * interval
            if due - started >= self.seconds:
                return
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            text = f"{name} comment {count}: is the {count % 7 + 36} size in stock?"
            try:
                if name == "youtube":
                    message_id = self.youtube.add_message(f"yt{count % 500}", text)
                    self.sent[name][message_id] = float("nan")  # available when first served
                elif name == "twitch":
                    at = time.monotonic()
                    message_id = self.twitch.say(f"tw{count % 500}", text)
                    self.sent[name][message_id] = at
                else:
                    message_id = f"g-{count}"
                    at = time.monotonic()
                    self.audience.hub.ingest({"platform": "tiktok", "type": "comment", "id": message_id,
                                              "author": f"tk{count % 500}", "text": text})
                    self.sent[name][message_id] = at
            except Exception as exc:  # a feed failure is reported, not a crash of the run
                self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            count += 1


def run(seconds: float, per_minute: float) -> dict[str, Any]:
    from bench.testbed.platforms.twitch import TwitchStandIn
    from bench.testbed.platforms.youtube import YouTubeStandIn
    from studio.live.audience import ShowAudience, comment_id
    from studio.live.session import LiveShow

    youtube = YouTubeStandIn(page_size=2000, polling_interval_ms=YOUTUBE_POLL_MS).start()
    twitch = TwitchStandIn().start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-connectors-"))
    live = LiveShow(None, workdir / "show.db")
    received: dict[str, float] = {}  # comment queue id -> journal event time
    lock = threading.Lock()

    def on_event(event: dict[str, Any]) -> None:
        if event.get("type") == "comment.received":
            at = time.monotonic()
            with lock:
                received.setdefault(event["data"]["id"], at)

    live.journal.event.connect(on_event)
    audience = ShowAudience(live)
    env = _env(youtube, twitch)
    audience.connect("youtube:bc-1", env=env)
    audience.connect(f"twitch:{twitch.channel}", env=env)
    audience.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (twitch.joined and all(s["state"] == "live" for s in audience.statuses())):
            time.sleep(0.1)
        feed = _Feed(youtube, twitch, audience, per_minute, seconds)
        with CpuMeter() as cpu:
            feed.run()
            settle = time.monotonic() + YOUTUBE_POLL_MS / 1000 * 3 + 5
            total = sum(len(ids) for ids in feed.sent.values())
            while time.monotonic() < settle:
                with lock:
                    if len(received) >= total:
                        break
                time.sleep(0.1)
        statuses = audience.statuses()
        journal_rows = live.store.count_events("comment.received")
    finally:
        audience.stop()
        live.stop()
        youtube.stop()
        twitch.stop()
    platform_of = {"youtube": "youtube", "twitch": "twitch", "generic": "tiktok"}
    sources: dict[str, Any] = {}
    lags_all: list[float] = []
    lost_total = 0
    for name, sent in feed.sent.items():
        lags = []
        lost = 0
        for message_id, available in sent.items():
            if name == "youtube":
                available = youtube.served_at.get(message_id, float("nan"))
            at = received.get(comment_id(platform_of[name], message_id))
            if at is None:
                lost += 1
            elif available == available:  # not NaN
                lags.append(1000.0 * (at - available))
        lost_total += lost
        lags_all += lags
        sources[name] = {"sent": len(sent), "lost": lost, "lag_ms": _lag_summary(lags)}
    duplicated = journal_rows - len(received)
    lag = _lag_summary(lags_all)
    return {
        "benchmark": "connectors", "seconds": seconds, "per_minute": per_minute,
        "sent": sum(s["sent"] for s in sources.values()), "journaled": journal_rows,
        "lost": lost_total, "duplicated": duplicated, "lag_ms": lag, "sources": sources,
        "cpu_percent_of_one_core": cpu.percent_of_one_core, "feed_errors": feed.errors[:10],
        "youtube_polling_interval_ms": YOUTUBE_POLL_MS, "connectors": statuses,
        "meets_targets": {"none_lost_or_duplicated": lost_total == 0 and duplicated == 0,
                          "lag_p99_le_100ms": lag["p99"] is not None and lag["p99"] <= LAG_TARGET_MS},
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _lag_summary(lags: list[float]) -> dict[str, Any]:
    return {"count": len(lags), "p50": percentile(lags, 50), "p95": percentile(lags, 95), "p99": percentile(lags, 99),
            "max": round(max(lags), 1) if lags else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bridgecast bench connectors", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--per-minute", type=float, default=DEFAULT_PER_MINUTE)
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 3600 and 1 <= args.per_minute <= 60_000):
        parser.error("--seconds must be 1..3600 and --per-minute 1..60000")
    result = run(args.seconds, args.per_minute)
    emit(result, args.json)
    return 0 if not result["lost"] and not result["duplicated"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
