"""Per-show stream stats: one JSON line per second while live, and the post-show summary.

Every show (app or headless) keeps its own ``--stats-jsonl``-schema file, so the post-show
review can say how the stream went: how long it was live, every outage and reconnect, how
much of the time the network limited quality and to which layer, RTT and loss.

``ShowStatsLog(session.stats, path).start()`` samples once per second on its own thread
(never on the GUI thread or the network loop) and appends a flushed line (a crash keeps what
was written).  A write failure (disk full, file removed, permissions) stops the log with a
message in words (``error``; ``on_error`` fires once); the show itself goes on.
``summarize(path)`` reads a log — complete, still growing, or cut by a crash.
"""
from __future__ import annotations

import json
import logging
import statistics
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from studio.core.events import Signal
from studio.core.i18n import _, ngettext
from studio.core.paths import config_dir
from studio.core.threads import set_native_name

log = logging.getLogger(__name__)

SAMPLE_INTERVAL_S = 1.0
STATS_DIR_NAME = "stats"


def default_stats_dir() -> Path:
    """Where the app keeps one stats file per show (next to the live show's database)."""
    return config_dir() / "live" / STATS_DIR_NAME


def new_stats_path(directory: Path | None = None, now: datetime | None = None) -> Path:
    """A fresh file name for a show starting ``now``: ``YYYYmmdd-HHMMSS.jsonl`` (UTC)."""
    directory = directory if directory is not None else default_stats_dir()
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    path = directory / f"{stamp}.jsonl"
    counter = 1
    while path.exists():
        counter += 1
        path = directory / f"{stamp}-{counter}.jsonl"
    return path


class ShowStatsLog:
    """Appends ``stats_fn()`` to ``path`` once per second until :meth:`stop`."""

    def __init__(self, stats_fn: Callable[[], dict[str, Any]], path: Path,
                 interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self.stats_fn = stats_fn
        self.path = Path(path)
        self.interval_s = float(interval_s)
        self.lines = 0
        self.error: str | None = None
        self.on_error = Signal()  # error=str, once
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handle: Any = None

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "ShowStatsLog":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            self._fail(exc)
            return self
        self._thread = threading.Thread(target=self._run, name="show-stats", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 3.0) -> None:
        """Write one last line (the final state) and close the file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self._close()

    def _run(self) -> None:
        set_native_name("stats")
        next_t = time.monotonic()
        while True:
            next_t += self.interval_s
            stopping = self._stop.wait(max(0.0, next_t - time.monotonic()))
            if not self._write_sample():
                return
            if stopping:
                return

    def _write_sample(self) -> bool:
        try:
            record = self.stats_fn()
        except Exception:  # a session being torn down: skip this second
            log.exception("show stats: reading the session's stats failed")
            return True
        if self._handle is None:
            return False
        try:
            self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            self._handle.flush()
        except (OSError, ValueError) as exc:  # ValueError: the file was closed under us
            self._fail(exc)
            self._close()
            return False
        self.lines += 1
        return True

    def _fail(self, exc: BaseException) -> None:
        if self.error is not None:
            return
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        self.error = _("Stream statistics are no longer saved to {path}: {reason}. The show goes on.").format(
            path=self.path, reason=reason)
        log.warning("%s", self.error)
        self.on_error.emit(error=self.error)

    def _close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                handle.close()
            except OSError:
                pass


# ---------------------------------------------------------------------------------------------
# The post-show summary
def read_records(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of a stats file and how many lines were unreadable (e.g. the last
    line of a file cut by a crash)."""
    records: list[dict[str, Any]] = []
    bad = 0
    with Path(path).open("r", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if isinstance(record, dict) and isinstance(record.get("t"), (int, float)):
                records.append(record)
            else:
                bad += 1
    return records, bad


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _spans(records: list[dict[str, Any]], predicate: Callable[[dict[str, Any]], bool]) -> list[tuple[float, float]]:
    """[start, end) wall-clock spans where ``predicate`` held (each record stands for the
    second up to the next record)."""
    spans: list[tuple[float, float]] = []
    start = None
    for record, following in zip(records, [*records[1:], None]):
        end = following["t"] if following is not None else record["t"] + SAMPLE_INTERVAL_S
        if predicate(record):
            start = record["t"] if start is None else start
            if following is None or not predicate(following):
                spans.append((start, end))
                start = None
    return spans


def _total(spans: Iterable[tuple[float, float]]) -> float:
    return round(sum(end - start for start, end in spans), 1)


def summarize(path: Path) -> dict[str, Any]:
    """How the stream went, from a stats file (see the module docstring)."""
    records, bad = read_records(path)
    summary: dict[str, Any] = {"file": str(path), "samples": len(records), "unreadable_lines": bad}
    if not records:
        summary["verdict"] = _("No stream statistics were recorded.")
        return summary
    records.sort(key=lambda r: r["t"])
    first, last = records[0]["t"], records[-1]["t"]
    live = [r for r in records if r.get("state") == "live"]
    outages = _spans(records, lambda r: r.get("state") == "reconnecting")
    layer_names: list[str] = []
    for record in records:
        for layer in record.get("layers") or []:
            if layer.get("rid") not in layer_names:
                layer_names.append(layer.get("rid"))
    layers: dict[str, Any] = {}
    for rid in layer_names:
        rows = [next((l for l in r.get("layers") or [] if l.get("rid") == rid), None) for r in live]
        rows = [row for row in rows if row is not None]
        active = [row for row in rows if row.get("active")]
        bitrates = [row["bitrate_bps"] for row in active if isinstance(row.get("bitrate_bps"), (int, float))]
        fps = [row["fps"] for row in active if isinstance(row.get("fps"), (int, float))]
        layers[rid] = {
            "active_share": round(len(active) / len(rows), 3) if rows else None,
            "median_bitrate_bps": int(statistics.median(bitrates)) if bitrates else None,
            "median_fps": round(statistics.median(fps), 1) if fps else None,
            "size": next((f"{row['width']}x{row['height']}" for row in reversed(rows)
                          if row.get("width") and row.get("height")), None),
        }
    top = layer_names[0] if layer_names else None

    def limited(record: dict[str, Any]) -> bool:
        if record.get("state") != "live" or top is None:
            return False
        return any(l.get("rid") == top and not l.get("active") for l in record.get("layers") or [])

    limited_spans = _spans(records, limited) if len(layer_names) > 1 else []
    rtts = [r["rtt_ms"] for r in live if isinstance(r.get("rtt_ms"), (int, float))]
    losses = [r["loss_fraction"] for r in live if isinstance(r.get("loss_fraction"), (int, float))]
    estimates = [r["available_bitrate_bps"] for r in live if isinstance(r.get("available_bitrate_bps"), (int, float))]
    dropped = [r["dropped_frames"] for r in records if isinstance(r.get("dropped_frames"), (int, float))]
    encoders = sorted({r["encoder"] for r in records if r.get("encoder")})
    reconnects = [r.get("reconnects") for r in records if isinstance(r.get("reconnects"), int)]
    summary.update({
        "started": datetime.fromtimestamp(first, timezone.utc).isoformat(timespec="seconds"),
        "ended": datetime.fromtimestamp(last, timezone.utc).isoformat(timespec="seconds"),
        "duration_s": round(last - first + SAMPLE_INTERVAL_S, 1),
        "live_s": _total(_spans(records, lambda r: r.get("state") == "live")),
        "final_state": records[-1].get("state"),
        "outages": [{"from_s": round(a - first, 1), "seconds": round(b - a, 1)} for a, b in outages],
        "reconnecting_s": _total(outages),
        "reconnects": max(reconnects) if reconnects else len(outages),
        "network_limited_s": _total(limited_spans),
        "layers": layers,
        "rtt_ms_p50": _percentile(rtts, 0.5),
        "rtt_ms_p95": _percentile(rtts, 0.95),
        "loss_fraction_p50": _percentile(losses, 0.5),
        "loss_fraction_max": max(losses) if losses else None,
        "estimate_bps_min": min(estimates) if estimates else None,
        "estimate_bps_p50": _percentile(estimates, 0.5),
        "dropped_frames": max(dropped) if dropped else None,  # the session's counter is cumulative
        "encoders": encoders,
    })
    summary["verdict"] = _verdict(summary, top)
    return summary


def _verdict(summary: dict[str, Any], top: str | None) -> str:
    live_s = summary["live_s"] or 0.0
    parts = [_("Live for {minutes} min.").format(minutes=round(live_s / 60.0, 1))]
    if summary["outages"]:
        count = len(summary["outages"])
        parts.append(ngettext("The connection dropped once, for {seconds} s, and came back by itself.",
                              "The connection dropped {count} times, {seconds} s in total, and came back by itself.",
                              count).format(count=count, seconds=summary["reconnecting_s"]))
    if summary["network_limited_s"] and live_s:
        share = round(100.0 * summary["network_limited_s"] / live_s)
        parts.append(_("The network limited quality for {share}% of the show (the top layer was paused).").format(share=share))
    elif live_s:
        parts.append(_("Every quality layer was sent for the whole show."))
    return " ".join(parts)
