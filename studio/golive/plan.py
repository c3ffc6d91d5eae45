"""One description of a show's outputs: where the stream goes, whether it is recorded, what rides along.

The desktop app (``ui/golive.py``) builds a :class:`GoLivePlan` from its settings, ``bridgecast
live`` from its options; :class:`~studio.golive.service.GoLiveService` carries it out.  The plan
is plain, immutable data (no threads, no sockets), so both front ends describe a show the same
way and tests can build one in a line.

Today a show has one WHIP destination on the horizontal canvas, an optional local recording
and an optional events channel.  Each output carries its ``kind`` and ``canvas`` so that more
destinations (RTMP/RTMPS) and a second, vertical canvas slot in without changing the views.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from studio.scene import CanvasRole  # re-exported: outputs name the canvas they take

SIMULCAST_MODES = ("rid", "ssrc", "off")
ALL_LAYERS = ("h", "m", "l")


class OutputKind(enum.StrEnum):
    """What an output is (the ``kind`` of a stats ``outputs`` entry)."""

    WHIP = "whip"
    RTMP = "rtmp"
    RECORD = "record"


@dataclass(frozen=True)
class WhipTarget:
    """A WHIP endpoint (``url`` None: the built-in rehearsal receiver on this machine).

    ``token`` is the bearer token; it is kept out of ``repr`` so it never lands in a log line.
    ``layers`` are the simulcast rids to send, highest first (``("h",)`` = no simulcast).
    """

    url: str | None = None
    token: str | None = field(default=None, repr=False)
    name: str | None = None  # what the host calls it ("Shop room 1"); None: the rehearsal receiver
    layers: tuple[str, ...] = ALL_LAYERS
    codec: str = "h264"
    simulcast: str = "rid"
    id: str = "whip"
    canvas: CanvasRole = CanvasRole.HORIZONTAL

    def __post_init__(self) -> None:
        if self.simulcast not in SIMULCAST_MODES:
            raise ValueError(f"simulcast must be one of {SIMULCAST_MODES}, got {self.simulcast!r}")
        if self.codec not in ("h264", "vp8"):
            raise ValueError(f"cannot publish {self.codec!r} (h264 or vp8)")
        if not self.layers or any(rid not in ALL_LAYERS for rid in self.layers):
            raise ValueError(f"layers must be a non-empty subset of {ALL_LAYERS}, got {self.layers!r}")

    @property
    def is_rehearsal(self) -> bool:
        return self.url is None


@dataclass(frozen=True)
class RtmpTarget:
    """An RTMP or RTMPS destination.  ``url`` carries the stream key as its last path segment, so
    it is kept out of ``repr``; :attr:`masked_url` is the only form shown anywhere.

    ``bitrate_bps`` None: take the canvas's top layer as it is (horizontal: the WHIP top layer's
    very packets, no second encode) or the default rate of the vertical canvas.  A different
    rate gets its own encoder, shared by every destination that asks for the same one.
    ``ca_file``: trust only this CA for RTMPS (default: the system's certificate store).
    """

    url: str = field(repr=False)
    id: str = "rtmp"
    name: str | None = None
    canvas: CanvasRole = CanvasRole.HORIZONTAL
    bitrate_bps: int | None = None
    ca_file: Path | None = None
    verify_tls: bool = True
    is_enabled: bool = True
    platform: str | None = None  # a preset id of studio.golive.platforms ("tiktok", "shopee" …), if known

    def __post_init__(self) -> None:
        from studio.outputs.rtmp_url import parse_rtmp_url

        parse_rtmp_url(self.url)  # ValueError (key masked) for anything but rtmp:// or rtmps://
        if self.bitrate_bps is not None and not 100_000 <= self.bitrate_bps <= 50_000_000:
            raise ValueError(f"{self.masked_url}: bitrate must be between 100 kbit/s and 50 Mbit/s")

    @property
    def masked_url(self) -> str:
        from studio.outputs.rtmp_url import mask_stream_url

        return mask_stream_url(self.url)

    @property
    def label(self) -> str:
        """What the host calls it, else the masked address."""
        return self.name or self.masked_url


@dataclass(frozen=True)
class RecordingPlan:
    """Record the stream's own top-layer packets (no second encode) plus the program sound.

    Either an exact ``path`` or a ``folder`` in which each show gets a time-stamped file.
    ``remux_to_mp4`` converts the crash-safe Matroska file to MP4 after the show (the .mkv
    stays, so a failed conversion loses nothing).
    """

    path: Path | None = None
    folder: Path | None = None
    remux_to_mp4: bool = False
    id: str = "record"
    canvas: CanvasRole = CanvasRole.HORIZONTAL

    def __post_init__(self) -> None:
        if (self.path is None) == (self.folder is None):
            raise ValueError("a recording needs exactly one of path or folder")

    def resolve_path(self, now: datetime | None = None) -> Path:
        """The file this show records to: ``path``, or a new ``show-YYYYmmdd-HHMMSS.mkv`` in ``folder``
        (numbered when that name is taken, so a show never overwrites another)."""
        if self.path is not None:
            return Path(self.path).expanduser()
        folder = Path(self.folder).expanduser()  # type: ignore[arg-type]
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        candidate = folder / f"show-{stamp}.mkv"
        counter = 1
        while candidate.exists():
            counter += 1
            candidate = folder / f"show-{stamp}-{counter}.mkv"
        return candidate


DEFAULT_VERTICAL_CANVAS = (1080, 1920)


@dataclass(frozen=True)
class GoLivePlan:
    """Everything a show publishes.  ``whip`` None: no WHIP destination (and no rehearsal
    receiver), e.g. a show going only to RTMP platforms.  ``vertical_canvas``: the size of the
    second, 9:16 canvas when a destination takes it.  ``stats_path``: one JSON line per second
    for the post-show review (None: no stats file)."""

    whip: WhipTarget | None = field(default_factory=WhipTarget)
    rtmp: tuple[RtmpTarget, ...] = ()
    vertical_canvas: tuple[int, int] = DEFAULT_VERTICAL_CANVAS
    recording: RecordingPlan | None = None
    events_channel: bool = False
    has_audio: bool = True
    encoder: str = "auto"
    stats_path: Path | None = None

    def __post_init__(self) -> None:
        ids = [target.id for target in self.rtmp] + ([self.whip.id] if self.whip is not None else [])
        if len(set(ids)) != len(ids):
            raise ValueError(f"destination ids must be unique, got {ids}")
        if self.whip is not None and self.whip.codec != "h264" and any(t.canvas is CanvasRole.HORIZONTAL for t in self.rtmp):
            raise ValueError("RTMP destinations take H.264; with them the WHIP destination must use H.264 too")
        width, height = self.vertical_canvas
        if width < 160 or height < 160 or width % 2 or height % 2:
            raise ValueError(f"the vertical canvas needs even sizes of at least 160 pixels, got {width}x{height}")

    @property
    def has_vertical(self) -> bool:
        return any(target.canvas is CanvasRole.VERTICAL for target in self.rtmp)
