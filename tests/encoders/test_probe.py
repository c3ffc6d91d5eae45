"""The encoder probe on this (GPU-less) machine, its cache, and picking an encoder."""
import json
import sys

import pytest

from encoders import probe
from encoders.backends import BACKENDS, BACKENDS_BY_NAME
from encoders.errors import EncoderUnavailable
from tests.encoders.conftest import HW_ENCODERS, HW_UNDER_TEST

ROW_KEYS = {"name", "codec", "hardware", "available", "reason"}


@pytest.fixture
def fresh_probe():
    """Forget the in-memory result before and after (the file cache lives in the test's config dir)."""
    probe.forget_probe()
    yield
    probe.forget_probe()


@pytest.fixture
def probed_rows():
    """The real probe (child process, real frames); made once per test run, then from memory."""
    return probe.probe_encoders()


def test_every_candidate_has_a_row_with_the_contract_keys(probed_rows):
    assert [row.name for row in probed_rows] == [backend.name for backend in BACKENDS]
    for row in probed_rows:
        assert set(row.as_dict()) == ROW_KEYS
        assert row.codec == BACKENDS_BY_NAME[row.name].codec
        assert row.hardware == BACKENDS_BY_NAME[row.name].is_hardware
        json.dumps(row.as_dict())


def test_software_encoders_work(probed_rows):
    rows = {row.name: row for row in probed_rows}
    assert rows["libx264"].available and rows["libx264"].reason is None
    assert rows["libvpx"].available and rows["libvpx"].reason is None


def test_hardware_rows_say_why_in_words(probed_rows):
    present = HW_ENCODERS.get(HW_UNDER_TEST, ())
    for row in probed_rows:
        if not row.hardware or row.name in present:
            continue
        assert row.available is False, f"{row.name} claims to work on a machine without that hardware"
        assert row.reason and len(row.reason.split()) >= 3, f"{row.name}: {row.reason!r}"
        assert "Errno" not in row.reason and "avcodec_open2" not in row.reason
    reasons = {row.name: row.reason for row in probed_rows}
    if "nvenc" not in HW_UNDER_TEST:
        assert reasons["h264_nvenc"].startswith("no NVIDIA driver") or "NVIDIA" in reasons["h264_nvenc"]
    if "vaapi" not in HW_UNDER_TEST:
        assert "VAAPI" in reasons["h264_vaapi"]


def test_second_probe_comes_from_the_cache(fresh_probe, monkeypatch):
    first = probe.probe_encoders(use_cache=False)
    assert probe.last_probe_source == "probe"
    assert probe.cache_path().exists()
    probe.forget_probe()  # a new run: only the file is left

    def must_not_probe(*args, **kwargs):
        raise AssertionError("probed again despite a valid cache")

    monkeypatch.setattr(probe, "_run_probe", must_not_probe)
    second = probe.probe_encoders()
    assert probe.last_probe_source == "cache"
    assert [row.as_dict() for row in second] == [row.as_dict() for row in first]
    third = probe.probe_encoders()
    assert probe.last_probe_source == "memory"
    assert [row.as_dict() for row in third] == [row.as_dict() for row in first]


def test_a_new_driver_means_a_new_probe(fresh_probe, monkeypatch):
    probe.probe_encoders(use_cache=False)
    probe.forget_probe()
    calls = []

    def fake_probe(backends=BACKENDS):
        calls.append(1)
        return [probe.ProbeRow(b.name, b.codec, b.is_hardware, not b.is_hardware, None) for b in backends]

    monkeypatch.setattr(probe, "_run_probe", fake_probe)
    monkeypatch.setattr(probe, "gpu_driver_version", lambda: "NVRM version: NVIDIA UNIX x86_64 Kernel Module  999.1")
    probe.probe_encoders()
    assert calls == [1] and probe.last_probe_source == "probe"


def test_cached_reasons_follow_the_language(fresh_probe):
    from studio.core import i18n

    probe.probe_encoders(use_cache=False)
    probe.forget_probe()
    try:
        i18n.set_language("zh_CN")
        rows = {row.name: row for row in probe.probe_encoders()}
        assert probe.last_probe_source == "cache"
        if "vaapi" not in HW_UNDER_TEST:
            assert "VAAPI" in rows["h264_vaapi"].reason and "PyAV" in rows["h264_vaapi"].reason
            assert "build PyAV" not in rows["h264_vaapi"].reason  # translated, not the English text
    finally:
        i18n.set_language("en")


def test_a_crashing_or_hanging_candidate_is_named(monkeypatch):
    """A driver that kills or hangs the probe child costs only that candidate its row."""
    script = (
        "import json, os, sys, time\n"
        "names = sys.argv[1:]\n"
        "row = {'name': names[0], 'codec': 'h264', 'hardware': False, 'available': True, 'reason': None, 'cause': None}\n"
        "print('BRIDGECAST-PROBE-ROW ' + json.dumps(row), flush=True)\n"
        "if len(names) > 1 and names[1] == 'h264_qsv':\n"
        "    time.sleep(30)\n"
        "os._exit(7) if len(names) > 1 else None\n"
    )
    monkeypatch.setattr(probe, "_child_command", lambda names: [sys.executable, "-c", script, *names])
    monkeypatch.setattr(probe, "CANDIDATE_TIMEOUT_S", 1.0)
    backends = [BACKENDS_BY_NAME[name] for name in ("libx264", "h264_nvenc", "libvpx", "h264_qsv", "h264_amf")]
    rows = {row.name: row for row in probe._run_probe(backends)}
    assert rows["libx264"].available and rows["libvpx"].available
    assert not rows["h264_nvenc"].available and "exit code 7" in rows["h264_nvenc"].reason
    assert not rows["h264_qsv"].available and "did not finish" in rows["h264_qsv"].reason
    assert rows["h264_amf"].available  # probed by a fresh child after the hang


def test_auto_picks_software_here(probed_rows):
    if HW_UNDER_TEST:
        pytest.skip("hardware present: auto picks it (see test_hardware.py)")
    assert probe.pick_encoder("h264", "auto") == "libx264"
    assert probe.pick_encoder("vp8") == "libvpx"


def test_pinned_unavailable_encoder_falls_back_with_the_reason(probed_rows):
    if "nvenc" in HW_UNDER_TEST:
        pytest.skip("NVENC present")
    choice = probe.choose_encoder("h264", "h264_nvenc")
    assert choice.name == "libx264" and not choice.is_hardware
    assert "NVIDIA" in choice.reason
    assert probe.pick_encoder("h264", "h264_nvenc") == "libx264"
    assert probe.choose_encoder("h264", "libx264").reason is None
    assert probe.choose_encoder("h264", "libvpx").name == "libx264"  # wrong codec
    assert probe.choose_encoder("h264", "made_up_encoder").reason == "no encoder of that name is known"


def test_no_encoder_for_hevc_without_hardware(probed_rows):
    if "nvenc" in HW_UNDER_TEST:
        pytest.skip("NVENC present")
    with pytest.raises(EncoderUnavailable):
        probe.pick_encoder("hevc")


def test_cli_prints_the_contract(probed_rows, capsys):
    from ui.cli import main

    assert main(["encoders", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [row["name"] for row in rows] == [backend.name for backend in BACKENDS]
    assert all(set(row) == ROW_KEYS for row in rows)
