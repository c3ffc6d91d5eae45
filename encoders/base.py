"""The encoder contract: settings in, WebRTC-ready packets out, plus a small registry.

Shaped like aiortc's ``codecs/base.py`` (one small abstract class, a factory by name) and
OBS's ``obs_encoder_info`` (a live bitrate update is an optional capability, reported by
``set_bitrate`` returning ``False`` when the backend cannot do it in place).

Threading: an ``Encoder`` belongs to one thread at a time (one codec context per thread).
The registry is thread-safe.
"""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Literal, Union

import av

from studio.core.frame import VideoFrame

Codec = Literal["h264", "vp8", "hevc", "av1"]
Preset = Literal["fastest", "default", "quality"]
H264Profile = Literal["constrained_baseline", "main", "high"]

CODECS: tuple[str, ...] = ("h264", "vp8", "hevc", "av1")
PRESETS: tuple[str, ...] = ("fastest", "default", "quality")
# RTP video clock: every packet's pts counts 90 kHz ticks, so layers share one timeline.
RTP_TIME_BASE = Fraction(1, 90_000)
# The software encoder each codec falls back to (None: no software encoder in the wheel).
SOFTWARE_ENCODERS: dict[str, str | None] = {"h264": "libx264", "vp8": "libvpx", "hevc": None, "av1": None}

FrameLike = Union[VideoFrame, av.VideoFrame]


@dataclass(frozen=True)
class EncoderSettings:
    """What one encoded stream must look like.

    ``bitrate_bps`` is the target; ``max_bitrate_bps`` caps the rate control (VBV/HRD max rate)
    and is also the ceiling up to which ``set_bitrate`` can change the target in place
    (default: the target itself, i.e. CBR-like).  ``vbv_buffer_s`` is the rate-control buffer
    in seconds of ``max_bitrate_bps`` (≤ 1 s keeps keyframe bursts small enough for WebRTC).
    ``threads`` 0 means automatic (one thread up to 1080p30: cheapest per frame).
    """

    codec: Codec
    width: int
    height: int
    fps: float
    bitrate_bps: int
    keyframe_interval_s: float = 2.0
    preset: Preset = "fastest"
    max_bitrate_bps: int | None = None
    vbv_buffer_s: float = 1.0
    time_base: Fraction = RTP_TIME_BASE
    profile: H264Profile = "constrained_baseline"
    threads: int = 0
    rid: str | None = None

    def __post_init__(self) -> None:
        if self.codec not in CODECS:
            raise ValueError(f"unknown codec {self.codec!r} (known: {', '.join(CODECS)})")
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r} (known: {', '.join(PRESETS)})")
        if self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2:
            raise ValueError(f"encoded size must be positive and even, got {self.width}x{self.height}")
        if self.fps <= 0 or self.bitrate_bps <= 0 or self.keyframe_interval_s <= 0 or self.vbv_buffer_s <= 0:
            raise ValueError("fps, bitrate_bps, keyframe_interval_s and vbv_buffer_s must be positive")
        if self.max_bitrate_bps is not None and self.max_bitrate_bps < self.bitrate_bps:
            raise ValueError("max_bitrate_bps must not be below bitrate_bps")

    @property
    def ceiling_bps(self) -> int:
        """The rate-control cap: ``max_bitrate_bps`` or, when unset, the target."""
        return self.max_bitrate_bps or self.bitrate_bps

    @property
    def gop_frames(self) -> int:
        """Keyframe interval in frames (at least 1)."""
        return max(1, int(round(self.keyframe_interval_s * self.fps)))

    def with_bitrate(self, bitrate_bps: int) -> "EncoderSettings":
        """The same stream at another target; the ceiling rises with it when exceeded."""
        from dataclasses import replace

        ceiling = self.max_bitrate_bps
        if ceiling is not None and bitrate_bps > ceiling:
            ceiling = bitrate_bps
        return replace(self, bitrate_bps=int(bitrate_bps), max_bitrate_bps=ceiling)


@dataclass(slots=True)
class EncodedPacket:
    """One encoded frame, ready for an output (WHIP sender, recorder).

    ``data`` is Annex-B for H.264/HEVC with the parameter sets in-band on every keyframe;
    ``pts``/``dts`` count ``time_base`` ticks (90 kHz by default) on a timeline shared by
    every layer of a ladder; ``capture_ns`` is the source frame's capture time (monotonic).
    ``extradata`` holds the current parameter sets (Annex-B SPS/PPS, or VPS/SPS/PPS) for
    muxers that want codec parameters up front; None for VP8 or before the first keyframe.
    """

    data: bytes
    pts: int
    dts: int
    time_base: Fraction
    is_keyframe: bool
    rid: str | None
    width: int
    height: int
    codec: str
    encoder_name: str
    capture_ns: int | None = None
    extradata: bytes | None = None
    is_hardware: bool = False

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def time_s(self) -> float:
        return float(self.pts * self.time_base)

    @property
    def profile_level_id(self) -> str | None:
        """H.264 only: the SDP ``profile-level-id`` of this stream (e.g. ``42c029``), from its SPS."""
        if self.codec != "h264" or not self.extradata:
            return None
        from encoders.bitstream import h264_sps_info

        info = h264_sps_info(self.extradata)
        return info.profile_level_id if info else None

    def to_av_packet(self) -> av.Packet:
        """An ``av.Packet`` (pts, dts, time_base, keyframe flag set), e.g. for aiortc or a muxer."""
        packet = av.Packet(self.data)
        packet.pts = self.pts
        packet.dts = self.dts
        packet.time_base = self.time_base
        packet.is_keyframe = self.is_keyframe
        return packet


class Encoder(ABC):
    """One encoded stream.  ``open`` → ``encode``… → ``close``; used by one thread at a time."""

    def __init__(self) -> None:
        self.settings: EncoderSettings | None = None

    @property
    @abstractmethod
    def name(self) -> str:
        """The FFmpeg encoder name (e.g. ``libx264``, ``h264_nvenc``)."""

    @property
    @abstractmethod
    def is_hardware(self) -> bool:
        """True when a GPU/ASIC does the work (its sessions are scarce and may fail)."""

    @property
    def codec(self) -> str | None:
        return self.settings.codec if self.settings else None

    @property
    def is_open(self) -> bool:
        return self.settings is not None

    @abstractmethod
    def open(self, settings: EncoderSettings) -> None:
        """Open for ``settings``; raises ``EncoderUnavailable`` with the reason in words."""

    @abstractmethod
    def encode(self, frame: FrameLike, pts: int, *, capture_ns: int | None = None) -> list[EncodedPacket]:
        """Encode one frame (studio BGR ``VideoFrame`` or ``av.VideoFrame``, any size/format;
        converted if needed) at ``pts`` (``settings.time_base`` ticks, strictly increasing).
        Raises ``EncoderFailed`` if the encoder broke; the caller may replace it."""

    @abstractmethod
    def request_keyframe(self) -> None:
        """Make the next encoded frame a keyframe (IDR, parameter sets in front)."""

    @property
    def pix_fmt(self) -> str:
        """The pixel format this encoder takes without converting (callers scale straight to it)."""
        return "yuv420p"

    def is_bitrate_change_in_place(self, bitrate_bps: int) -> bool:
        """Would ``set_bitrate(bitrate_bps)`` apply without reopening?"""
        return False

    @abstractmethod
    def set_bitrate(self, bitrate_bps: int) -> bool:
        """Change the target.  True: applied in place from the next frame.  False: this
        backend (or this ceiling) cannot; the encoder reopens itself with the new target and
        restarts on a keyframe, losing no frame (software: at the next frame; hardware: the new
        session opens beside the running one, which keeps encoding until it is ready)."""

    def flush(self) -> list[EncodedPacket]:
        """Drain frames the encoder still holds (none for zero-latency settings)."""
        return []

    @abstractmethod
    def close(self) -> None:
        """Release the codec (and any hardware session).  Safe to call twice."""

    def __enter__(self) -> "Encoder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Registry


@dataclass(frozen=True)
class EncoderInfo:
    """A registered encoder: how to make one and what it is."""

    name: str
    codec: str
    is_hardware: bool
    factory: Callable[[], Encoder] = field(compare=False)


_registry: dict[str, EncoderInfo] = {}
_registry_lock = threading.Lock()
_builtins_loaded = False


def _ensure_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        import encoders.backends  # noqa: F401  (registers the PyAV backends)


def register_encoder(name: str, factory: Callable[[], Encoder], *, codec: str, is_hardware: bool, replace: bool = False) -> None:
    """Make ``name`` creatable with ``create_encoder``.  Tests register fakes the same way."""
    if codec not in CODECS:
        raise ValueError(f"unknown codec {codec!r}")
    with _registry_lock:
        if name in _registry and not replace:
            raise ValueError(f"encoder {name!r} is already registered")
        _registry[name] = EncoderInfo(name=name, codec=codec, is_hardware=is_hardware, factory=factory)


def unregister_encoder(name: str) -> None:
    with _registry_lock:
        _registry.pop(name, None)


def encoder_info(name: str) -> EncoderInfo | None:
    _ensure_builtins()
    with _registry_lock:
        return _registry.get(name)


def registered_encoders(codec: str | None = None) -> list[EncoderInfo]:
    _ensure_builtins()
    with _registry_lock:
        return [info for info in _registry.values() if codec is None or info.codec == codec]


def create_encoder(name: str) -> Encoder:
    """A new, unopened encoder by name; raises ``EncoderUnavailable`` for an unknown name."""
    from encoders.errors import EncoderUnavailable
    from studio.core.i18n import _

    info = encoder_info(name)
    if info is None:
        raise EncoderUnavailable.because(name, _("no encoder of that name is known"))
    return info.factory()
