"""Typed, versioned settings stored in the platform's config directory.

``BRIDGECAST_CONFIG_DIR`` overrides the location (tests always set it).  Older files are
migrated step by step; a broken file is kept aside (never deleted) and defaults are used.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from studio.core import limits
from studio.core.i18n import _
from studio.core.paths import config_dir

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
MAX_PLATFORMS = 20
# "youtube:BROADCAST_ID", "twitch:CHANNEL", "facebook:LIVE_VIDEO_ID", "generic:NAME" (studio.connectors
# checks the platform when a show starts; this only keeps a hand-edited file from breaking settings).
_PLATFORM_SPEC = re.compile(r"[a-z][a-z0-9_-]{0,31}:[^\s:][^\s]{0,199}")


class VideoSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")
    canvas_width: int = Field(1920, ge=160, le=7680)
    canvas_height: int = Field(1080, ge=160, le=7680)
    fps: int = Field(30, ge=1, le=120)
    transition: Literal["cut", "fade", "slide", "swipe", "stinger"] = "fade"
    transition_ms: int = Field(300, ge=0, le=10_000)
    stinger_path: str = Field("", max_length=4096)  # the stinger transition's video ("" = none yet)
    stinger_cut_point_ms: int = Field(0, ge=0, le=10_000)
    latency_probe: bool = False
    # The second, 9:16 canvas a vertical destination takes (made when a show needs it).
    vertical_width: int = Field(1080, ge=160, le=7680, multiple_of=2)
    vertical_height: int = Field(1920, ge=160, le=7680, multiple_of=2)


class AudioSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")
    block_ms: Literal[10, 20] = 20
    # sounddevice device name; None = the system default input, "" = no microphone.
    microphone: str | None = None


# What the preview does while the show is live: the encoders need the processor more than the
# host needs a 30 fps picture of what they see in the rehearsal and health views anyway
# ("smooth": the idle rate; "light": LIGHT_PREVIEW_FPS; "paused": no preview pictures at all —
# Streamlabs' performance mode).
LivePreview = Literal["smooth", "light", "paused"]
LIGHT_PREVIEW_FPS = 15


class UiSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")
    preview_fps: int = Field(30, ge=1, le=60)
    live_preview: LivePreview = "light"

    def preview_rate(self, is_live: bool) -> int:
        """Frames a second the preview shows now (0: paused)."""
        if not is_live or self.live_preview == "smooth":
            return self.preview_fps
        return 0 if self.live_preview == "paused" else min(self.preview_fps, LIGHT_PREVIEW_FPS)


class Destination(BaseModel):
    """A platform to go live to: a WHIP endpoint or an RTMP/RTMPS server, on one canvas.

    The token (WHIP bearer token or RTMP stream key) is kept by ``studio.secrets_store`` under
    ``token_ref``, never in this file.  ``is_enabled``: Go live publishes to it (every enabled
    destination at once).  ``platform`` names a preset of ``studio.golive.platforms`` ("custom"
    for any server); ``bitrate_bps`` None takes the canvas's top layer as it is.
    """

    model_config = ConfigDict(extra="ignore")
    id: str
    name: str = Field(..., min_length=1, max_length=200)
    kind: Literal["whip", "rtmp"] = "whip"
    platform: str = "custom"
    canvas: Literal["horizontal", "vertical"] = "horizontal"
    is_enabled: bool = True
    whip_url: str | None = None
    rtmp_server: str | None = None  # the server URL without the stream key
    bitrate_bps: int | None = Field(None, ge=100_000, le=50_000_000)
    token_ref: str | None = None
    codec: Literal["h264", "vp8"] = "h264"
    layers: list[Literal["h", "m", "l"]] = Field(default_factory=lambda: ["h", "m", "l"])
    simulcast: Literal["rid", "ssrc", "off"] = "rid"

    @model_validator(mode="after")
    def _has_an_address(self) -> "Destination":
        if self.kind == "whip":
            if not self.whip_url:
                raise ValueError("a WHIP destination needs whip_url")
            if self.canvas != "horizontal":
                raise ValueError("a WHIP destination takes the horizontal canvas")
        else:
            server = (self.rtmp_server or "").strip()
            if not server.lower().startswith(("rtmp://", "rtmps://")):
                raise ValueError("an RTMP destination needs rtmp_server starting with rtmp:// or rtmps://")
        return self

    @property
    def output_id(self) -> str:
        """The id of its output in a running show's stats (the WHIP destination is always "whip")."""
        return "whip" if self.kind == "whip" else self.id


class RecordingSettings(BaseModel):
    """Go live's local recording: the stream's own top-layer packets + sound, crash-safe Matroska."""

    model_config = ConfigDict(extra="ignore")
    record_while_live: bool = False
    folder: str | None = None  # None: default_recording_folder()
    remux_to_mp4: bool = True  # convert to MP4 after the show (the .mkv is kept)


class GoLiveSettings(BaseModel):
    """What Go live does besides streaming."""

    model_config = ConfigDict(extra="ignore")
    recording: RecordingSettings = Field(default_factory=RecordingSettings)
    # Offer the live-show events (pins, coupons, flash sales …) over a data channel on the
    # WHIP session; a server that declines it still gets the stream.
    events_channel: bool = False


def default_recording_folder() -> Path:
    """Where recordings go unless the host picks a folder: the user's videos folder."""
    import platformdirs

    return Path(platformdirs.user_videos_dir()) / "Bridgecast"


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")
    schema_version: int = SCHEMA_VERSION
    language: str = "system"  # "system" or a code from studio.core.i18n.LANGUAGES
    video: VideoSettings = Field(default_factory=VideoSettings)
    audio: AudioSettings = Field(default_factory=AudioSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    scene_collection: str | None = None  # path of the last opened collection
    # Go live publishes to every enabled destination; none enabled = the built-in rehearsal receiver.
    destinations: list[Destination] = Field(default_factory=list)
    encoder: str = "auto"  # "auto" or a pinned encoder name from `bridgecast encoders`
    golive: GoLiveSettings = Field(default_factory=GoLiveSettings)
    control_port: int = Field(0, ge=0, le=65535)  # control API for assistant devices; 0 = any free port
    control_lan: bool = False  # serve the control API beyond 127.0.0.1
    locale: str | None = None  # overlay prices/dates locale (Babel), e.g. "en_US", "de_DE", "ar_SA"
    # Region pack (cover_designer.regions) the on-screen cards are styled with; None = the locale's region.
    region: str | None = None
    # Every live-show event is POSTed here (None = off).  The signing secret is kept by
    # ``studio.secrets_store`` under ``webhook_secret_ref``, never in this file.
    webhook_url: str | None = Field(None, max_length=2000)
    webhook_secret_ref: str | None = None
    # Platform connectors heard during a show (``bridgecast live --connect`` specs).  Their tokens
    # are kept by ``studio.secrets_store`` as ``connector.<platform>.token`` …, never in this file.
    platforms: list[str] = Field(default_factory=list)

    @field_validator("platforms", mode="before")
    @classmethod
    def _usable_platform_specs(cls, value: Any) -> list[str]:
        """Keep the well-formed specs, once each; anything else in the file is left out, not fatal."""
        if not isinstance(value, list):
            return []
        kept: list[str] = []
        for item in value:
            if isinstance(item, str) and _PLATFORM_SPEC.fullmatch(item.strip()) and item.strip() not in kept:
                kept.append(item.strip())
        return kept[:MAX_PLATFORMS]


def _one_chosen_destination_to_enabled_ones(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 chose one WHIP destination (``destination``, None = the rehearsal receiver);
    version 2 goes live on every enabled destination.  The chosen one becomes the only enabled
    one, so Go live does what it did before."""
    chosen = data.pop("destination", None)
    destinations = data.get("destinations")
    if isinstance(destinations, list):
        for destination in destinations:
            if isinstance(destination, dict):
                destination.setdefault("kind", "whip")
                destination["is_enabled"] = chosen is not None and destination.get("id") == chosen
    return data


# version N -> function turning a version-N dict into version N+1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: _one_chosen_destination_to_enabled_ones,
}


def settings_path() -> Path:
    return config_dir() / "settings.json"


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = schema_version(data)
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is not None:
            data = step(data)
        version += 1
        data["schema_version"] = version
    return data


def schema_version(data: dict[str, Any]) -> int:
    """The file's ``schema_version`` (0 when absent); ValueError for anything but a whole number ≥ 0."""
    value = data.get("schema_version", 0) or 0
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("schema_version is not a number")
    try:
        version = int(value)
    except (ValueError, OverflowError):
        raise ValueError("schema_version is not a whole number") from None
    if version < 0 or version != value and not isinstance(value, str):
        raise ValueError("schema_version is not a whole number of at least 0")
    return version


def _read_json(path: Path) -> dict[str, Any]:
    """The file as a JSON object; ValueError (in the log's words) for anything else."""
    with path.open("rb") as file:
        raw = file.read(limits.MAX_SETTINGS_BYTES + 1)
    if len(raw) > limits.MAX_SETTINGS_BYTES:
        raise ValueError(f"larger than {limits.MAX_SETTINGS_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _keep_aside(path: Path) -> Path:
    """Rename a broken file to ``settings.json.broken-<time>[-n]`` (never over an earlier one)."""
    stem = f"{path.name}.broken-{int(time.time())}"
    kept = path.with_name(stem)
    number = 1
    while kept.exists():
        number += 1
        kept = path.with_name(f"{stem}-{number}")
    try:
        path.replace(kept)
    except OSError:
        return path
    return kept


def load_settings(path: Path | None = None) -> tuple[Settings, str | None]:
    """Load settings; returns (settings, warning-or-None).  Never raises for a bad file: an
    unreadable one (not JSON, nested too deeply, over ``MAX_SETTINGS_BYTES``, invalid values) is
    kept aside under a new name and defaults are used."""
    path = path or settings_path()
    if not path.exists():
        return Settings(), None
    try:
        data = _read_json(path)
        if schema_version(data) > SCHEMA_VERSION:
            return Settings(), _("Settings were written by a newer Bridgecast; using defaults without overwriting them.")
        return Settings.model_validate(migrate(data)), None
    except (ValueError, ValidationError, OSError) as exc:
        kept = _keep_aside(path)
        log.warning("settings file %s unreadable (%s); kept as %s", path, _short(exc), kept)
        return Settings(), _("Settings file was unreadable; defaults are in use. The old file is kept as {path}.").format(path=kept)


def _short(error: BaseException) -> str:
    """The first lines of an error for the log (a validation error can quote megabytes of input)."""
    text = str(error)
    return text if len(text) <= 500 else text[:499] + "…"


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(settings.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, path)
