"""The PortAudio boundary: device enumeration and opening input streams.

Everything that touches ``sounddevice`` lives here, behind one lock, for three reasons:

* ``sounddevice`` fails at import when the PortAudio library is missing (Linux wheels do
  not bundle it); the rest of the studio must still run, so the import is lazy and its
  failure becomes :func:`portaudio_status`.
* PortAudio scans devices only when it initialises; a device plugged in later (or a
  PulseAudio server started later, which is what makes ALSA's ``pulse``/``default``
  devices exist) appears only after a re-initialisation.  Re-initialising closes every
  open stream, so :func:`rescan` only does it while no stream opened here is open.
  Devices known at the last scan reconnect without a rescan.
* Device ids must stay stable across scans and reboots, so they are names, not indexes.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

from studio.core.errors import AudioDeviceError
from studio.core.i18n import _

log = logging.getLogger(__name__)

_lock = threading.RLock()
_sounddevice: Any = None
_import_error: str | None = None
_open_stream_count = 0

def _load() -> Any:
    """The ``sounddevice`` module, or ``None`` when PortAudio cannot be loaded."""
    global _sounddevice, _import_error
    with _lock:
        if _sounddevice is None and _import_error is None:
            try:
                import sounddevice

                _sounddevice = sounddevice
            except (OSError, ImportError) as exc:  # OSError: "PortAudio library not found"
                _import_error = str(exc)
                log.warning("PortAudio unavailable: %s", exc)
        return _sounddevice


def portaudio_status() -> tuple[bool, str]:
    """``(True, "PortAudio <version>")`` or ``(False, <user-facing reason with a fix>)``."""
    sd = _load()
    if sd is None:
        return False, _(
            "Audio devices are unavailable: the PortAudio library is missing. Install libportaudio2 "
            "(Debian/Ubuntu: sudo apt install libportaudio2; Fedora: sudo dnf install portaudio)."
        )
    try:
        version = sd.get_portaudio_version()[1]
    except Exception as exc:  # a broken PortAudio build still should not take the app down
        return False, _("Audio devices are unavailable: PortAudio failed to start ({error}).").format(error=exc)
    return True, str(version)


def rescan() -> bool:
    """Re-initialise PortAudio so devices that appeared since the last scan are listed.

    Returns ``False`` (and does nothing) while any stream opened through this module is
    open, because PortAudio would close it.
    """
    sd = _load()
    if sd is None:
        return False
    with _lock:
        if _open_stream_count > 0:
            return False
        try:
            # sounddevice keeps PortAudio initialised from import; one terminate/initialise
            # pair takes its reference count to zero and back, which is what rescans.
            sd._terminate()
            sd._initialize()
        except Exception:
            log.exception("PortAudio re-initialisation failed")
            try:
                sd._initialize()
            except Exception:
                pass
            return False
        return True


def _host_api_names(sd: Any) -> list[str]:
    try:
        return [api["name"] for api in sd.query_hostapis()]
    except Exception:
        return []


def _default_input_index(sd: Any) -> int | None:
    try:
        info = sd.query_devices(kind="input")
    except Exception:  # PortAudioError when there is no default input
        return None
    index = info.get("index") if isinstance(info, dict) else None
    return int(index) if index is not None and index >= 0 else None


def list_input_devices(rescan_first: bool = True) -> list[dict[str, Any]]:
    """Input devices as ``[{"id", "name", "channels", "sample_rate", "host_api", "is_default"}]``.

    ``id`` is the device name (stable; what :class:`~studio.audio.inputs.DeviceInput`
    takes); ``channels`` is the device's input channel count; ``sample_rate`` its
    default rate in Hz.  Empty when PortAudio is missing (see :func:`portaudio_status`).
    """
    sd = _load()
    if sd is None:
        return []
    with _lock:
        if rescan_first:
            rescan()
        try:
            devices = sd.query_devices()
        except Exception:
            log.exception("listing audio devices failed")
            return []
        host_apis = _host_api_names(sd)
        default_index = _default_input_index(sd)
    result = []
    for index, info in enumerate(devices):
        channels = int(info.get("max_input_channels", 0))
        if channels <= 0:
            continue
        host_api_index = info.get("hostapi", -1)
        result.append(
            {
                "id": str(info["name"]),
                "name": str(info["name"]),
                "channels": channels,
                "sample_rate": int(round(info.get("default_samplerate") or 0)),
                "host_api": host_apis[host_api_index] if 0 <= host_api_index < len(host_apis) else "",
                "is_default": index == default_index,
            }
        )
    return result


def _find_input(sd: Any, device_id: str | None) -> dict[str, Any] | None:
    """Device info for an id (a name), or the system default input for ``None``."""
    if device_id is None:
        index = _default_input_index(sd)
        return dict(sd.query_devices(index), index=index) if index is not None else None
    try:
        devices = sd.query_devices()
    except Exception:
        return None
    for index, info in enumerate(devices):
        if info["name"] == device_id and info.get("max_input_channels", 0) > 0:
            return dict(info, index=index)
    return None


@dataclass
class InputStreamHandle:
    """An open, started PortAudio input stream; ``close()`` exactly once."""

    stream: Any
    channels: int
    device_name: str
    _is_closed: bool = False

    @property
    def is_active(self) -> bool:
        """False once PortAudio stopped the stream by itself (device lost)."""
        try:
            return bool(self.stream.active)
        except Exception:
            return False

    def close(self) -> None:
        global _open_stream_count
        with _lock:
            if self._is_closed:
                return
            self._is_closed = True
        try:
            # Outside the lock: a wedged driver must not also block device listing.
            self.stream.abort(ignore_errors=True)
            self.stream.close(ignore_errors=True)
        except Exception:
            log.debug("closing audio stream %s failed", self.device_name, exc_info=True)
        finally:
            with _lock:
                _open_stream_count -= 1


def open_input_stream(
    device_id: str | None,
    sample_rate: int,
    callback: Callable[..., None],
    finished_callback: Callable[[], None] | None = None,
    max_channels: int = 2,
) -> InputStreamHandle:
    """Open and start a float32 input stream on a device (``None`` = system default).

    The device may deliver fewer channels than ``max_channels`` (a mono mic): the
    handle's ``channels`` says how many.  Raises :class:`AudioDeviceError` with a
    user-facing message when PortAudio is missing, the device is absent, or it refuses.
    """
    global _open_stream_count
    sd = _load()
    if sd is None:
        raise AudioDeviceError(portaudio_status()[1])
    label = device_id if device_id is not None else _("default input")
    with _lock:
        info = _find_input(sd, device_id)
        if info is None and rescan():
            info = _find_input(sd, device_id)
        if info is None:
            raise AudioDeviceError(_("Audio device “{name}” is not connected.").format(name=label))
        channels = max(1, min(int(max_channels), int(info["max_input_channels"])))
        stream = None
        try:
            stream = sd.InputStream(
                device=info["index"],
                samplerate=sample_rate,
                channels=channels,
                dtype="float32",
                callback=callback,
                finished_callback=finished_callback,
            )
            stream.start()
        except Exception as exc:  # PortAudioError, or ValueError for unsupported settings
            if stream is not None:
                try:
                    stream.close(ignore_errors=True)
                except Exception:
                    pass
            raise AudioDeviceError(
                _("Audio device “{name}” could not be opened at {rate} Hz: {error}").format(
                    name=label, rate=sample_rate, error=exc
                )
            ) from exc
        _open_stream_count += 1
        return InputStreamHandle(stream=stream, channels=channels, device_name=str(info["name"]))


def open_stream_count() -> int:
    """How many streams opened here are still open (a rescan waits for zero)."""
    with _lock:
        return _open_stream_count
