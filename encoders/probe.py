"""Which encoders work on this machine: probe once, remember, pick the best.

OBS's way (``obs-ffmpeg.c``: register only what opened): each candidate is opened with the
same WebRTC settings the app uses and must encode real frames; anything less records why, in
words.  The probe runs in a child process, as OBS does for NVENC, because a broken GPU driver
can crash or hang the process that loads it; the app then only hears "that candidate crashed".
Results are cached in the config directory, keyed by machine, GPU driver and PyAV/FFmpeg
version, so a normal start costs nothing; ``bridgecast encoders --fresh`` probes again.
"""
from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import av
import numpy as np

from encoders.backends import BACKENDS, BACKENDS_BY_NAME, Backend, PyAVEncoder
from encoders.base import SOFTWARE_ENCODERS, EncodedPacket, EncoderSettings, encoder_info
from encoders.errors import EncoderFailed, EncoderUnavailable, Reason
from studio.core.frame import VideoFrame
from studio.core.i18n import N_, _

log = logging.getLogger(__name__)

PROBE_VERSION = 1
CACHE_FILE_NAME = "encoder-probe.json"
PROBE_WIDTH, PROBE_HEIGHT, PROBE_FPS, PROBE_FRAMES = 640, 360, 30, 5
PROBE_BITRATE_BPS = 1_000_000
CANDIDATE_TIMEOUT_S = 20.0
_CHILD_MARK = "BRIDGECAST-PROBE-ROW "
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ProbeRow:
    """One candidate's result; ``as_dict()`` is the ``bridgecast encoders --json`` row."""

    name: str
    codec: str
    hardware: bool
    available: bool
    reason: str | None
    cause: Reason | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "codec": self.codec, "hardware": self.hardware, "available": self.available, "reason": self.reason}

    def to_json(self) -> dict[str, Any]:
        data = self.as_dict()
        data["cause"] = self.cause.to_json() if self.cause else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ProbeRow":
        cause = Reason.from_json(data["cause"]) if data.get("cause") else None
        return cls(
            name=str(data["name"]),
            codec=str(data["codec"]),
            hardware=bool(data["hardware"]),
            available=bool(data["available"]),
            reason=cause.text() if cause else data.get("reason"),  # re-translated for today's language
            cause=cause,
        )

    @classmethod
    def failed(cls, backend: Backend, cause: Reason) -> "ProbeRow":
        return cls(backend.name, backend.codec, backend.is_hardware, False, cause.text(), cause)


# --------------------------------------------------------------------------------------------
# Probing one candidate (runs in the child process)


def _probe_frames() -> list[VideoFrame]:
    """Moving gradients with some texture: real content, so encoders really have to work."""
    ys, xs = np.mgrid[0:PROBE_HEIGHT, 0:PROBE_WIDTH]
    texture = (np.random.default_rng(3).integers(0, 48, (PROBE_HEIGHT, PROBE_WIDTH), dtype=np.uint8)).astype(np.uint16)
    frames = []
    for index in range(PROBE_FRAMES):
        image = np.empty((PROBE_HEIGHT, PROBE_WIDTH, 3), np.uint8)
        image[..., 0] = ((xs + index * 7) % 256).astype(np.uint8)
        image[..., 1] = ((ys * 2 + index * 5) % 256).astype(np.uint8)
        image[..., 2] = ((xs + ys + texture + index * 11) % 256).astype(np.uint8)
        frames.append(VideoFrame(image, capture_ns=index * 1_000_000_000 // PROBE_FPS, sequence=index))
    return frames


def probe_one(backend: Backend) -> ProbeRow:
    """Open ``backend`` with the app's WebRTC settings and encode a few real frames."""
    settings = EncoderSettings(
        codec=backend.codec, width=PROBE_WIDTH, height=PROBE_HEIGHT, fps=PROBE_FPS, bitrate_bps=PROBE_BITRATE_BPS, keyframe_interval_s=1.0
    )
    encoder = PyAVEncoder(backend)
    packets: list[EncodedPacket] = []
    try:
        encoder.open(settings)
        for frame in _probe_frames():
            packets.extend(encoder.encode(frame, frame.sequence * 3000))
        packets.extend(encoder.flush())
    except EncoderUnavailable as exc:
        return ProbeRow.failed(backend, exc.cause or Reason.of(N_("it could not be opened ({detail})"), detail=exc.reason))
    except EncoderFailed as exc:
        return ProbeRow.failed(backend, Reason.of(N_("it opened but could not encode ({detail})"), detail=exc.reason))
    except Exception as exc:  # a probe must describe any failure, never raise it
        log.exception("probing %s failed unexpectedly", backend.name)
        return ProbeRow.failed(backend, Reason.of(N_("it could not be opened ({detail})"), detail=f"{type(exc).__name__}: {exc}"))
    finally:
        encoder.close()
    if not packets or not packets[0].is_keyframe or not any(packet.data for packet in packets):
        return ProbeRow.failed(backend, Reason.of(N_("it opened but produced no usable video")))
    return ProbeRow(backend.name, backend.codec, backend.is_hardware, True, None)


def _child_main(names: list[str]) -> int:
    for name in names:
        row = probe_one(BACKENDS_BY_NAME[name])
        sys.stdout.write(_CHILD_MARK + json.dumps(row.to_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


# --------------------------------------------------------------------------------------------
# Running the probe in a child process


def _child_command(names: list[str]) -> list[str]:
    return [sys.executable, "-m", "encoders.probe", "--child", *names]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def _run_child(names: list[str]) -> tuple[dict[str, ProbeRow], int | None]:
    """Probe ``names`` in one child; returns the rows it reported and its exit code (None: hung)."""
    rows: dict[str, ProbeRow] = {}
    process = subprocess.Popen(
        _child_command(names),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=_child_env(),
        cwd=str(_PROJECT_ROOT),
        text=True,
        encoding="utf-8",
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), name="bridgecast-probe-reader", daemon=True)
    reader.start()
    deadline = time.monotonic() + CANDIDATE_TIMEOUT_S
    reported = 0
    return_code: int | None = None
    while True:
        return_code = process.poll()
        count = sum(1 for line in list(lines) if line.startswith(_CHILD_MARK))
        if count > reported:
            reported = count
            deadline = time.monotonic() + CANDIDATE_TIMEOUT_S  # each candidate gets its own budget
        if return_code is not None:
            break
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            return_code = None
            break
        time.sleep(0.02)
    reader.join(timeout=5)
    for line in lines:
        if line.startswith(_CHILD_MARK):
            row = ProbeRow.from_json(json.loads(line[len(_CHILD_MARK) :]))
            rows[row.name] = row
    return rows, return_code


def _run_probe(backends: Iterable[Backend] = BACKENDS) -> list[ProbeRow]:
    """Probe every backend; isolated in child processes unless frozen or told otherwise."""
    backends = list(backends)
    if getattr(sys, "frozen", False) or os.environ.get("BRIDGECAST_PROBE_IN_PROCESS") == "1":
        return [probe_one(backend) for backend in backends]
    results: dict[str, ProbeRow] = {}
    remaining = [backend.name for backend in backends]
    while remaining:
        try:
            rows, return_code = _run_child(remaining)
        except OSError as exc:  # cannot start a child: probe here instead
            log.warning("encoder probe child could not start (%s); probing in-process", exc)
            for name in remaining:
                results[name] = probe_one(BACKENDS_BY_NAME[name])
            break
        results.update(rows)
        remaining = [name for name in remaining if name not in results]
        if remaining:
            culprit = BACKENDS_BY_NAME[remaining.pop(0)]
            if return_code is None:
                cause = Reason.of(N_("testing it did not finish within {seconds} s (driver hang)"), seconds=int(CANDIDATE_TIMEOUT_S))
            else:
                cause = Reason.of(N_("testing it crashed the encoder process (exit code {code}) — check the GPU driver"), code=return_code)
            results[culprit.name] = ProbeRow.failed(culprit, cause)
    return [results[backend.name] for backend in backends]


# --------------------------------------------------------------------------------------------
# Cache


def gpu_driver_version() -> str:
    """The NVIDIA kernel driver's version line, or "none"."""
    try:
        with open("/proc/driver/nvidia/version", encoding="utf-8", errors="replace") as handle:
            return handle.readline().strip() or "none"
    except OSError:
        return "none"


def machine_identity() -> dict[str, Any]:
    """What the probe result depends on: a change in any of these means probing again."""
    return {
        "probe_version": PROBE_VERSION,
        "machine": platform.node(),
        "arch": platform.machine(),
        "system": platform.system(),
        "gpu_driver": gpu_driver_version(),
        "gpu_devices": sorted(os.path.basename(path) for path in glob.glob("/dev/dri/renderD*") + glob.glob("/dev/nvidia[0-9]*")),
        "pyav": av.__version__,
        "ffmpeg": ".".join(str(part) for part in av.library_versions.get("libavcodec", ())),
    }


def cache_key() -> str:
    return hashlib.sha256(json.dumps(machine_identity(), sort_keys=True).encode("utf-8")).hexdigest()[:24]


def cache_path() -> Path:
    from studio.core.paths import config_dir

    return config_dir() / CACHE_FILE_NAME


def _read_cache(key: str) -> list[ProbeRow] | None:
    path = cache_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        rows = [ProbeRow.from_json(row) for row in data["rows"]]
        names = {row.name for row in rows}
        return rows if names == set(BACKENDS_BY_NAME) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(key: str, rows: list[ProbeRow]) -> None:
    path = cache_path()
    data = {"key": key, "identity": machine_identity(), "probed_at": int(time.time()), "rows": [row.to_json() for row in rows]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not cache the encoder probe in %s: %s", path, exc)


_lock = threading.Lock()
_memory: tuple[str, list[ProbeRow]] | None = None
last_probe_source: str | None = None  # "memory", "cache" or "probe": how the last answer was made


def probe_encoders(use_cache: bool = True) -> list[ProbeRow]:
    """One row per encoder tried, hardware first.  Cached per machine + driver + PyAV/FFmpeg."""
    global _memory, last_probe_source
    with _lock:
        key = cache_key()
        if use_cache:
            if _memory is not None and _memory[0] == key:
                last_probe_source = "memory"
                return [_retranslated(row) for row in _memory[1]]
            rows = _read_cache(key)
            if rows is not None:
                _memory = (key, rows)
                last_probe_source = "cache"
                return list(rows)
        rows = _run_probe()
        _memory = (key, rows)
        _write_cache(key, rows)
        last_probe_source = "probe"
        return list(rows)


def _retranslated(row: ProbeRow) -> ProbeRow:
    if row.cause is None:
        return row
    return ProbeRow(row.name, row.codec, row.hardware, row.available, row.cause.text(), row.cause)


def forget_probe() -> None:
    """Drop the in-memory result (the file cache stays)."""
    global _memory
    with _lock:
        _memory = None


# --------------------------------------------------------------------------------------------
# Choosing


@dataclass(frozen=True)
class EncoderChoice:
    """The encoder to use; ``reason`` says why the preference was not honoured (None if it was)."""

    name: str
    is_hardware: bool
    reason: str | None = None


def choose_encoder(codec: str = "h264", preference: str | None = "auto", rows: list[ProbeRow] | None = None) -> EncoderChoice:
    """"auto": the best available hardware encoder for ``codec``, else software.  A pinned name
    is used if it works here; otherwise software, with the reason.  Raises
    ``EncoderUnavailable`` only when nothing can encode ``codec``."""
    software = SOFTWARE_ENCODERS.get(codec)
    if preference in (None, "", "auto"):
        rows = rows if rows is not None else probe_encoders()
        for row in rows:
            if row.codec == codec and row.hardware and row.available:
                return EncoderChoice(row.name, True)
        software_row = next((row for row in rows if row.name == software), None)
        if software is not None and (software_row is None or software_row.available):
            return EncoderChoice(software, False)
        raise EncoderUnavailable.because(codec, Reason.of(N_("no encoder for {codec} works on this machine"), codec=codec))
    info = encoder_info(preference)
    reason: str
    if info is None:
        reason = _("no encoder of that name is known")
    elif info.codec != codec:
        reason = _("it encodes {actual}, not {wanted}").format(actual=info.codec, wanted=codec)
    else:
        row = None
        if preference in BACKENDS_BY_NAME:  # registered extras (plugins, test fakes) are not probed
            rows = rows if rows is not None else probe_encoders()
            row = next((candidate for candidate in rows if candidate.name == preference), None)
        if row is None or row.available:
            return EncoderChoice(preference, info.is_hardware)
        reason = row.reason or _("it did not pass the probe")
    if software is None:
        raise EncoderUnavailable.because(preference, reason)
    log.info("encoder %s not usable (%s); using %s", preference, reason, software)
    return EncoderChoice(software, False, reason)


def pick_encoder(codec: str = "h264", preference: str | None = "auto") -> str:
    """The encoder name to use for ``codec`` ("auto" or a pinned name); see ``choose_encoder``."""
    return choose_encoder(codec, preference).name


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        return _child_main(argv[1:])
    rows = probe_encoders(use_cache="--fresh" not in argv)
    print(json.dumps([row.as_dict() for row in rows], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
