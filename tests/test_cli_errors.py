"""One rule for every ``bridgecast`` command: a bad command line or a failure ends as one
``error: <words>`` line on stderr with exit 2 (usage) or 1 (runtime), never a traceback.

The table runs the installed console script as a user does; every row fails before anything
starts, so the rows run a few at a time to keep the file fast on a busy machine.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from studio.core import i18n
from ui import cli

BRIDGECAST = Path(sys.executable).with_name("bridgecast")
USAGE, RUNTIME = 2, 1

# (command line with {tmp} for a scratch folder, exit code, words the error line must hold)
BAD_COMMAND_LINES = [
    ("live --fps 0", USAGE, "--fps takes a whole number of frames per second from 1 to 120, not “0”"),
    ("live --fps -3", USAGE, "--fps takes a whole number"),
    ("live --fps 1000", USAGE, "--fps takes a whole number"),
    ("live --fps 7.5", USAGE, "not “7.5”"),
    ("live --duration nan", USAGE, "--duration takes seconds, more than 0 and at most 604800 (7 days), not “nan”"),
    ("live --duration -5", USAGE, "--duration takes seconds"),
    ("live --duration inf", USAGE, "--duration takes seconds"),
    ("live --duration 0", USAGE, "--duration takes seconds"),
    ("live --control-port -1", USAGE, "--control-port takes a port number from 0 to 65535 (0: any free port), not “-1”"),
    ("live --control-port 99999", USAGE, "--control-port takes a port number"),
    ("live --control-port http", USAGE, "--control-port takes a port number"),
    ("live --source file:{tmp}/missing.mp4", USAGE, "--source file not found: {tmp}/missing.mp4"),
    ("live --source file:{tmp}/folder", USAGE, "--source needs a file, but {tmp}/folder is a folder"),
    ("live --source webcam", USAGE, "--source must be testpattern, file:PATH or camera:ID, not “webcam”"),
    ("live --source camera:", USAGE, "--source camera: needs a device ID"),
    ("live --canvas 1921x1080", USAGE, "--canvas needs even sizes between 160 and 7680 pixels"),
    ("live --canvas 8000x8000", USAGE, "--canvas needs even sizes"),
    ("live --vertical-canvas 100x100", USAGE, "--vertical-canvas needs even sizes"),
    ("live --vertical-canvas tall", USAGE, "--vertical-canvas must look like 1920x1080, not “tall”"),
    ("live --layers h,x", USAGE, "--layers takes a comma-separated subset of h,m,l"),
    ("live --layers h,h", USAGE, "--layers takes a comma-separated subset"),
    ("live --whip ftp://example.com/whip?token=SECRET1", USAGE, "--whip takes an http:// or https:// address"),
    ("live --whip example.com/whip", USAGE, "--whip takes an http:// or https:// address"),
    ("live --webhook hooks.example.com/SECRET2", USAGE, "--webhook takes an http:// or https:// address"),
    ("live --locale xx_QQ", USAGE, "--locale must be a known locale such as en_US, th_TH or ar_SA, not “xx_QQ”"),
    ("live --rtmp http://example.com/app/SECRET3", USAGE, "--rtmp takes rtmp:// or rtmps:// addresses"),
    ("live --rtmp-vertical ftp://example.com/app/SECRET4", USAGE, "--rtmp-vertical takes rtmp:// or rtmps://"),
    ("live --rtmp rtmp://example.com/app/", USAGE, "has no stream key"),
    ("live --scene {tmp}/missing.json", USAGE, "--scene file not found"),
    ("live --catalog {tmp}/folder", USAGE, "--catalog needs a file"),
    ("live --rtmp-ca-file {tmp}/missing.pem", USAGE, "--rtmp-ca-file file not found"),
    ("live --codec av1", USAGE, "invalid choice"),
    ("live --bogus", USAGE, "unrecognized arguments: --bogus"),
    ("nonsense", USAGE, "invalid choice"),
    ("bench nonsense", USAGE, "unknown benchmark"),
    # Runtime: refused before going live (the asked-for stats are the run's report).
    ("live --stats-jsonl {tmp}/folder", RUNTIME, "cannot write stream statistics to {tmp}/folder: Is a directory"),
    ("live --stats-jsonl {tmp}/file/s.jsonl", RUNTIME, "cannot write stream statistics to {tmp}/file/s.jsonl: Not a directory"),
    ("live --stats-jsonl /sys/bridgecast-test.jsonl", RUNTIME, "cannot write stream statistics to /sys/bridgecast-test.jsonl"),
    ("review {tmp}/missing.jsonl", RUNTIME, "cannot read {tmp}/missing.jsonl"),
    # Scene collections that are not what they claim (the show is refused before going live).
    ("live --scene {tmp}/scene-cut.json", RUNTIME,
     "scene-cut.json ends too early (line 1): the file is cut off. Open an earlier copy or save the show again."),
    ("live --scene {tmp}/scene-binary.json", RUNTIME, "scene-binary.json is not text (UTF-8); it is not a scene collection."),
    ("live --scene {tmp}/scene-unknown.json", RUNTIME, "sources[0].kind: unknown source type “hologram”"),
    ("live --scene {tmp}/scene-gone.json", USAGE,
     "--scene: none of the sources of scene-gone.json is available (file not found: {tmp}/gone.mp4)"),
    ("live --control-port 0 --show-db {tmp}/file", RUNTIME,
     "{tmp}/file is not a show database (it is not an SQLite file); it was left unchanged."),
    # Covers: refused before any layout, in words (a million-character text once rendered for over 60 s).
    ("cover render {tmp}/cover.json --preset youtube --out {tmp}/folder", USAGE,
     "--out names a folder ({tmp}/folder); name the cover file, e.g. {tmp}/folder/cover.png"),
    ("cover render {tmp}/cover.json --preset youtube --out {tmp}/file/c.png", RUNTIME,
     "cannot write the cover to {tmp}/file/c.png: {tmp}/file is not a folder"),
    ("cover render {tmp}/cover.json --preset youtube --out /sys/bridgecast-cover.png", RUNTIME,
     "cannot write the cover to /sys/bridgecast-cover.png: Permission denied"),
    ("cover render {tmp}/long.json --preset youtube --out {tmp}/c.png", USAGE,
     "layers[0].text: A text on a cover is at most 500 characters; this one has 1000000."),
    ("cover lint {tmp}/long.json --preset youtube", USAGE, "A text on a cover is at most 500 characters"),
    ("cover render {tmp}/deep.json --preset youtube --out {tmp}/c.png", USAGE, "nested more than 32 levels deep"),
    ("cover render {tmp}/qr.json --preset youtube --out {tmp}/c.png", USAGE,
     "layers[0].data: A QR code holds at most 2331 bytes; this link has 5000. Use a shorter link."),
    ("cover render {tmp}/cover.json --preset youtube --product-catalog {tmp}/binary.csv --sku A1 --out {tmp}/c.png",
     USAGE, "binary.csv is not a text catalog"),
    ("cover batch {tmp}/binary.csv --template na_eu-apparel --presets youtube --out {tmp}/batch", USAGE,
     "binary.csv” is not UTF-8 text"),
]


def _env(config: Path) -> dict[str, str]:
    return dict(os.environ, BRIDGECAST_CONFIG_DIR=str(config), LANGUAGE="en", QT_QPA_PLATFORM="offscreen")


@pytest.fixture(scope="module")
def table_results(tmp_path_factory):
    """Every row of the table, run four at a time: {command line: CompletedProcess}."""
    scratch = tmp_path_factory.mktemp("cli-errors")
    (scratch / "folder").mkdir()
    (scratch / "file").write_text("x")
    (scratch / "cover.json").write_text(json.dumps({"layers": [{"type": "text", "text": "Sale"}]}))
    (scratch / "long.json").write_text(json.dumps({"layers": [{"type": "text", "text": "x" * 1_000_000}]}))
    (scratch / "deep.json").write_text('{"layers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (scratch / "qr.json").write_text(json.dumps({"layers": [{"type": "qr", "data": "h" * 5000}]}))
    (scratch / "binary.csv").write_bytes(bytes(range(256)) * 20)
    scene = {"canvas": {"width": 320, "height": 180, "fps": 15},
             "sources": [{"id": "v", "kind": "media_file", "name": "Clip", "settings": {"path": str(scratch / "gone.mp4")}}],
             "scenes": [{"id": "s", "name": "Main", "items": [{"source_id": "v", "x": 0, "y": 0, "width": 320, "height": 180}]}]}
    (scratch / "scene-gone.json").write_text(json.dumps(scene))
    (scratch / "scene-unknown.json").write_text(json.dumps(scene).replace('"media_file"', '"hologram"'))
    (scratch / "scene-cut.json").write_text(json.dumps(scene)[:90])
    (scratch / "scene-binary.json").write_bytes(bytes(range(256)) * 20)
    config = tmp_path_factory.mktemp("config")

    def run(line: str) -> subprocess.CompletedProcess:
        args = [word.replace("{tmp}", str(scratch)) for word in line.split()]
        return subprocess.run([str(BRIDGECAST), *args], env=_env(config), capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip([row[0] for row in BAD_COMMAND_LINES], pool.map(run, [row[0] for row in BAD_COMMAND_LINES])))
    return scratch, results


@pytest.mark.parametrize("line, exit_code, words", BAD_COMMAND_LINES, ids=[row[0] for row in BAD_COMMAND_LINES])
def test_bad_command_line_is_one_error_line_in_words(table_results, line, exit_code, words):
    scratch, results = table_results
    result = results[line]
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == exit_code, output
    error_lines = [text for text in result.stderr.splitlines() if "error:" in text]
    assert len(error_lines) == 1, result.stderr
    assert error_lines[0].startswith("error: ") and error_lines[0] == result.stderr.strip().splitlines()[-1]
    assert words.replace("{tmp}", str(scratch)) in error_lines[0]
    assert "SECRET" not in output  # tokens and stream keys in refused addresses stay masked


def test_recording_into_a_forbidden_place_warns_and_the_show_goes_on(tmp_path, isolated_settings):
    stats = tmp_path / "s.jsonl"
    result = subprocess.run(
        [str(BRIDGECAST), "live", "--canvas", "320x180", "--layers", "h", "--no-audio", "--duration", "1",
         "--record", "/sys/bridgecast-test.mkv", "--stats-jsonl", str(stats)],
        env=_env(isolated_settings), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [text for text in result.stderr.splitlines() if text.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning: recording stopped"), lines
    assert json.loads(stats.read_text().splitlines()[-1])["state"] == "stopped"


def test_a_scene_source_whose_file_is_gone_is_left_out_in_words_and_the_show_goes_on(tmp_path, isolated_settings):
    scene = {"canvas": {"width": 320, "height": 180, "fps": 15},
             "sources": [{"id": "p", "kind": "testpattern", "name": "Pattern", "settings": {"width": 320, "height": 180}},
                         {"id": "v", "kind": "media_file", "name": "Clip", "settings": {"path": str(tmp_path / "gone.mp4")}}],
             "scenes": [{"id": "s", "name": "Main", "items": [
                 {"source_id": "p", "x": 0, "y": 0, "width": 320, "height": 180},
                 {"source_id": "v", "x": 0, "y": 0, "width": 160, "height": 90}]}]}
    path = tmp_path / "show.json"
    path.write_text(json.dumps(scene))
    stats = tmp_path / "s.jsonl"
    result = subprocess.run(
        [str(BRIDGECAST), "live", "--scene", str(path), "--layers", "h", "--no-audio", "--duration", "1",
         "--stats-jsonl", str(stats)], env=_env(isolated_settings), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [text for text in result.stderr.splitlines() if text.strip()]
    assert lines == [f"warning: source “Clip” was left out of the show: file not found: {tmp_path / 'gone.mp4'}"]
    assert json.loads(stats.read_text().splitlines()[-1])["state"] == "stopped"
    assert json.loads(path.read_text()) == scene  # the file is never rewritten


@pytest.fixture
def in_process(monkeypatch):
    """main() called in this process: the settings language left as it was, none read from disk."""
    language = i18n.current_language()
    monkeypatch.setattr(cli, "_settings_language", lambda: "en")
    yield
    i18n.set_language(language)


def test_unexpected_exception_is_one_line_naming_the_log_with_the_traceback(in_process, monkeypatch, capsys, isolated_settings):
    def broken(args):
        raise RuntimeError("the doctor tripped\nover a second line")

    monkeypatch.setattr(cli, "cmd_doctor", broken)
    assert cli.main(["doctor", "--json"]) == 1
    out, err = capsys.readouterr()
    log = isolated_settings / "logs" / cli.CLI_LOG_NAME
    assert out == ""
    assert err == f"error: unexpected RuntimeError: the doctor tripped (details: {log})\n"
    logged = log.read_text(encoding="utf-8")
    assert "bridgecast doctor --json" in logged
    assert "Traceback (most recent call last)" in logged and "in broken" in logged
    assert "RuntimeError: the doctor tripped\nover a second line" in logged


def test_a_log_that_cannot_be_written_is_said_in_the_same_line(in_process, monkeypatch, capsys, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("BRIDGECAST_CONFIG_DIR", str(blocker))

    def broken(args):
        raise KeyError("slot")

    monkeypatch.setattr(cli, "cmd_devices", broken)
    assert cli.main(["devices"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: unexpected KeyError: 'slot' (the details could not be saved to ")
    assert str(blocker / "logs") in err


def test_a_typed_engine_error_is_its_own_words_without_a_log(in_process, monkeypatch, capsys, isolated_settings):
    from studio.core.errors import SourceError

    def broken(args):
        raise SourceError("The camera is busy in another app.")

    monkeypatch.setattr(cli, "cmd_devices", broken)
    assert cli.main(["devices"]) == 1
    assert capsys.readouterr().err == "error: The camera is busy in another app.\n"
    assert not (isolated_settings / "logs").exists()


def test_ctrl_c_exits_130_quietly(in_process, monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_encoders", interrupted)
    assert cli.main(["encoders"]) == 130
    assert capsys.readouterr() == ("", "")


def test_live_options_built_in_code_meet_the_same_ranges():
    from studio.headless import LiveOptions, OptionError

    for bad in ({"fps": 0}, {"fps": 121}, {"duration_s": float("nan")}, {"duration_s": -1.0},
                {"control_port": 70000}, {"canvas": (1921, 1080)}, {"vertical_canvas": (100, 100)}, {"layers": ("x",)}):
        with pytest.raises(OptionError):
            LiveOptions(**bad)
    assert LiveOptions(fps=60, duration_s=0.5, control_port=0).control_port == 0
