"""The ``bridgecast`` command's headless sub-commands, run as a user runs them."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, env_extra=None, timeout=120):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("bridgecast ")


def test_doctor_json_rows_have_fix_hints():
    result = run("doctor", "--json", env_extra={"QT_QPA_PLATFORM": ""})
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    checks = {row["check"]: row for row in rows}
    for name in ("Qt (PySide6)", "PortAudio (microphones)", "Video encoders", "Complex text shaping (Arabic, Thai)", "Fonts (Chinese and Latin)"):
        assert name in checks
    for row in rows:
        assert set(row) >= {"check", "ok", "detail", "fix"}
        if not row["ok"]:
            assert row["fix"], row  # every missing piece says how to fix it
    assert checks["Video encoders"]["ok"]  # libx264 at least


def test_doctor_in_chinese():
    result = run("doctor", env_extra={"LANGUAGE": "zh_CN", "LANG": "zh_CN.UTF-8"})
    assert result.returncode == 0 and "视频编码器" in result.stdout


def test_devices_json_matches_contract():
    result = run("devices", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"video", "audio"}
    for device in data["video"]:
        assert {"id", "name", "backend", "modes"} <= set(device)
    for device in data["audio"]:
        assert {"id", "name", "channels", "sample_rate"} <= set(device)


def test_encoders_json_matches_contract():
    result = run("encoders", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all(set(row) == {"name", "codec", "hardware", "available", "reason"} for row in rows)
    assert any(row["name"] == "libx264" and row["available"] for row in rows)


def test_unknown_benchmark_is_an_error_in_words():
    result = run("bench", "nonsense", "--json")
    assert result.returncode == 2 and "unknown benchmark" in result.stderr
