"""What the clips need to know about a recording: its size, rate, sound, length, and when its
time 0 happened on the wall clock (the show's journal is in wall seconds).

The recorder (:mod:`studio.outputs.recorder`) writes that moment as the file's ``creation_time``
(Matroska DateUTC, to the millisecond): its first keyframe's capture time.  Its MP4 copy keeps
that time to the second only, so an MP4 takes the exact one from the .mkv beside it when there
is one; otherwise its whole-second time is used, and a file with no creation time at all (made
by another program) falls back to "last written minus its length".  Either way the times are
said to be approximate.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import av

from studio.clips.errors import ClipsError
from studio.core.i18n import _


@dataclass(frozen=True)
class RecordingInfo:
    """One recording as the clips read it (times in seconds; ``start_wall_s``: Unix time of its 0)."""

    path: Path
    width: int
    height: int
    fps: float
    duration_s: float
    has_audio: bool
    start_wall_s: float
    is_start_exact: bool

    @property
    def end_wall_s(self) -> float:
        return self.start_wall_s + self.duration_s


def _stamp(text: str | None, format_name: str) -> tuple[float, bool] | None:
    """``creation_time`` as Unix seconds, and whether it is exact (Matroska keeps it to the
    microsecond; MP4 and most others to the second, whatever digits the demuxer prints)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp(), "matroska" in format_name and "." in text


def _length_s(container: av.container.InputContainer, video: av.video.stream.VideoStream) -> float:
    """The recording's length: from the container, else (a file cut short by a crash) by reading
    its packets' times — packets only, nothing decoded, nothing kept."""
    if container.duration:
        return container.duration / av.time_base
    last = 0.0
    for packet in container.demux(video):
        if packet.pts is not None and packet.time_base is not None:
            last = max(last, float(packet.pts * packet.time_base + (packet.duration or 0) * packet.time_base))
    return last


def _original_stamp(path: Path, duration_s: float) -> tuple[float, bool] | None:
    """The exact stamp of the Matroska recording an MP4 was converted from (Go live keeps the
    .mkv beside its MP4 copy), when it is there and as long."""
    original = path.with_suffix(".mkv")
    if original == path or not original.is_file():
        return None
    try:
        with av.open(str(original)) as container:
            stamp = _stamp(container.metadata.get("creation_time"), container.format.name)
            length_s = (container.duration or 0) / av.time_base
    except (av.FFmpegError, OSError, ValueError):
        return None
    return stamp if stamp is not None and stamp[1] and abs(length_s - duration_s) < 1.0 else None


def probe_recording(path: str | os.PathLike[str]) -> RecordingInfo:
    """Read a recording's facts; :class:`ClipsError` in words when it is missing or no video."""
    path = Path(path)
    if not path.is_file():
        raise ClipsError(_("There is no recording at {path}.").format(path=path))
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ClipsError(_("{name} has no picture: it is not a show recording.").format(name=path.name))
            video = container.streams.video[0]
            rate = float(video.average_rate or video.guessed_rate or 30)
            width, height = video.codec_context.width, video.codec_context.height
            has_audio = bool(container.streams.audio)
            stamp = _stamp(container.metadata.get("creation_time"), container.format.name)
            duration_s = _length_s(container, video)
    except ClipsError:
        raise
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        detail = getattr(exc, "strerror", None) or str(exc).split(":")[-1].strip() or type(exc).__name__
        raise ClipsError(_("{name} cannot be read as a video recording ({reason}).").format(name=path.name, reason=detail)) from None
    if not width or not height or duration_s <= 0:
        raise ClipsError(_("{name} holds no recorded picture (an empty or damaged recording).").format(name=path.name))
    if stamp is None or not stamp[1]:
        stamp = _original_stamp(path, duration_s) or stamp
    if stamp is not None:
        start, is_exact = stamp[0], stamp[1]  # an MP4's creation time holds whole seconds: ±1 s
    else:  # the recorder writes its last bytes at the end: last written − length ≈ its start
        start, is_exact = path.stat().st_mtime - duration_s, False
    return RecordingInfo(path, int(width), int(height), rate if 1 <= rate <= 120 else 30.0, duration_s, has_audio,
                         start, is_exact)
