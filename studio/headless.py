"""Headless go-live (``bridgecast live``): build a show from options, publish, write stats.

The CLI in ``ui/cli.py`` only parses arguments into ``LiveOptions`` and calls
``run_live``; everything that runs lives here so tests and benchmarks use the same path.
"""
from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from studio.core.clock import NS_PER_S, now_ns
from studio.core.errors import StudioError
from studio.core.i18n import _, ngettext
from studio.scene import (
    Canvas, Scene, SceneCollection, SceneItem, SourceSpec, Transition, load_collection, unavailable_sources, without_sources,
)

if TYPE_CHECKING:  # pragma: no cover
    from studio.golive.plan import GoLivePlan

log = logging.getLogger(__name__)

TOKEN_ENV = "BRIDGECAST_WHIP_TOKEN"
WEBHOOK_URL_ENV = "BRIDGECAST_WEBHOOK_URL"
WEBHOOK_SECRET_ENV = "BRIDGECAST_WEBHOOK_SECRET"


class OptionError(StudioError, ValueError):
    """A command-line option is unusable; the message says which and why."""


# The ranges every way into a show (the command line, LiveOptions built in code) is held to.
MIN_FPS, MAX_FPS = 1, 120
MAX_DURATION_S = 7 * 24 * 3600  # a week: longer is a typo, not a show
MIN_CANVAS_PX, MAX_CANVAS_PX = 160, 7680
MAX_PORT = 65535
LAYER_RIDS = ("h", "m", "l")
HTTP_SCHEMES = ("http", "https")


@dataclass
class LiveOptions:
    source: str | None = "testpattern"  # testpattern | file:PATH | camera:ID
    scene: Path | None = None
    canvas: tuple[int, int] = (1920, 1080)
    fps: int = 30
    whip: str | None = None  # None: the built-in rehearsal receiver
    token: str | None = None
    layers: tuple[str, ...] = ("h", "m", "l")
    encoder: str = "auto"
    codec: str = "h264"
    duration_s: float | None = None
    stats_jsonl: Path | None = None
    keep_show_stats: bool = True  # without stats_jsonl: one stats file per show in the config dir
    has_audio: bool = True
    catalog: Path | None = None  # product catalog (CSV/JSON) for the live panel
    control_port: int | None = None  # serve the control API on 127.0.0.1:PORT (0 = any free port)
    control_host: str = "127.0.0.1"
    control_token: str | None = None  # else env BRIDGECAST_CONTROL_TOKEN, else a random one
    show_db: Path | None = None  # live-show state + journal (default: config dir)
    locale: str = "en_US"  # the viewers' locale: prices, dates, on-screen text
    region: str | None = None  # overlay region pack (None: follows the locale)
    record: Path | None = None  # local Matroska recording of the top layer + audio
    events_channel: bool = False  # live-show events over a data channel on the WHIP session too
    rtmp: tuple[str, ...] = ()  # RTMP(S) destinations of the horizontal canvas (key = last path segment)
    rtmp_vertical: tuple[str, ...] = ()  # RTMP(S) destinations of the vertical canvas
    vertical_canvas: tuple[int, int] = (1080, 1920)
    rtmp_ca_file: Path | None = None  # RTMPS: trust only this CA (default: the system store)
    webhook_url: str | None = None  # POST every live-show event here (else env BRIDGECAST_WEBHOOK_URL)
    webhook_secret: str | None = None  # HMAC-signs each POST (else env BRIDGECAST_WEBHOOK_SECRET); never logged
    connect: tuple[str, ...] = ()  # platform connectors, "youtube:BROADCAST_ID" … (credentials from env/secrets)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Options built in code meet the same ranges as the command line: a bad value is
        # refused here in words, not deep inside the compositor as a validation trace.
        check_fps(self.fps)
        if self.duration_s is not None:
            check_duration(self.duration_s)
        if self.control_port is not None:
            check_port(self.control_port, option="--control-port")
        check_canvas(self.canvas, option="--canvas")
        check_canvas(self.vertical_canvas, option="--vertical-canvas")
        if not self.layers or any(rid not in LAYER_RIDS for rid in self.layers) or len(set(self.layers)) != len(self.layers):
            raise OptionError(_("--layers takes a comma-separated subset of h,m,l, not “{value}”").format(
                value=",".join(map(str, self.layers))))

    def resolved_token(self) -> str | None:
        return self.token or os.environ.get(TOKEN_ENV) or None

    def resolved_webhook(self) -> tuple[str | None, str | None]:
        """(URL, signing secret) from the options, else the environment."""
        return (self.webhook_url or os.environ.get(WEBHOOK_URL_ENV) or None,
                self.webhook_secret or os.environ.get(WEBHOOK_SECRET_ENV) or None)


def check_canvas(size: tuple[int, int], option: str = "--canvas", text: str | None = None) -> tuple[int, int]:
    """Even sizes within what the encoders take (H.264 4:2:0 needs even sides)."""
    width, height = size
    if not all(MIN_CANVAS_PX <= side <= MAX_CANVAS_PX and side % 2 == 0 for side in (width, height)):
        raise OptionError(_("{option} needs even sizes between 160 and 7680 pixels, not “{value}”").format(
            option=option, value=text if text is not None else f"{width}x{height}"))
    return width, height


def _lowercase_first(text: str) -> str:
    """The recorder says "Recording stopped: …"; after "warning:" it reads "recording stopped: …"."""
    return text[:1].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


def parse_canvas(text: str, option: str = "--canvas") -> tuple[int, int]:
    try:
        width_text, height_text = text.lower().split("x")
        width, height = int(width_text), int(height_text)
    except ValueError:
        raise OptionError(_("{option} must look like 1920x1080, not “{value}”").format(option=option, value=text)) from None
    return check_canvas((width, height), option=option, text=text)


def check_fps(fps: int, text: str | None = None) -> int:
    if isinstance(fps, bool) or not isinstance(fps, int) or not MIN_FPS <= fps <= MAX_FPS:
        raise OptionError(_("--fps takes a whole number of frames per second from 1 to 120, not “{value}”").format(
            value=text if text is not None else fps))
    return fps


def parse_encoder(text: str) -> str:
    """``auto`` or the name of an encoder this build knows (whether it opens here is the probe's
    business: a named encoder that cannot open falls back in words at start)."""
    from encoders.backends import BACKENDS_BY_NAME

    name = text.strip()
    if name == "auto" or name in BACKENDS_BY_NAME:
        return name
    raise OptionError(_("--encoder takes auto or an encoder name ({names}), not “{value}”").format(
        names=", ".join(sorted(BACKENDS_BY_NAME)), value=text))


def parse_fps(text: str) -> int:
    try:
        fps = int(text.strip())
    except ValueError:
        raise OptionError(_("--fps takes a whole number of frames per second from 1 to 120, not “{value}”").format(
            value=text)) from None
    return check_fps(fps, text)


def check_duration(duration_s: float, text: str | None = None) -> float:
    if not math.isfinite(duration_s) or not 0 < duration_s <= MAX_DURATION_S:
        raise OptionError(_("--duration takes seconds, more than 0 and at most {max_s} (7 days), not “{value}”").format(
            max_s=MAX_DURATION_S, value=text if text is not None else duration_s))
    return float(duration_s)


def parse_duration(text: str) -> float:
    try:
        duration_s = float(text.strip())
    except ValueError:
        raise OptionError(_("--duration takes seconds, more than 0 and at most {max_s} (7 days), not “{value}”").format(
            max_s=MAX_DURATION_S, value=text)) from None
    return check_duration(duration_s, text)


def check_port(port: int, option: str, text: str | None = None) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= MAX_PORT:
        raise OptionError(_("{option} takes a port number from 0 to 65535 (0: any free port), not “{value}”").format(
            option=option, value=text if text is not None else port))
    return port


def parse_port(text: str, option: str = "--control-port") -> int:
    """A TCP port; 0 lets the system pick a free one (the control API then prints where it is)."""
    try:
        port = int(text.strip())
    except ValueError:
        raise OptionError(_("{option} takes a port number from 0 to 65535 (0: any free port), not “{value}”").format(
            option=option, value=text)) from None
    return check_port(port, option, text)


def parse_http_url(text: str, option: str) -> str:
    """An http(s) address naming a server (WHIP endpoint, webhook); shown masked when refused,
    because such addresses often carry a token in the path or query."""
    from studio.outputs.rtmp_url import mask_stream_url

    try:
        parts = urllib.parse.urlsplit(text.strip())
        is_valid = parts.scheme.lower() in HTTP_SCHEMES and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:  # a malformed host, or a port out of range (urllib checks it on reading)
        is_valid = False
    if not is_valid:
        raise OptionError(_("{option} takes an http:// or https:// address with a server name, not “{value}”").format(
            option=option, value=mask_stream_url(text)))
    return text.strip()


def check_input_file(text: str, option: str) -> Path:
    """A file the show reads at start (scene, catalog, media, CA certificate): it must exist
    and be a file, said before anything starts rather than as a failure once live."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise OptionError(_("{option} needs a file, but {path} is a folder").format(option=option, path=path))
    if not path.is_file():
        raise OptionError(_("{option} file not found: {path}").format(option=option, path=path))
    return path


def parse_source(text: str) -> str:
    """``testpattern``, ``file:PATH`` (an existing file) or ``camera:ID``."""
    if text == "testpattern":
        return text
    if text.startswith("file:"):
        check_input_file(text[5:], "--source")
        return text
    if text.startswith("camera:"):
        if not text[7:].strip():
            raise OptionError(_("--source camera: needs a device ID, e.g. camera:0 (see `bridgecast devices`)"))
        return text
    raise OptionError(_("--source must be testpattern, file:PATH or camera:ID, not “{value}”").format(value=text))


def parse_rtmp_url(url: str, option: str = "--rtmp") -> str:
    """One RTMP(S) address checked up front; a bad one is refused in words with its key masked."""
    from studio.outputs.rtmp_url import mask_stream_url, parse_rtmp_url as parse_address, stream_key

    try:
        parse_address(url)
    except ValueError:
        raise OptionError(_("{option} takes rtmp:// or rtmps:// addresses, not “{value}”").format(
            option=option, value=mask_stream_url(url))) from None
    if not stream_key(url):
        raise OptionError(_("{value} has no stream key: it is the last part of the address").format(
            value=mask_stream_url(url)))
    return url


def parse_rtmp_urls(urls: list[str] | tuple[str, ...], option: str = "--rtmp") -> tuple[str, ...]:
    """RTMP(S) addresses checked up front; a bad one is refused in words with its key masked."""
    return tuple(parse_rtmp_url(url, option) for url in urls)


def parse_connect(text: str) -> str:
    """``--connect PLATFORM:ID``: the platform known and an id given (credentials are checked at start)."""
    from studio.connectors import ConnectorError, parse_spec

    try:
        platform, target = parse_spec(text)
    except ConnectorError as exc:
        raise OptionError(_("--connect: {reason}").format(reason=exc)) from None
    return f"{platform}:{target}"


def parse_layers(text: str) -> tuple[str, ...]:
    layers = tuple(part.strip() for part in text.split(",") if part.strip())
    if not layers or any(rid not in LAYER_RIDS for rid in layers) or len(set(layers)) != len(layers):
        raise OptionError(_("--layers takes a comma-separated subset of h,m,l, not “{value}”").format(value=text))
    return tuple(rid for rid in LAYER_RIDS if rid in layers)


def parse_locale(text: str) -> str:
    """A CLDR locale such as th_TH or ar_SA (Babel knows it), normalised with an underscore."""
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(text.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        raise OptionError(_("--locale must be a known locale such as en_US, th_TH or ar_SA, not “{value}”").format(
            value=text)) from None


def build_collection(options: LiveOptions, report: Callable[[str], None] | None = None) -> SceneCollection:
    """The show to publish: a scene file, or one full-canvas source from ``--source``.

    A scene file's sources whose file or camera is not here are left out, each said in one
    ``warning:`` line through ``report``; a scene file with none left is refused."""
    if options.scene is not None:
        collection = load_collection(options.scene)
        missing = unavailable_sources(collection)
        if missing and len(missing) == len(collection.sources):
            raise OptionError(_("--scene: none of the sources of {name} is available ({reasons})").format(
                name=options.scene.name, reasons="; ".join(missing.values())))
        names = {spec.id: spec.name for spec in collection.sources}
        for source_id, reason in missing.items():
            if report is not None:
                report(_("warning: source “{name}” was left out of the show: {reason}").format(
                    name=names[source_id], reason=reason))
        return without_sources(collection, missing) if missing else collection
    width, height = options.canvas
    canvas = Canvas(width=width, height=height, fps=options.fps)
    source = options.source or "testpattern"
    if source == "testpattern":
        spec = SourceSpec(kind="testpattern", name=_("Test pattern"), settings={"width": width, "height": height, "fps": options.fps})
    elif source.startswith("file:"):
        path = Path(source[5:]).expanduser()
        if not path.is_file():
            raise OptionError(_("--source file not found: {path}").format(path=path))
        kind = "image" if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff") else "media_file"
        spec = SourceSpec(kind=kind, name=path.name, settings={"path": str(path), "loop": True})
    elif source.startswith("camera:"):
        spec = SourceSpec(kind="camera", name=_("Camera {id}").format(id=source[7:]), settings={"device": source[7:], "width": width, "height": height, "fps": options.fps})
    else:
        raise OptionError(_("--source must be testpattern, file:PATH or camera:ID, not “{value}”").format(value=source))
    scene = Scene(name=_("Main"), items=[SceneItem(source_id=spec.id, width=width, height=height)])
    return SceneCollection(canvas=canvas, transition=Transition(kind="cut", duration_ms=0), sources=[spec], scenes=[scene], current_scene=scene.id)


class StatsWriter:
    """Appends one JSON object per line; flushed every line so a crash keeps what was written.

    A file that cannot be opened or written (disk full, removed folder) stops the stats with
    one warning through ``report``; the stream goes on."""

    def __init__(self, path: Path | None, report: Callable[[str], None] | None = None) -> None:
        self._handle = None
        self.path = path
        self._report = report or (lambda line: None)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = path.open("a", encoding="utf-8")
            except OSError as exc:
                self._fail(exc)

    def write(self, record: dict[str, Any]) -> None:
        if self._handle is not None:
            try:
                self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                self._handle.flush()
            except OSError as exc:
                self._fail(exc)
                self.close()

    def _fail(self, exc: OSError) -> None:
        reason = exc.strerror or type(exc).__name__
        self._report(_("warning: stream statistics are no longer written to {path}: {reason}").format(
            path=self.path, reason=reason))

    def close(self) -> None:
        if self._handle is not None:
            try:
                self._handle.close()
            except OSError:
                pass
            self._handle = None


def every_second(stop: threading.Event, duration_s: float | None, tick: Callable[[], bool]) -> None:
    """Call ``tick`` once per second on the media clock until it returns False, ``stop`` is set
    or ``duration_s`` has passed."""
    started = now_ns()
    next_ns = started + NS_PER_S
    while not stop.is_set():
        deadline_ns = started + int(duration_s * NS_PER_S) if duration_s is not None else None
        wake_ns = next_ns if deadline_ns is None else min(next_ns, deadline_ns)
        if stop.wait(max(0.0, (wake_ns - now_ns()) / NS_PER_S)):
            return
        if deadline_ns is not None and now_ns() >= deadline_ns:
            tick()
            return
        if now_ns() >= next_ns:
            next_ns += NS_PER_S
            if not tick():
                return


def plan_from_options(options: LiveOptions, stats_path: Path | None) -> "GoLivePlan":
    """The go-live plan ``bridgecast live`` carries out (the same plan type the app builds)."""
    from studio.golive.plan import CanvasRole, GoLivePlan, RecordingPlan, RtmpTarget, WhipTarget

    has_rtmp = bool(options.rtmp or options.rtmp_vertical)
    whip = None
    if options.whip is not None or not has_rtmp:  # only --rtmp…: no WHIP and no rehearsal receiver
        whip = WhipTarget(url=options.whip, token=options.resolved_token(), layers=tuple(options.layers), codec=options.codec)
    targets = [RtmpTarget(url, id=f"rtmp-{index}", ca_file=options.rtmp_ca_file)
               for index, url in enumerate(options.rtmp, start=1)]
    targets += [RtmpTarget(url, id=f"rtmp-vertical-{index}", canvas=CanvasRole.VERTICAL, ca_file=options.rtmp_ca_file)
                for index, url in enumerate(options.rtmp_vertical, start=1)]
    return GoLivePlan(
        whip=whip,
        rtmp=tuple(targets),
        vertical_canvas=options.vertical_canvas,
        recording=RecordingPlan(path=options.record) if options.record is not None else None,
        events_channel=options.events_channel,
        has_audio=options.has_audio,
        encoder=options.encoder,
        stats_path=stats_path,
    )


def load_catalog_at_start(shelf: Any, path: Path, report: Callable[[str], None]) -> None:
    """``--catalog``: every row problem is one ``warning:`` line; a file that imports nothing
    keeps the saved catalog (said in a warning) or, with none saved, stops the show before it
    goes live (:class:`~studio.live.errors.CatalogError`, one ``error:`` line)."""
    from studio.live.catalog import CatalogNotImportedError
    from studio.live.errors import CatalogError

    try:
        result = shelf.read(path)
        errors = result.errors
        for error in errors:
            report(_("warning: catalog {name}: {problem}").format(name=path.name, problem=error.message))
        event = shelf.apply(result, path.name)
    except CatalogError as exc:
        if not isinstance(exc, CatalogNotImportedError):
            report(_("warning: {reason}").format(reason=exc))
        saved = len(shelf.products)
        if not saved:
            raise CatalogError(_("nothing in {name} could be imported and no saved catalog can stand in for it").format(
                name=path.name)) from None
        report(ngettext("warning: nothing in {name} could be imported; the show goes on with the saved catalog ({count} product)",
                        "warning: nothing in {name} could be imported; the show goes on with the saved catalog ({count} products)",
                        saved).format(name=path.name, count=saved))
        return
    if result.skipped_rows:
        report(ngettext("warning: {count} row of {name} was left out", "warning: {count} rows of {name} were left out",
                        len(result.skipped_rows)).format(count=len(result.skipped_rows), name=path.name))
    if event["data"].get("unpinned_sku"):
        report(_("warning: the pinned product {sku} is not in {name}, so it was taken off the program").format(
            sku=event["data"]["unpinned_sku"], name=path.name))


def connect_platforms(live: Any, specs: tuple[str, ...], report: Callable[[str], None]) -> Any:
    """``--connect``: the platforms' comments, viewers and orders into the show.  A connector
    that cannot start (no credentials) is one ``warning:`` line; the others and the show go on."""
    from studio.connectors import ConnectorError
    from studio.live.audience import ShowAudience

    audience = ShowAudience(live)
    for spec in specs:
        try:
            connector = audience.connect(spec)
        except ConnectorError as exc:
            report(_("warning: {spec} is not connected: {reason}").format(spec=spec, reason=_lowercase_first(str(exc))))
            continue
        problem = connector.credential_problem()
        if problem:
            report(_("warning: {spec}: {reason}").format(spec=spec, reason=_lowercase_first(problem)))
    audience.start()
    return audience


def run_live(options: LiveOptions, stop: threading.Event | None = None, err: Callable[[str], None] | None = None) -> int:
    """Go live headless until ``duration_s`` passes or ``stop`` is set; returns the exit code.

    Without ``whip`` the stream goes to the built-in rehearsal receiver.  Exit 0 after a
    normal stop (the WHIP DELETE sent); 1 with one line ``error: <reason in words>`` on a
    fatal error.  The show runs through the same :class:`~studio.golive.service.GoLiveService`
    as the desktop Go live.
    """
    from studio.engine import Studio
    from studio.golive.service import GoLiveService
    from studio.outputs.publisher import FAILED
    from studio.settings import Settings

    stop = stop or threading.Event()
    report = err or (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        plan = plan_from_options(options, stats_path=None)
    except ValueError as exc:  # a combination the plan refuses (the key is masked in the message)
        report(_("error: {reason}").format(reason=exc))
        return 2
    collection = build_collection(options, report)
    settings = Settings()
    settings.audio.microphone = ""  # headless: audio inputs come from the scene file only
    studio = Studio(settings=settings, collection=collection)
    service = None
    control = None
    audience = None
    # Every show keeps its stats for the post-show review (`bridgecast review`): in the file
    # asked for, else one per show next to the live-show database.
    stats_path = options.stats_jsonl
    if stats_path is None and options.keep_show_stats:
        from studio.outputs.show_stats import new_stats_path

        stats_path = new_stats_path()
    writer = StatsWriter(stats_path, report)
    exit_code = 0
    try:
        if options.has_audio and not collection.audio_inputs:
            # Nothing to hear in a test pattern; a quiet tone keeps the audio path honest.
            studio.audio_inputs.add("tone", _("Test tone"), level_dbfs=-30.0)
        studio.start()
        webhook_url, webhook_secret = options.resolved_webhook()
        if (options.catalog is not None or options.control_port is not None or webhook_url or options.events_channel
                or options.connect):
            from studio.control import LiveControl

            control = LiveControl(studio, options.show_db, None, port=options.control_port, host=options.control_host, token=options.control_token,
                                  webhook_url=webhook_url, webhook_secret=webhook_secret,
                                  locale=options.locale, region=options.region)
            if options.control_port is not None and control.token_warning:
                report(control.token_warning)
            if options.catalog is not None:
                load_catalog_at_start(control.live.shelf, options.catalog, report)
            control.live.stream_state = lambda: service.state if service is not None else "stopped"
            if options.connect:
                audience = connect_platforms(control.live, options.connect, report)
        # The stats file is written here, once a second on the media clock, so the run's
        # exit follows the same tick; the service itself writes no second copy.
        service = GoLiveService(studio, plan,
                                live_show=control.live if control is not None else None)

        def on_recording(state: str, message: str | None = None, **_ignored: Any) -> None:
            # A failed recording is reported, the stream goes on, the exit code is unchanged.
            if state == "failed" and message:
                report(_("warning: {reason}").format(reason=_lowercase_first(message)))

        service.recording_state.connect(on_recording)

        def on_notice(code: str | None = None, message: str | None = None, **_ignored: Any) -> None:
            # Before the first live, a busy server is waited for as it asked: say so, once a try.
            if code == "server_busy" and message:
                report(_("warning: {reason}").format(reason=_lowercase_first(message)))

        service.notices.connect(on_notice)
        warned: dict[str, str] = {}
        went_live: set[str] = set()

        def warn_about_outputs(record: dict[str, Any]) -> None:
            # One line per destination problem (keys are masked by the outputs); the show goes on.
            # A show with one destination says it once, in the final error line.
            destinations = [entry for entry in record.get("outputs") or [] if entry["kind"] != "record"]
            for entry in destinations:
                if entry["state"] == "live":
                    went_live.add(entry["id"])
            if len(destinations) < 2 and plan.whip is not None:
                return
            for entry in record.get("outputs") or []:
                if entry["kind"] == "record":
                    continue
                if entry["state"] == "live":
                    went_live.add(entry["id"])
                    warned.pop(entry["id"], None)
                    continue
                error = entry.get("error")
                if not error or entry["state"] not in ("failed", "connecting", "reconnecting") or warned.get(entry["id"]) == error:
                    continue
                warned[entry["id"]] = error
                name = entry.get("name") or entry.get("url") or entry["id"]
                if entry["state"] == "failed":
                    report(_("warning: destination {name} failed: {reason}").format(name=name, reason=error))
                else:
                    report(_("warning: destination {name}: {reason}; retrying").format(name=name, reason=error))
        if control is not None:
            control.start()
            if control.control_error is not None:
                # The show and the stream go on without the control API: one line, in words.
                report(_("warning: {reason}").format(reason=control.control_error))
            if control.url:
                # Where the assistant's tablet connects; the token stays in its own variable.
                print(_("control API: {url}").format(url=control.url), flush=True)
        service.start()

        def tick() -> bool:
            record = service.stats()
            writer.write(record)
            warn_about_outputs(record)
            return service.state != FAILED

        every_second(stop, options.duration_s, tick)
        if service.state == FAILED:
            exit_code = 1
            report(_("error: {reason}").format(reason=service.failure or _("the stream failed")))
        elif plan.whip is None and not went_live and service.state != "live":
            # Retried until the end, never live anywhere: the show did not run.
            exit_code = 1
            reasons = "; ".join(dict.fromkeys(warned.values())) or _("no answer")
            report(_("error: no destination went live ({reasons})").format(reasons=reasons))
    except StudioError as exc:
        report(_("error: {reason}").format(reason=exc))
        exit_code = 1
    finally:
        if service is not None:
            service.stop()  # events channel drained, WHIP DELETE sent, recording closed
            final = service.stats()
            final["state"] = "failed" if exit_code else "stopped"
            for output in final.get("outputs") or []:
                if output.get("kind") == "whip":
                    output["state"] = final["state"]
            writer.write(final)
        if audience is not None:
            audience.stop()
        if control is not None:
            control.stop()
        writer.close()
        studio.stop()
    return exit_code
