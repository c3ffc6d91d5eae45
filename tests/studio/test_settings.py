import json

from studio.settings import SCHEMA_VERSION, Settings, load_settings, save_settings, settings_path


def test_tests_never_touch_the_real_config(isolated_settings):
    assert settings_path().parent == isolated_settings


def test_round_trip():
    settings = Settings(language="zh_CN")
    settings.video.canvas_width, settings.video.canvas_height = 1080, 1920
    save_settings(settings)
    loaded, warning = load_settings()
    assert warning is None and loaded == settings


def test_broken_file_kept_aside_and_defaults_used():
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    loaded, warning = load_settings()
    assert loaded == Settings() and "kept" in warning
    kept = list(path.parent.glob("settings.json.broken-*"))
    assert kept and kept[0].read_text() == "{not json"


def test_invalid_value_kept_aside():
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema_version": 1, "video": {"fps": 0}}))
    loaded, warning = load_settings()
    assert loaded.video.fps == 30 and warning


def test_newer_file_not_overwritten():
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    loaded, warning = load_settings()
    assert warning and path.exists()


def test_unversioned_file_migrates():
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"language": "en"}))
    loaded, warning = load_settings()
    assert warning is None and loaded.schema_version == SCHEMA_VERSION and loaded.language == "en"


def test_destination_token_never_in_settings_file():
    from studio.secrets_store import get_secret, set_secret
    from studio.settings import Destination

    settings = Settings(destinations=[Destination(id="tt", name="TikTok", whip_url="https://example.invalid/whip", token_ref="dest:tt")])
    set_secret("dest:tt", "s3cr3t-token")
    save_settings(settings)
    assert "s3cr3t" not in settings_path().read_text()
    assert get_secret("dest:tt") == "s3cr3t-token"
    secrets_file = settings_path().parent / "secrets.json"
    assert secrets_file.stat().st_mode & 0o077 == 0  # owner-only
    set_secret("dest:tt", None)
    assert get_secret("dest:tt") is None
    loaded, _ = load_settings()
    assert loaded.destinations[0].name == "TikTok" and loaded.destinations[0].is_enabled


def test_version_1_file_keeps_its_meaning_the_chosen_destination_is_the_only_enabled_one():
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    old = {"schema_version": 1, "language": "en", "destination": "b", "destinations": [
        {"id": "a", "name": "Room A", "whip_url": "https://sfu.example/whip/a", "token_ref": "destination:a"},
        {"id": "b", "name": "Room B", "whip_url": "https://sfu.example/whip/b", "layers": ["h"], "simulcast": "off"},
    ]}
    path.write_text(json.dumps(old))
    loaded, warning = load_settings()
    assert warning is None and loaded.schema_version == SCHEMA_VERSION == 2
    assert [(d.id, d.kind, d.canvas, d.is_enabled) for d in loaded.destinations] == [
        ("a", "whip", "horizontal", False), ("b", "whip", "horizontal", True)]
    assert loaded.destinations[0].token_ref == "destination:a" and loaded.destinations[1].layers == ["h"]
    # Nothing chosen (the rehearsal receiver): nothing enabled, so Go live still rehearses.
    old["destination"] = None
    path.write_text(json.dumps(old))
    loaded, _ = load_settings()
    assert not any(d.is_enabled for d in loaded.destinations)
    save_settings(loaded)
    assert "\"destination\"" not in settings_path().read_text()


def test_a_destination_needs_the_address_of_its_kind():
    import pytest
    from pydantic import ValidationError

    from studio.settings import Destination

    with pytest.raises(ValidationError):
        Destination(id="w", name="W")  # WHIP without whip_url
    with pytest.raises(ValidationError):
        Destination(id="r", name="R", kind="rtmp", rtmp_server="https://not-rtmp.example/live")
    with pytest.raises(ValidationError):
        Destination(id="w", name="W", whip_url="https://sfu.example/whip", canvas="vertical")
    rtmp = Destination(id="r", name="R", kind="rtmp", platform="tiktok", canvas="vertical", rtmp_server="rtmps://push.example/live")
    assert rtmp.whip_url is None and rtmp.is_enabled and rtmp.output_id == "r"
    assert Destination(id="w", name="W", whip_url="https://sfu.example/whip").output_id == "whip"
