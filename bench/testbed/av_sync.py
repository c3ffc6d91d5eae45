"""Is a pulled stream's sound in sync with its picture?  The time-code strip against the click track.

The test pattern stamps every frame with the time-code strip (shared/CONTRACTS.md): ``T``, the
wall-clock capture time in ms.  The click input (``studio.audio.inputs.ClickInput``) starts a
short 1 kHz burst at every whole wall-clock second.  A viewer of the stream therefore has two
clocks to compare with the stream's own timestamps:

* video: ``pts - T`` for every frame whose strip reads (its median: where the stream put the
  picture captured at wall time ``T``);
* audio: ``pts - S`` for every click onset, ``S`` the whole wall second it stands for (the
  nearest one to where the video mapping puts the onset; unambiguous while the streams are
  less than half a second apart).

The difference of the two medians is the A/V offset as a viewer plays it: positive when the
sound comes later than the picture it belongs to.  :func:`pull_av_sync` reads an RTMP (or any
PyAV-readable live) stream for a while and reports that, plus what :func:`rtmp_server.pull
<bench.testbed.rtmp_server.pull>` reports (codec, size, frame rate, keyframe spacing, audio
format) so one pull answers both.  Lives in ``bench/`` (never imports ``tests``).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.testbed.rtmp_server import PullReport, pull
from studio.timecode import MODULO, read_strip

CLICK_THRESHOLD = 0.25  # of the loudest sample: well above AAC's pre-echo, well below the burst
MIN_CLICK_PEAK = 0.05  # quieter than this (−26 dBFS) is no click track at all
CLICK_SPACING_S = 0.5  # onsets closer than this belong to one burst


def click_onsets(mono: np.ndarray, sample_rate: int, *, threshold: float = CLICK_THRESHOLD,
                 spacing_s: float = CLICK_SPACING_S) -> list[int]:
    """Sample indices where a click starts: the first sample above ``threshold`` × the peak
    after at least ``spacing_s`` without one."""
    mono = np.asarray(mono, dtype=np.float32)
    if mono.size == 0:
        return []
    magnitude = np.abs(mono)
    peak = float(magnitude.max())
    if peak < MIN_CLICK_PEAK:
        return []
    loud = np.flatnonzero(magnitude > threshold * peak)
    if loud.size == 0:
        return []
    spacing = int(spacing_s * sample_rate)
    starts = loud[np.concatenate(([True], np.diff(loud) > spacing))]
    return [int(index) for index in starts]


def strip_rows(frame: Any) -> np.ndarray:
    """The luma (Y plane, no copy) of a decoded frame's top rows, where the strip is: reading
    every frame of two streams must stay cheap next to the show being measured.  Limited-range
    Y (black 16, white 235) reads the same against the contract's 128 threshold."""
    plane = frame.planes[0]
    rows = min(frame.height, int(frame.width / 48 * 2) + 4)  # the strip's row ends at 2 cells
    luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
    return luma[:rows, :frame.width]


def unwrap_timecode_ms(stamped: int, around_ms: int) -> int:
    """The full wall-clock ms of a strip value (ms mod 2**32) read near ``around_ms``."""
    return int(around_ms) - ((int(around_ms) - int(stamped)) % MODULO)


@dataclass
class AvSyncReport:
    """What :func:`pull_av_sync` saw.  Times in the stream's own timeline unless named ``wall``."""

    stream: PullReport = field(default_factory=PullReport)
    strip_frames: list[tuple[float, int]] = field(default_factory=list)  # (pts_s, wall ms) read
    decoded_frames: int = 0
    clicks: list[tuple[float, int]] = field(default_factory=list)  # (onset pts_s, wall second ms)
    audio_samples: int = 0
    audio_peak: float = 0.0

    @property
    def strip_readable_rate(self) -> float | None:
        return len(self.strip_frames) / self.decoded_frames if self.decoded_frames else None

    @property
    def video_offset_ms(self) -> float | None:
        """Median of (video pts − strip time): where the stream put the picture of a wall instant."""
        if not self.strip_frames:
            return None
        return statistics.median(pts_s * 1000.0 - wall_ms for pts_s, wall_ms in self.strip_frames)

    @property
    def audio_offsets_ms(self) -> list[float]:
        return [pts_s * 1000.0 - second_ms for pts_s, second_ms in self.clicks]

    @property
    def av_offset_ms(self) -> float | None:
        """Median over clicks of (audio pts − click wall time) minus :attr:`video_offset_ms`:
        positive when sound lags the picture it belongs to."""
        video = self.video_offset_ms
        if video is None or not self.clicks:
            return None
        return statistics.median(self.audio_offsets_ms) - video

    @property
    def av_offset_spread_ms(self) -> float | None:
        """max − min of the per-click offsets (how steady the sync is over the pull)."""
        offsets = self.audio_offsets_ms
        return max(offsets) - min(offsets) if offsets else None

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None, digits: int = 1) -> float | None:
            return round(value, digits) if value is not None else None

        return dict(self.stream.as_dict(), decoded_frames=self.decoded_frames, strip_read=len(self.strip_frames),
                    strip_readable_rate=rounded(self.strip_readable_rate, 3), clicks=len(self.clicks),
                    video_offset_ms=rounded(self.video_offset_ms), av_offset_ms=rounded(self.av_offset_ms),
                    av_offset_spread_ms=rounded(self.av_offset_spread_ms), audio_peak=round(self.audio_peak, 3))


def _click_seconds(report: AvSyncReport, audio: list[tuple[float, np.ndarray]], sample_rate: int) -> None:
    """Find the click onsets in the decoded audio and name the wall second each stands for."""
    video_offset = report.video_offset_ms
    if not audio or video_offset is None:
        return
    starts = np.cumsum([0] + [len(samples) for _pts, samples in audio])
    mono = np.concatenate([samples for _pts, samples in audio])
    report.audio_samples = int(mono.size)
    report.audio_peak = float(np.abs(mono).max()) if mono.size else 0.0
    for index in click_onsets(mono, sample_rate):
        chunk = int(np.searchsorted(starts, index, side="right")) - 1
        pts_s = audio[chunk][0] + (index - int(starts[chunk])) / sample_rate
        wall_ms = pts_s * 1000.0 - video_offset
        report.clicks.append((pts_s, int(round(wall_ms / 1000.0)) * 1000))


def pull_av_sync(url: str, duration_s: float = 5.0, *, open_timeout_s: float = 10.0,
                 options: dict[str, str] | None = None) -> AvSyncReport:
    """Read ``url`` for ``duration_s`` seconds of video, decoding both streams; see the module.

    Errors end up in ``report.stream.error`` (not raised), like :func:`rtmp_server.pull`.
    """
    report = AvSyncReport()
    audio_chunks: list[tuple[float, np.ndarray]] = []
    sample_rates: list[int] = []

    def on_video_frame(frame: Any) -> None:
        report.decoded_frames += 1
        stamped = read_strip(strip_rows(frame))
        if stamped is not None and frame.pts is not None:
            wall_ms = unwrap_timecode_ms(stamped, time.time_ns() // 1_000_000)
            report.strip_frames.append((float(frame.pts * frame.time_base), wall_ms))

    def on_audio_frame(frame: Any, packet: Any) -> None:
        samples = frame.to_ndarray()
        if samples.ndim == 2 and frame.format.is_planar:
            mono = samples.mean(axis=0)
        else:
            mono = samples.reshape(-1, max(1, len(frame.layout.channels))).mean(axis=1)
        pts = frame.pts if frame.pts is not None else packet.pts
        audio_chunks.append((float(pts * (frame.time_base or packet.time_base)), mono))
        if frame.sample_rate:
            sample_rates.append(frame.sample_rate)

    report.stream = pull(url, duration_s, open_timeout_s=open_timeout_s, options=options,
                         on_video_frame=on_video_frame, on_audio_frame=on_audio_frame)
    sample_rate = sample_rates[-1] if sample_rates else 0
    _click_seconds(report, audio_chunks, sample_rate or 48_000)
    return report
