"""The desktop app's go-live plan, from its settings (the enabled destinations, Settings → Go live…)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from studio.core.errors import StudioError
from studio.core.i18n import _
from studio.golive.plan import CanvasRole, GoLivePlan, RecordingPlan, RtmpTarget, WhipTarget

if TYPE_CHECKING:  # pragma: no cover
    from studio.settings import Destination, Settings

SecretReader = Callable[[str], "str | None"]


class DestinationSetupError(StudioError, ValueError):
    """The enabled destinations cannot go live as set up (said in words, keys never shown)."""


def enabled_destinations(settings: "Settings") -> list["Destination"]:
    """The destinations Go live publishes to, in the order the host listed them."""
    return [destination for destination in settings.destinations if destination.is_enabled]


def plan_from_settings(settings: "Settings", read_secret: SecretReader | None = None, *,
                       stats_path: Path | None = None, has_live_show: bool = True,
                       vertical_canvas: tuple[int, int] | None = None) -> GoLivePlan:
    """The plan the desktop Go live carries out: every enabled destination (none enabled: the
    built-in rehearsal receiver), recording and events channel as set under Settings → Go live….

    ``read_secret(token_ref)`` reads a token or stream key from the secrets store; it may wait
    on the keyring, so this runs off the GUI thread.  ``vertical_canvas`` overrides the size of
    the vertical canvas from the settings (e.g. the one the scenes already use).  Raises
    :class:`DestinationSetupError` in words: two WHIP destinations enabled (a show publishes to
    one WHIP endpoint), an RTMP destination without a stream key or with a bad server address.
    """
    from studio.settings import default_recording_folder

    read = read_secret or (lambda _ref: None)
    enabled = enabled_destinations(settings)
    whip_destinations = [d for d in enabled if d.kind == "whip"]
    if len(whip_destinations) > 1:
        raise DestinationSetupError(_("Only one WHIP destination can go live at a time; untick all but one of: {names}.").format(
            names=", ".join(d.name for d in whip_destinations)))
    whip: WhipTarget | None
    if not enabled:
        whip = WhipTarget()  # the built-in rehearsal receiver
    elif whip_destinations:
        destination = whip_destinations[0]
        token = read(destination.token_ref) if destination.token_ref else None
        whip = WhipTarget(url=destination.whip_url, token=token, name=destination.name, layers=tuple(destination.layers),
                          codec=destination.codec, simulcast=destination.simulcast)
    else:
        whip = None
    rtmp = tuple(_rtmp_target(destination, read) for destination in enabled if destination.kind == "rtmp")
    golive = settings.golive
    recording = None
    if golive.recording.record_while_live:
        folder = Path(golive.recording.folder).expanduser() if golive.recording.folder else default_recording_folder()
        recording = RecordingPlan(folder=folder, remux_to_mp4=golive.recording.remux_to_mp4)
    video = settings.video
    size = vertical_canvas or (video.vertical_width, video.vertical_height)
    try:
        return GoLivePlan(whip=whip, rtmp=rtmp, vertical_canvas=size, recording=recording,
                          events_channel=golive.events_channel and has_live_show and whip is not None,
                          encoder=getattr(settings, "encoder", "auto") or "auto", stats_path=stats_path)
    except ValueError as exc:
        if whip is not None and whip.codec != "h264" and rtmp:
            raise DestinationSetupError(_("RTMP destinations take H.264: set “{name}” to H.264 to go live on both.").format(
                name=whip.name)) from exc
        raise DestinationSetupError(str(exc)) from exc


def _rtmp_target(destination: "Destination", read: SecretReader) -> RtmpTarget:
    from studio.golive.platforms import join_stream_url

    key = read(destination.token_ref) if destination.token_ref else None
    if not key or not key.strip():
        raise DestinationSetupError(_("{name}: no stream key is saved; add it under Settings → Destinations….").format(
            name=destination.name))
    server = (destination.rtmp_server or "").strip()
    try:
        return RtmpTarget(url=join_stream_url(server, key), id=destination.id, name=destination.name,
                          canvas=CanvasRole(destination.canvas), bitrate_bps=destination.bitrate_bps,
                          platform=destination.platform)
    except ValueError as exc:  # the message masks the key
        raise DestinationSetupError(_("{name}: {reason}").format(name=destination.name, reason=exc)) from exc
