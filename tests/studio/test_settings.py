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
