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

    settings = Settings(destinations=[Destination(id="tt", name="TikTok", whip_url="https://example.invalid/whip", token_ref="dest:tt")], destination="tt")
    set_secret("dest:tt", "s3cr3t-token")
    save_settings(settings)
    assert "s3cr3t" not in settings_path().read_text()
    assert get_secret("dest:tt") == "s3cr3t-token"
    secrets_file = settings_path().parent / "secrets.json"
    assert secrets_file.stat().st_mode & 0o077 == 0  # owner-only
    set_secret("dest:tt", None)
    assert get_secret("dest:tt") is None
    loaded, _ = load_settings()
    assert loaded.destinations[0].name == "TikTok" and loaded.destination == "tt"
