"""The desktop app's go-live plan, from its settings (the chosen destinations, Settings → Go live…)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from studio.golive.plan import GoLivePlan, RecordingPlan, WhipTarget

if TYPE_CHECKING:  # pragma: no cover
    from studio.settings import Settings


def plan_from_settings(settings: "Settings", destination_id: str | None, token: str | None,
                       stats_path: Path | None = None, has_live_show: bool = True) -> GoLivePlan:
    """The plan the desktop Go live carries out: the chosen destination (None or an unknown id:
    the rehearsal receiver), recording and events channel as set under Settings → Go live…."""
    from studio.settings import default_recording_folder

    destination = next((d for d in settings.destinations if d.id == destination_id), None) if destination_id else None
    if destination is None:
        whip = WhipTarget()
    else:
        whip = WhipTarget(url=destination.whip_url, token=token, name=destination.name, layers=tuple(destination.layers),
                          codec=destination.codec, simulcast=destination.simulcast)
    golive = settings.golive
    recording = None
    if golive.recording.record_while_live:
        folder = Path(golive.recording.folder).expanduser() if golive.recording.folder else default_recording_folder()
        recording = RecordingPlan(folder=folder, remux_to_mp4=golive.recording.remux_to_mp4)
    return GoLivePlan(whip=whip, recording=recording, events_channel=golive.events_channel and has_live_show,
                      encoder=getattr(settings, "encoder", "auto") or "auto", stats_path=stats_path)
