"""``bridgecast doctor``: what this machine offers, each missing piece with a fix hint.

Rows are plain dicts ``{"check", "ok", "detail", "fix"}`` with translated text; the Qt row
is added by ``ui/`` (the engine never imports Qt).
"""
from __future__ import annotations

import ctypes.util
import platform
from typing import Any, Callable

from studio.core.i18n import _

Row = dict[str, Any]


def _row(check: str, ok: bool, detail: str, fix: str | None = None) -> Row:
    return {"check": check, "ok": bool(ok), "detail": detail, "fix": None if ok else fix}


def check_portaudio() -> Row:
    try:
        import sounddevice

        version = sounddevice.get_portaudio_version()[1]
        return _row(_("PortAudio (microphones)"), True, version)
    except OSError as exc:
        return _row(_("PortAudio (microphones)"), False, str(exc), _("Install PortAudio: sudo apt-get install libportaudio2"))


def check_audio_devices() -> Row:
    try:
        from studio.audio.devices import list_input_devices

        devices = list_input_devices()
    except Exception as exc:  # PortAudio missing or broken host API
        return _row(_("Audio inputs"), False, str(exc), _("Install PortAudio and PulseAudio or PipeWire"))
    names = ", ".join(d["name"] for d in devices[:6])
    return _row(_("Audio inputs"), bool(devices), names or _("none found"), _("Connect a microphone, or check that PulseAudio/PipeWire is running"))


def check_video_devices() -> Row:
    try:
        from studio.sources.devices import list_video_devices

        devices = list_video_devices()
    except Exception as exc:
        return _row(_("Cameras and capture cards"), False, str(exc), _("Check camera drivers"))
    names = ", ".join(d["name"] for d in devices[:6])
    return _row(
        _("Cameras and capture cards"),
        bool(devices),
        names or _("none found — the test pattern works without one"),
        _("Connect a camera or capture card; on Linux check that /dev/video* exists and you are in the 'video' group"),
    )


def check_encoders() -> Row:
    from encoders.probe import probe_encoders

    rows = probe_encoders()
    hardware = [row.name for row in rows if row.hardware and row.available]
    software = [row.name for row in rows if not row.hardware and row.available]
    if hardware:
        detail = _("hardware: {names}").format(names=", ".join(hardware))
    elif software:
        detail = _("software only ({names}); no GPU encoder opened").format(names=", ".join(software))
    else:
        detail = _("no H.264 encoder could be opened")
    reasons = "; ".join(f"{row.name}: {row.reason}" for row in rows if row.hardware and not row.available and row.reason)
    fix = _("Install the GPU driver (NVIDIA: libcuda; Intel: intel-media-va-driver + libmfx); for VAAPI build PyAV from source against a system FFmpeg with VAAPI")
    row = _row(_("Video encoders"), bool(hardware or software), detail, fix)
    row["hardware_ok"] = bool(hardware)
    row["hardware_reasons"] = reasons or None
    if not hardware:
        row["fix"] = fix  # software works, but the host should know how to get a GPU encoder
    return row


def check_text_shaping() -> Row:
    from PIL import features

    has_raqm = bool(features.check("raqm"))
    return _row(
        _("Complex text shaping (Arabic, Thai)"),
        has_raqm,
        _("Pillow with libraqm") if has_raqm else _("Pillow has no libraqm"),
        _("Install FriBiDi/HarfBuzz: sudo apt-get install libfribidi0 libharfbuzz0b (Windows: ship fribidi.dll)"),
    )


def check_fonts() -> Row:
    from studio.fonts import ui_font_path

    found = ui_font_path()
    return _row(
        _("Fonts (Chinese and Latin)"),
        found is not None,
        found[0] if found else _("no CJK font found"),
        _("Install Noto CJK: sudo apt-get install fonts-noto-cjk"),
    )


def check_region_fonts() -> Row:
    """Every script a region pack supports has a font that draws its sample (canvas, cards and the
    app's text fields all use these fonts)."""
    from studio.fonts import SCRIPT_NAMES, region_script_coverage

    rows = region_script_coverage()
    gaps = [row for row in rows if not row.is_covered]
    if not gaps:
        detail = _("fonts for {scripts}").format(scripts=", ".join(_(SCRIPT_NAMES[row.script]) for row in rows))
    else:
        detail = "; ".join(_("no font for {script} ({regions}): {characters}").format(
            script=_(SCRIPT_NAMES[row.script]), regions=", ".join(row.regions), characters="".join(row.missing[:8]))
            for row in gaps)
    return _row(
        _("Fonts for the region packs' scripts"), not gaps, detail,
        _("Install the Noto fonts: run tools/setup.sh (pip packages fontpkg-noto-sans, fontpkg-noto-sans-thai, "
          "fontpkg-noto-sans-arabic; sudo apt-get install fonts-noto-cjk)"),
    )


def check_pulse() -> Row:
    if platform.system() != "Linux":
        return _row(_("PulseAudio client (Qt Multimedia)"), True, _("not needed on this system"))
    found = ctypes.util.find_library("pulse")
    return _row(_("PulseAudio client (Qt Multimedia)"), found is not None, found or _("libpulse not found"), _("sudo apt-get install libpulse0"))


CHECKS: list[Callable[[], Row]] = [check_portaudio, check_audio_devices, check_video_devices, check_encoders, check_text_shaping, check_fonts,
                                   check_region_fonts, check_pulse]


def run_checks(extra: list[Row] | None = None) -> list[Row]:
    rows = list(extra or [])
    for check in CHECKS:
        try:
            rows.append(check())
        except Exception as exc:  # a broken check must not hide the others
            rows.append(_row(check.__name__, False, str(exc), None))
    return rows
