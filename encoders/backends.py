"""PyAV (FFmpeg) encoder backends: one class, parametrised by a table of WebRTC-safe settings.

Every backend gets the same promises: no B-frames, a profile/level the WebRTC answer allows
(level ≥ 4.0 from 1080p30 up), parameter sets in-band on every keyframe (Annex-B), CBR or a
VBV-capped rate (buffer ≤ 1 s), a fixed keyframe interval, the vendor's low-latency tuning and
no encoder-side lookahead.  "Hardware as configuration" (PyAV's own approach): a hardware backend
differs from software only by name, options and pixel format, so adding one is one table row.

Without the hardware, FFmpeg lets ``CodecContext.create`` succeed and ``open`` fail (NVENC:
cannot load libcuda, QSV: no MFX session, AMF: no runtime, V4L2: no device); encoders the
build lacks fail at ``create`` (``UnknownCodecError``).  ``explain_failure`` turns both into
words for the probe table and for notices.
"""
from __future__ import annotations

import contextlib
import glob
import logging
import os
import sys
import threading
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable, Iterable, Iterator

import av
from av.codec.codec import UnknownCodecError
from av.video.frame import PictureType

from encoders.base import EncodedPacket, Encoder, EncoderSettings, FrameLike, register_encoder
from encoders.bitstream import ParameterSets
from encoders.convert import Scaler, bgr_frame
from encoders.errors import EncoderFailed, EncoderUnavailable, Reason
from studio.core.frame import VideoFrame
from studio.core.i18n import N_

log = logging.getLogger(__name__)

# Pixels per second up to which one encoder thread is cheapest (1080p30); above it, slices.
ONE_THREAD_PIXEL_RATE = 1920 * 1088 * 30

# H.264 levels (Table A-1): (level_idc, max macroblocks/s, max frame size in macroblocks).
# Only the levels WebRTC stacks commonly negotiate; 3.1 is the WebRTC default (42e01f).
_H264_LEVELS = ((31, 108_000, 3_600), (41, 245_760, 8_192), (42, 522_240, 8_704), (51, 983_040, 36_864), (52, 2_073_600, 36_864))


def h264_level_idc(width: int, height: int, fps: float) -> int:
    """The smallest common level (×10) that fits the frame size and rate (4.1 for 1080p30)."""
    frame_mbs = ((width + 15) // 16) * ((height + 15) // 16)
    mbs_per_s = frame_mbs * fps
    for level_idc, max_mbps, max_fs in _H264_LEVELS:
        if frame_mbs <= max_fs and mbs_per_s <= max_mbps:
            return level_idc
    return _H264_LEVELS[-1][0]


def h264_level(settings: EncoderSettings) -> str:
    level_idc = h264_level_idc(settings.width, settings.height, settings.fps)
    return f"{level_idc // 10}.{level_idc % 10}"


def encoder_threads(settings: EncoderSettings) -> int:
    if settings.threads > 0:
        return settings.threads
    if settings.width * settings.height * settings.fps <= ONE_THREAD_PIXEL_RATE:
        return 1
    return min(4, os.cpu_count() or 2)


def _vbv(settings: EncoderSettings) -> dict[str, str]:
    ceiling = settings.ceiling_bps
    return {"maxrate": str(ceiling), "bufsize": str(int(ceiling * settings.vbv_buffer_s))}


# --------------------------------------------------------------------------------------------
# WebRTC-safe options per backend


def _x264_options(settings: EncoderSettings) -> dict[str, str]:
    # Constrained Baseline leaves x264's slower presets little to gain: on detailed 1080p at
    # 4.5 Mbit/s (bench/encode.py content), ultrafast 8.5 ms/frame, superfast 11 ms (+0.5 dB
    # PSNR), veryfast 17 ms (+0.7 dB).
    preset = {"fastest": "ultrafast", "default": "superfast", "quality": "veryfast"}[settings.preset]
    profile = {"constrained_baseline": "baseline", "main": "main", "high": "high"}[settings.profile]
    gop = settings.gop_frames
    params = [
        f"keyint={gop}",
        f"min-keyint={gop}",
        "scenecut=0",  # keyframes only on schedule or on request: predictable bursts
        "bframes=0",
        "rc-lookahead=0",
        "sync-lookahead=0",
        "repeat-headers=1",  # SPS/PPS in front of every IDR
        "annexb=1",
        f"level={h264_level(settings)}",
    ]
    return {
        "preset": preset,
        "tune": "zerolatency",
        "profile": profile,  # x264's "baseline" is Constrained Baseline (constraint_set1 on)
        "forced-idr": "1",
        **_vbv(settings),
        "x264-params": ":".join(params),
    }


def _nvenc_options(settings: EncoderSettings) -> dict[str, str]:
    preset = {"fastest": "p1", "default": "p3", "quality": "p4"}[settings.preset]
    options = {
        "preset": preset,
        "tune": "ull",
        "zerolatency": "1",
        "rc": "cbr",
        "delay": "0",
        "rc-lookahead": "0",
        "no-scenecut": "1",
        "strict_gop": "1",
        "forced-idr": "1",
        "b_ref_mode": "disabled",
        "multipass": "disabled",
        **_vbv(settings),
    }
    if settings.codec == "h264":
        options["profile"] = {"constrained_baseline": "baseline", "main": "main", "high": "high"}[settings.profile]
        options["level"] = h264_level(settings)
    elif settings.codec == "hevc":
        options["profile"] = "main"
    return options


def _qsv_options(settings: EncoderSettings) -> dict[str, str]:
    preset = {"fastest": "veryfast", "default": "faster", "quality": "medium"}[settings.preset]
    options = {
        "preset": preset,
        "low_power": "1",
        "async_depth": "1",
        "look_ahead": "0",
        "forced_idr": "1",
        "idr_interval": "0",  # every I-frame an IDR
        # maxrate == bitrate selects CBR in FFmpeg's QSV wrapper.
        "maxrate": str(settings.bitrate_bps),
        "bufsize": str(int(settings.bitrate_bps * settings.vbv_buffer_s)),
    }
    if settings.codec == "h264":
        options["profile"] = {"constrained_baseline": "baseline", "main": "main", "high": "high"}[settings.profile]
        options["level"] = str(h264_level_idc(settings.width, settings.height, settings.fps))
    return options


def _vaapi_options(settings: EncoderSettings) -> dict[str, str]:
    options = {
        "rc_mode": "CBR",
        "async_depth": "1",
        "idr_interval": "0",
        "quality": {"fastest": "7", "default": "4", "quality": "1"}[settings.preset],
        "maxrate": str(settings.bitrate_bps),
        "bufsize": str(int(settings.bitrate_bps * settings.vbv_buffer_s)),
    }
    if settings.codec == "h264":
        options["profile"] = {"constrained_baseline": "constrained_baseline", "main": "main", "high": "high"}[settings.profile]
        options["level"] = h264_level(settings)
    return options


def _amf_options(settings: EncoderSettings) -> dict[str, str]:
    options = {
        "usage": "ultralowlatency",
        "quality": {"fastest": "speed", "default": "balanced", "quality": "quality"}[settings.preset],
        "rc": "cbr",
        "header_spacing": str(settings.gop_frames),  # SPS/PPS with every IDR
        "gops_per_idr": "1",
        "frame_skipping": "0",
        "preencode": "0",
        **_vbv(settings),
    }
    if settings.codec == "h264":
        options["profile"] = {"constrained_baseline": "constrained_baseline", "main": "main", "high": "high"}[settings.profile]
        options["level"] = h264_level(settings)
    return options


def _videotoolbox_options(settings: EncoderSettings) -> dict[str, str]:
    return {
        "realtime": "1",
        "allow_sw": "0",
        "prio_speed": "1" if settings.preset == "fastest" else "0",
        "profile": {"constrained_baseline": "constrained_baseline", "main": "main", "high": "high"}[settings.profile],
        **_vbv(settings),
    }


def _mf_options(settings: EncoderSettings) -> dict[str, str]:
    return {"rate_control": "cbr", "scenario": "live_streaming", "hw_encoding": "1", **_vbv(settings)}


def _v4l2m2m_options(settings: EncoderSettings) -> dict[str, str]:
    return {}


def _vpx_options(settings: EncoderSettings) -> dict[str, str]:
    cpu_used = {"fastest": "8", "default": "6", "quality": "4"}[settings.preset]
    rate = str(settings.bitrate_bps)
    return {
        "deadline": "realtime",
        "cpu-used": cpu_used,
        "lag-in-frames": "0",
        "auto-alt-ref": "0",
        "error-resilient": "default",
        # minrate == maxrate == bitrate selects CBR in FFmpeg's libvpx wrapper.
        "minrate": rate,
        "maxrate": rate,
        "bufsize": str(int(settings.bitrate_bps * settings.vbv_buffer_s)),
        "undershoot-pct": "95",
        "max-intra-rate": "300",  # cap keyframe size (percent of an average frame)
        "noise-sensitivity": "0",
        "static-thresh": "0",
    }


@dataclass(frozen=True)
class Backend:
    """One FFmpeg encoder and how to drive it for WebRTC.

    ``platforms``: ``sys.platform`` prefixes where FFmpeg can offer it (empty: anywhere).
    ``has_live_bitrate``: FFmpeg's wrapper re-reads ``bit_rate`` on an open context.
    ``hw_device``: FFmpeg device type whose frames the encoder needs (VAAPI), uploaded by PyAV.
    ``optional_options``: tuning dropped for a second attempt when the open is refused.
    """

    name: str
    codec: str
    is_hardware: bool
    vendor: str
    options: Callable[[EncoderSettings], dict[str, str]] = field(compare=False)
    pix_fmt: str = "yuv420p"
    has_live_bitrate: bool = False
    platforms: tuple[str, ...] = ()
    hw_device: str | None = None
    optional_options: tuple[str, ...] = ()

    @property
    def is_offered_on_this_platform(self) -> bool:
        return not self.platforms or sys.platform.startswith(self.platforms)


_NVENC_OPTIONAL = ("tune", "multipass", "b_ref_mode", "level")

# Probe and preference order: hardware first (auto picks the first that works), then software.
BACKENDS: tuple[Backend, ...] = (
    Backend("h264_nvenc", "h264", True, "nvidia", _nvenc_options, has_live_bitrate=True, platforms=("linux", "win32"), optional_options=_NVENC_OPTIONAL),
    Backend("h264_qsv", "h264", True, "intel", _qsv_options, pix_fmt="nv12", has_live_bitrate=True, platforms=("linux", "win32"), optional_options=("low_power", "look_ahead")),
    Backend("h264_amf", "h264", True, "amd", _amf_options, platforms=("linux", "win32"), optional_options=("preencode", "frame_skipping", "header_spacing")),
    Backend("h264_vaapi", "h264", True, "vaapi", _vaapi_options, pix_fmt="nv12", platforms=("linux",), hw_device="vaapi"),
    Backend("h264_videotoolbox", "h264", True, "apple", _videotoolbox_options, pix_fmt="nv12", platforms=("darwin",), optional_options=("prio_speed", "profile")),
    Backend("h264_mf", "h264", True, "microsoft", _mf_options, pix_fmt="nv12", platforms=("win32",)),
    Backend("h264_v4l2m2m", "h264", True, "v4l2", _v4l2m2m_options, platforms=("linux",)),
    Backend("libx264", "h264", False, "software", _x264_options, has_live_bitrate=True),
    Backend("hevc_nvenc", "hevc", True, "nvidia", _nvenc_options, has_live_bitrate=True, platforms=("linux", "win32"), optional_options=_NVENC_OPTIONAL),
    Backend("av1_nvenc", "av1", True, "nvidia", _nvenc_options, has_live_bitrate=True, platforms=("linux", "win32"), optional_options=_NVENC_OPTIONAL),
    Backend("libvpx", "vp8", False, "software", _vpx_options),
)
BACKENDS_BY_NAME: dict[str, Backend] = {backend.name: backend for backend in BACKENDS}


# --------------------------------------------------------------------------------------------
# Failure reasons in words


def _log_text(exc: BaseException, log_lines: Iterable[str]) -> str:
    parts = [str(line) for line in log_lines]
    extra = getattr(exc, "log", None)
    if extra and len(extra) >= 3:
        parts.append(str(extra[2]))
    parts.append(str(exc))
    return "\n".join(parts)


def _detail(exc: BaseException, log_lines: Iterable[str]) -> str:
    lines = [str(line).strip() for line in log_lines if str(line).strip()]
    extra = getattr(exc, "log", None)
    if extra and len(extra) >= 3 and str(extra[2]).strip():
        lines.append(str(extra[2]).strip())
    text = lines[-1] if lines else (getattr(exc, "strerror", None) or str(exc))
    return str(text).splitlines()[0][:200] if text else type(exc).__name__


def explain_failure(backend: Backend, exc: BaseException, log_lines: Iterable[str] = ()) -> Reason:
    """Why ``backend`` cannot encode here, in words, from the exception and FFmpeg's log."""
    log_lines = [str(line) for line in log_lines]
    lower = _log_text(exc, log_lines).lower()
    is_windows = sys.platform.startswith("win")
    if isinstance(exc, UnknownCodecError) or "unknowncodecerror" in lower:
        if backend.vendor == "vaapi":
            return Reason.of(N_("this PyAV build has no VAAPI encoder — build PyAV against a system FFmpeg with VAAPI (pip install av --no-binary av)"))
        if backend.vendor == "apple" and not sys.platform.startswith("darwin"):
            return Reason.of(N_("VideoToolbox exists only on macOS"))
        if backend.vendor == "microsoft" and not is_windows:
            return Reason.of(N_("Media Foundation exists only on Windows"))
        return Reason.of(N_("this PyAV build has no {name} encoder"), name=backend.name)
    if backend.vendor == "nvidia":
        if "libcuda" in lower or "nvcuda" in lower or "cannot load cuda" in lower:
            return Reason.of(N_("no NVIDIA driver ({library} not found)"), library="nvcuda.dll" if is_windows else "libcuda.so.1")
        if "nvidia-encode" in lower or "nvencodeapi" in lower:
            return Reason.of(N_("the NVIDIA driver has no video encoder library ({library})"), library="nvEncodeAPI64.dll" if is_windows else "libnvidia-encode.so.1")
        if "driver does not support" in lower or "minimum required" in lower or "api version" in lower:
            return Reason.of(N_("the NVIDIA driver is too old for this FFmpeg — update the driver"))
        if "out of memory" in lower or "incompatible client key" in lower or "openencodesessionex failed" in lower:
            return Reason.of(N_("no free NVENC session (the GPU's limit of simultaneous encodes is reached)"))
        if "no capable devices" in lower or "no nvenc capable" in lower or "no cuda capable" in lower or "no device" in lower:
            return Reason.of(N_("no NVIDIA GPU with a video encoder was found"))
    if backend.vendor == "intel" and ("mfx" in lower or "onevpl" in lower):
        return Reason.of(N_("no Intel media session (QSV not available)"))
    if backend.vendor == "amd" and ("amfrt" in lower or ("amf" in lower and "failed to open" in lower)):
        return Reason.of(N_("no AMD driver (AMF runtime {library} not found)"), library="amfrt64.dll" if is_windows else "libamfrt64.so.1")
    if backend.vendor == "amd" and "hardware device context" in lower:
        return Reason.of(N_("no AMD GPU with a video encoder was found"))
    if backend.vendor == "v4l2" and ("valid device" in lower or "configure encoder" in lower or "no such file" in lower):
        return Reason.of(N_("no V4L2 memory-to-memory encoder device"))
    if backend.vendor == "vaapi" and ("device" in lower or "dri" in lower or "va_" in lower or "vainitialize" in lower):
        return Reason.of(N_("no VAAPI device (/dev/dri/renderD128) or no VAAPI driver for it"))
    if isinstance(exc, NotImplementedError) and backend.hw_device:
        return Reason.of(N_("this PyAV build cannot upload frames to {device}"), device=backend.hw_device)
    return Reason.of(N_("it could not be opened ({detail})"), detail=_detail(exc, log_lines))


@contextlib.contextmanager
def ffmpeg_error_log() -> Iterator[list]:
    """Collect FFmpeg's error lines logged by this thread (they carry the real cause, e.g.
    "Cannot load libcuda.so.1", which the exception alone does not).  PyAV keeps FFmpeg's log
    off by default; it is switched to errors-only for the duration and restored."""
    global _log_users, _log_previous
    with _log_lock:
        if _log_users == 0:
            _log_previous = av.logging.get_level()
            if _log_previous is None:
                av.logging.set_level(av.logging.ERROR)
        _log_users += 1
    try:
        with av.logging.Capture(local=True) as captured:
            yield captured
    finally:
        with _log_lock:
            _log_users -= 1
            if _log_users == 0 and _log_previous is None:
                av.logging.set_level(None)


_log_lock = threading.Lock()
_log_users = 0
_log_previous: int | None = None


def _messages(captured: Iterable) -> list[str]:
    lines = []
    for item in captured:
        message = item[2] if isinstance(item, tuple) and len(item) >= 3 else item
        lines.append(str(message).strip())
    return [line for line in lines if line]


# --------------------------------------------------------------------------------------------
# The encoder


_OPEN_ERRORS = (av.FFmpegError, OSError, ValueError, NotImplementedError, RuntimeError, MemoryError)


def _hw_device_path(kind: str) -> str | None:
    if kind == "vaapi":
        override = os.environ.get("BRIDGECAST_VAAPI_DEVICE")
        if override:
            return override
        nodes = sorted(glob.glob("/dev/dri/renderD*"))
        return nodes[0] if nodes else None
    return None


class PyAVEncoder(Encoder):
    """An FFmpeg encoder driven through PyAV with the backend's WebRTC-safe options."""

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self._context: av.codec.context.CodecContext | None = None
        self._scaler: Scaler | None = None
        self._parameter_sets = ParameterSets(backend.codec)
        self._is_keyframe_forced = False
        self._pending_settings: EncoderSettings | None = None
        # Hardware reopens run beside the live encoder (a session can take 100+ ms to open).
        self._opening: threading.Thread | None = None
        self._opened: tuple[EncoderSettings, av.codec.context.CodecContext | None, EncoderUnavailable | None] | None = None
        self._capture_by_pts: dict[int, int | None] = {}
        self._is_flushed = False
        self.frames_in = 0
        self.reopen_count = 0

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def is_hardware(self) -> bool:
        return self.backend.is_hardware

    @property
    def parameter_sets(self) -> ParameterSets:
        return self._parameter_sets

    def open(self, settings: EncoderSettings) -> None:
        if settings.codec != self.backend.codec:
            raise ValueError(f"{self.name} encodes {self.backend.codec}, not {settings.codec}")
        if self._context is not None:
            self.close()
        self._context = self._make_context(settings)
        self.settings = settings
        self._scaler = Scaler(settings.width, settings.height, self.backend.pix_fmt)
        self._parameter_sets = ParameterSets(settings.codec)
        if self._context.extradata:
            self._parameter_sets.learn(bytes(self._context.extradata))
        self._is_keyframe_forced = False
        self._is_flushed = False
        self._capture_by_pts.clear()

    def _make_context(self, settings: EncoderSettings) -> av.codec.context.CodecContext:
        backend = self.backend
        log_context = ffmpeg_error_log() if backend.is_hardware else contextlib.nullcontext([])
        with log_context as captured:
            return self._open_context(settings, captured)

    def _open_context(self, settings: EncoderSettings, captured: list) -> av.codec.context.CodecContext:
        options = self.backend.options(settings)
        try:
            return self._try_open(settings, options)
        except _OPEN_ERRORS as exc:
            first = exc
        optional = [key for key in self.backend.optional_options if key in options]
        if optional and not isinstance(first, UnknownCodecError):
            # Older drivers/GPUs refuse some tuning (e.g. QSV low-power mode before Gen9):
            # one more try without it beats falling back to software.
            log.info("%s refused its options (%s); retrying without %s", self.backend.name, first, ", ".join(optional))
            try:
                return self._try_open(settings, {key: value for key, value in options.items() if key not in optional})
            except _OPEN_ERRORS:
                pass
        raise EncoderUnavailable.because(self.backend.name, explain_failure(self.backend, first, _messages(captured))) from first

    def _try_open(self, settings: EncoderSettings, options: dict[str, str]) -> av.codec.context.CodecContext:
        backend = self.backend
        hwaccel = None
        if backend.hw_device:
            from av.codec.hwaccel import HWAccel

            av.Codec(backend.name, "w")  # an unknown codec must fail first, with its own reason
            device = _hw_device_path(backend.hw_device)
            if device is None:
                raise OSError(f"no {backend.hw_device} device")
            hwaccel = HWAccel(backend.hw_device, device=device, allow_software_fallback=False)
        context = av.CodecContext.create(backend.name, "w", hwaccel=hwaccel) if hwaccel else av.CodecContext.create(backend.name, "w")
        context.width = settings.width
        context.height = settings.height
        context.pix_fmt = backend.pix_fmt
        context.time_base = settings.time_base
        context.framerate = Fraction(settings.fps).limit_denominator(1001)
        context.bit_rate = settings.bitrate_bps
        context.gop_size = settings.gop_frames
        context.max_b_frames = 0
        if not backend.is_hardware:
            context.thread_count = encoder_threads(settings)
        _tag_bt601(context)
        context.options = options
        context.open()
        return context

    def _prepare(self, frame: FrameLike) -> av.VideoFrame:
        assert self._scaler is not None
        if isinstance(frame, VideoFrame):
            frame = bgr_frame(frame.image)
        return self._scaler(frame)

    def encode(self, frame: FrameLike, pts: int, *, capture_ns: int | None = None) -> list[EncodedPacket]:
        if self._context is None or self.settings is None:
            raise RuntimeError("encoder is not open")
        packets: list[EncodedPacket] = []
        if self._pending_settings is not None:
            packets.extend(self._apply_pending())
        if capture_ns is None and isinstance(frame, VideoFrame):
            capture_ns = frame.capture_ns
        av_frame = self._prepare(frame)
        av_frame.pts = pts
        if self._is_keyframe_forced:
            av_frame.pict_type = PictureType.I
            self._is_keyframe_forced = False
        elif av_frame.pict_type != PictureType.NONE:
            av_frame.pict_type = PictureType.NONE
        self._capture_by_pts[pts] = capture_ns
        if len(self._capture_by_pts) > 256:  # an encoder that drops frames must not grow this
            for key in sorted(self._capture_by_pts)[:128]:
                del self._capture_by_pts[key]
        self.frames_in += 1
        try:
            raw = self._context.encode(av_frame)
        except (av.FFmpegError, OSError, ValueError, RuntimeError, MemoryError) as exc:
            raise EncoderFailed.because(self.name, Reason.of(N_("it stopped with an error ({detail})"), detail=_detail(exc, ()))) from exc
        packets.extend(self._wrap(packet) for packet in raw)
        return packets

    def _wrap(self, packet: av.Packet) -> EncodedPacket:
        settings = self.settings
        assert settings is not None
        is_keyframe = bool(packet.is_keyframe)
        data = self._parameter_sets.ensure_in_band(bytes(packet), is_keyframe)
        pts = int(packet.pts) if packet.pts is not None else 0
        dts = int(packet.dts) if packet.dts is not None else pts
        return EncodedPacket(
            data=data,
            pts=pts,
            dts=dts,
            time_base=settings.time_base,
            is_keyframe=is_keyframe,
            rid=settings.rid,
            width=settings.width,
            height=settings.height,
            codec=settings.codec,
            encoder_name=self.name,
            capture_ns=self._capture_by_pts.pop(pts, None),
            extradata=self._parameter_sets.extradata,
            is_hardware=self.is_hardware,
        )

    def request_keyframe(self) -> None:
        self._is_keyframe_forced = True

    @property
    def pix_fmt(self) -> str:
        return self.backend.pix_fmt

    def is_bitrate_change_in_place(self, bitrate_bps: int) -> bool:
        settings = self.settings
        if settings is None or self._pending_settings is not None:
            return False
        return int(bitrate_bps) == settings.bitrate_bps or (self.backend.has_live_bitrate and int(bitrate_bps) <= settings.ceiling_bps)

    def set_bitrate(self, bitrate_bps: int) -> bool:
        if self._context is None or self.settings is None:
            raise RuntimeError("encoder is not open")
        bitrate_bps = int(bitrate_bps)
        settings = self.settings
        if bitrate_bps == settings.bitrate_bps:
            self._pending_settings = None  # back to what is running: nothing to reopen
            return True
        if self.is_bitrate_change_in_place(bitrate_bps):
            # FFmpeg's wrapper compares bit_rate with its own copy before each frame and
            # reconfigures the running encoder (x264_encoder_reconfig, NVENC/QSV reset).
            self._context.bit_rate = bitrate_bps
            self.settings = replace(settings, bitrate_bps=bitrate_bps)
            return True
        self._pending_settings = settings.with_bitrate(bitrate_bps)
        if self.backend.is_hardware:
            self._open_in_background(self._pending_settings)
        return False

    def _open_in_background(self, settings: EncoderSettings) -> None:
        if self._opening is not None and self._opening.is_alive():
            return  # the newest target is picked up when this one lands (see _apply_pending)

        def run() -> None:
            try:
                self._opened = (settings, self._make_context(settings), None)
            except EncoderUnavailable as exc:
                self._opened = (settings, None, exc)

        self._opened = None
        self._opening = threading.Thread(target=run, name=f"bridgecast-encoder-reopen-{self.name}", daemon=True)
        self._opening.start()

    def _apply_pending(self) -> list[EncodedPacket]:
        """Switch to the pending settings: software reopens now (a few ms); hardware swaps in the
        context opened beside it once ready, encoding on the old one meanwhile (no stall)."""
        wanted = self._pending_settings
        assert wanted is not None
        if not self.backend.is_hardware:
            return self._swap(wanted, None)
        if self._opening is not None and self._opening.is_alive():
            return []
        landed, self._opened, self._opening = self._opened, None, None
        if landed is None:
            self._open_in_background(wanted)
            return []
        settings, context, error = landed
        if settings != wanted:  # the target moved while opening: open again, keep going meanwhile
            self._open_in_background(wanted)
            return []
        if context is None:
            # Probably no second session allowed: release ours first, then open (one short stall).
            log.info("%s: could not open beside the running session (%s); reopening in place", self.name, error.reason if error else "?")
            return self._swap(wanted, None)
        return self._swap(wanted, context)

    def _swap(self, settings: EncoderSettings, context: av.codec.context.CodecContext | None) -> list[EncodedPacket]:
        """Replace the context (opened here if not given); the next frame is a keyframe."""
        self._pending_settings = None
        leftovers = self.flush()
        self._context = None
        if context is None:
            try:
                context = self._make_context(settings)
            except EncoderUnavailable as exc:
                raise EncoderFailed.because(self.name, exc.reason) from exc
        self._context = context
        self.settings = settings
        self._is_flushed = False
        self._is_keyframe_forced = True
        self.reopen_count += 1
        return leftovers

    def flush(self) -> list[EncodedPacket]:
        if self._context is None or self._is_flushed:
            return []
        self._is_flushed = True
        try:
            return [self._wrap(packet) for packet in self._context.encode(None)]
        except (av.FFmpegError, OSError, ValueError, RuntimeError) as exc:
            log.warning("%s: flushing failed: %s", self.name, exc)
            return []

    def close(self) -> None:
        # Dropping the last reference frees the codec context (and its hardware session) now.
        if self._opening is not None:
            self._opening.join(timeout=10)
            self._opening = None
        self._opened = None
        self._context = None
        self.settings = None
        self._pending_settings = None
        self._capture_by_pts.clear()


def _tag_bt601(context: av.codec.context.CodecContext) -> None:
    """Tag BT.601 limited range (what ``encoders.convert`` produces) so players do not guess."""
    try:
        context.colorspace = 6  # AVCOL_SPC_SMPTE170M
        context.color_primaries = 6  # AVCOL_PRI_SMPTE170M
        context.color_trc = 6  # AVCOL_TRC_SMPTE170M
        context.color_range = 1  # AVCOL_RANGE_MPEG
    except (AttributeError, TypeError, ValueError):  # older PyAV: untagged is still decodable
        pass


def _factory(backend: Backend) -> Callable[[], Encoder]:
    return lambda: PyAVEncoder(backend)


for _backend in BACKENDS:
    register_encoder(_backend.name, _factory(_backend), codec=_backend.codec, is_hardware=_backend.is_hardware, replace=True)
