"""The go-live plan: plain data both front ends build, checked up front."""
from __future__ import annotations

from datetime import datetime

import pytest

from studio.golive.from_settings import plan_from_settings
from studio.golive.plan import GoLivePlan, RecordingPlan, WhipTarget
from studio.settings import Destination, Settings


def test_the_token_never_shows_in_a_plan_repr():
    plan = GoLivePlan(whip=WhipTarget(url="https://sfu.example/whip/room", token="s3cret-token"))
    assert "s3cret-token" not in repr(plan) and "s3cret-token" not in str(plan)
    assert plan.whip.token == "s3cret-token"


@pytest.mark.parametrize("bad", [{"layers": ()}, {"layers": ("x",)}, {"simulcast": "both"}, {"codec": "hevc"}])
def test_bad_whip_targets_are_refused_up_front(bad):
    with pytest.raises(ValueError):
        WhipTarget(**bad)


def test_a_recording_needs_a_path_or_a_folder_and_never_overwrites(tmp_path):
    with pytest.raises(ValueError):
        RecordingPlan()
    with pytest.raises(ValueError):
        RecordingPlan(path=tmp_path / "a.mkv", folder=tmp_path)
    assert RecordingPlan(path=tmp_path / "a.mkv").resolve_path() == tmp_path / "a.mkv"
    now = datetime(2026, 12, 7, 20, 0, 5)
    plan = RecordingPlan(folder=tmp_path)
    first = plan.resolve_path(now)
    assert first == tmp_path / "show-20261207-200005.mkv"
    first.write_bytes(b"taken")
    assert plan.resolve_path(now) == tmp_path / "show-20261207-200005-2.mkv"


def test_plan_from_settings_follows_the_chosen_destination_and_go_live_settings(tmp_path):
    settings = Settings()
    rehearsal = plan_from_settings(settings, None, None)
    assert rehearsal.whip.is_rehearsal and rehearsal.recording is None and not rehearsal.events_channel

    settings.destinations = [Destination(id="shop", name="Shop", whip_url="https://sfu.example/whip/1", layers=["h", "l"],
                                         simulcast="ssrc", codec="vp8")]
    settings.golive.recording.record_while_live = True
    settings.golive.recording.folder = str(tmp_path)
    settings.golive.events_channel = True
    plan = plan_from_settings(settings, "shop", "tok", has_live_show=True)
    assert plan.whip.url == "https://sfu.example/whip/1" and plan.whip.token == "tok" and plan.whip.name == "Shop"
    assert plan.whip.layers == ("h", "l") and plan.whip.simulcast == "ssrc" and plan.whip.codec == "vp8"
    assert plan.recording is not None and plan.recording.folder == tmp_path and plan.recording.remux_to_mp4
    assert plan.events_channel
    # Without a live show there are no events to send: the channel is not offered.
    assert not plan_from_settings(settings, "shop", "tok", has_live_show=False).events_channel
    # A destination id that no longer exists falls back to the rehearsal receiver.
    assert plan_from_settings(settings, "gone", None).whip.is_rehearsal
