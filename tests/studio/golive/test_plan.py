"""The go-live plan: plain data both front ends build, checked up front."""
from __future__ import annotations

from datetime import datetime

import pytest

from studio.golive.from_settings import DestinationSetupError, plan_from_settings
from studio.golive.plan import CanvasRole, GoLivePlan, RecordingPlan, WhipTarget
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


def test_plan_from_settings_follows_the_enabled_destination_and_go_live_settings(tmp_path):
    settings = Settings()
    rehearsal = plan_from_settings(settings)
    assert rehearsal.whip.is_rehearsal and rehearsal.rtmp == () and rehearsal.recording is None and not rehearsal.events_channel

    settings.destinations = [Destination(id="shop", name="Shop", whip_url="https://sfu.example/whip/1", layers=["h", "l"],
                                         simulcast="ssrc", codec="vp8", token_ref="destination:shop")]
    settings.golive.recording.record_while_live = True
    settings.golive.recording.folder = str(tmp_path)
    settings.golive.events_channel = True
    secrets = {"destination:shop": "tok"}
    plan = plan_from_settings(settings, secrets.get, has_live_show=True)
    assert plan.whip.url == "https://sfu.example/whip/1" and plan.whip.token == "tok" and plan.whip.name == "Shop"
    assert plan.whip.layers == ("h", "l") and plan.whip.simulcast == "ssrc" and plan.whip.codec == "vp8"
    assert plan.recording is not None and plan.recording.folder == tmp_path and plan.recording.remux_to_mp4
    assert plan.events_channel
    # Without a live show there are no events to send: the channel is not offered.
    assert not plan_from_settings(settings, secrets.get, has_live_show=False).events_channel
    # Nothing enabled: the rehearsal receiver.
    settings.destinations[0].is_enabled = False
    assert plan_from_settings(settings, secrets.get).whip.is_rehearsal


def _rtmp(id_, name, canvas="horizontal", server="rtmp://ingest.example/live", **extra):
    return Destination(id=id_, name=name, kind="rtmp", platform="custom", canvas=canvas, rtmp_server=server,
                       token_ref=f"destination:{id_}", **extra)


def test_every_enabled_destination_goes_into_one_plan_on_its_canvas():
    settings = Settings()
    settings.video.vertical_width, settings.video.vertical_height = 360, 640
    settings.destinations = [
        Destination(id="room", name="Room", whip_url="https://sfu.example/whip/1", token_ref="destination:room"),
        _rtmp("yt", "YouTube", server="rtmps://a.rtmps.youtube.com/live2/", bitrate_bps=4_000_000),
        _rtmp("tt", "TikTok", canvas="vertical", server="rtmp://push.tiktok.example/live"),
        _rtmp("off", "Switched off", is_enabled=False),
    ]
    secrets = {"destination:room": "tok", "destination:yt": "yt-KEY-1", "destination:tt": "tt-KEY-2"}
    asked = []

    def read(ref):
        asked.append(ref)
        return secrets.get(ref)

    plan = plan_from_settings(settings, read)
    assert plan.whip.url == "https://sfu.example/whip/1" and plan.whip.id == "whip"
    assert [(t.id, t.name, t.canvas) for t in plan.rtmp] == [("yt", "YouTube", CanvasRole.HORIZONTAL),
                                                            ("tt", "TikTok", CanvasRole.VERTICAL)]
    assert plan.rtmp[0].url == "rtmps://a.rtmps.youtube.com/live2/yt-KEY-1" and plan.rtmp[0].bitrate_bps == 4_000_000
    assert plan.rtmp[1].url == "rtmp://push.tiktok.example/live/tt-KEY-2"
    assert plan.has_vertical and plan.vertical_canvas == (360, 640)
    assert "destination:off" not in asked
    assert "KEY" not in repr(plan)
    # The scenes' own vertical canvas wins over the settings' size.
    assert plan_from_settings(settings, read, vertical_canvas=(540, 960)).vertical_canvas == (540, 960)
    # RTMP only: no WHIP at all (and no rehearsal receiver).
    settings.destinations[0].is_enabled = False
    only_rtmp = plan_from_settings(settings, read)
    assert only_rtmp.whip is None and len(only_rtmp.rtmp) == 2


def test_destinations_that_cannot_go_live_are_refused_in_words():
    settings = Settings()
    settings.destinations = [
        Destination(id="a", name="Room A", whip_url="https://sfu.example/whip/a"),
        Destination(id="b", name="Room B", whip_url="https://sfu.example/whip/b"),
    ]
    with pytest.raises(DestinationSetupError, match="Only one WHIP destination.*Room A, Room B"):
        plan_from_settings(settings)
    settings.destinations = [_rtmp("tt", "TikTok")]
    with pytest.raises(DestinationSetupError, match="TikTok: no stream key"):
        plan_from_settings(settings, {}.get)
    settings.destinations = [Destination(id="a", name="Room A", whip_url="https://sfu.example/whip/a", codec="vp8"),
                             _rtmp("tt", "TikTok")]
    with pytest.raises(DestinationSetupError, match="H.264") as error:
        plan_from_settings(settings, {"destination:tt": "sEcReT-kEy"}.get)
    assert "sEcReT-kEy" not in str(error.value)


def test_the_live_show_keeps_vertical_cards_clear_of_the_vertical_platforms_ui():
    from studio.golive.plan import CanvasRole, RtmpTarget
    from studio.golive.service import GoLiveService

    class Show:
        platforms = None

        def set_vertical_platforms(self, platforms):
            self.platforms = list(platforms)

    def service_for(*targets):
        show = Show()
        GoLiveService(object(), GoLivePlan(whip=None, rtmp=targets), live_show=show)._keep_cards_clear_of_platform_ui()
        return show.platforms

    tiktok = RtmpTarget("rtmps://a/live/k1", id="t", canvas=CanvasRole.VERTICAL, platform="tiktok")
    shopee = RtmpTarget("rtmps://a/live/k2", id="s", canvas=CanvasRole.VERTICAL, platform="shopee")
    custom = RtmpTarget("rtmps://a/live/k3", id="c", canvas=CanvasRole.VERTICAL, platform="custom")
    youtube = RtmpTarget("rtmps://a/live/k4", id="y", platform="youtube")  # horizontal: no say in the vertical box
    assert service_for(tiktok, shopee, youtube) == ["tiktok", "shopee"]
    assert service_for(tiktok, custom) == []  # one unknown platform: the box that clears them all
