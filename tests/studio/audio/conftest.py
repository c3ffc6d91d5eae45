"""Real sound without a sound card: PulseAudio null sinks, played into and recorded back.

* ``pulse_server`` (session): a PulseAudio daemon of our own on a temp socket (never the
  user's session server, which keeps its defaults; parallel test runs cannot unload each
  other's sinks or kill each other's server), killed at the end of the session.
* ``test_sink``: ``module-null-sink sink_name=bridgecast_test`` loaded on it at 48 kHz with
  volumes at 100 %; ``PULSE_SERVER``/``PULSE_SOURCE`` point this process's recordings at
  its monitor; unloaded afterwards.
* ``private_pulse``: a throw-away server that a test starts and kills at will (device
  loss), with ``PULSE_SERVER`` pointing at it.

Needs Debian ``pulseaudio``, ``pulseaudio-utils`` and ``libportaudio2``; missing tools
fail the tests instead of skipping them (CI must run them).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio.audio import devices
from tests.studio.audio.helpers import SAMPLE_RATE, TonePlayer, pactl, wait_for_server

TEST_SINK = "bridgecast_test"
PRIVATE_SINK = "bridgecast_private"
SERVER_START_TIMEOUT_S = 10.0


def _require_tools() -> None:
    missing = [tool for tool in ("pulseaudio", "pactl", "paplay") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"missing {', '.join(missing)}: install Debian packages pulseaudio pulseaudio-utils libportaudio2",
            pytrace=False,
        )
    ok, message = devices.portaudio_status()
    if not ok:
        pytest.fail(message, pytrace=False)


@contextlib.contextmanager
def _short_temp_dir():
    # Unix socket paths are limited to 107 bytes; pytest's tmp_path can be longer in CI.
    path = Path(tempfile.mkdtemp(prefix="bridgecast-pulse-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class PrivatePulse:
    """A PulseAudio server of our own on a temp socket: started and killed by the test."""

    def __init__(self, runtime_dir: Path, sink_name: str | None = None) -> None:
        self.runtime_dir = runtime_dir
        self.socket_path = runtime_dir / "native"
        self.address = f"unix:{self.socket_path}"
        self.sink_name = sink_name  # a null sink loaded at start, or none
        self.monitor_name = f"{sink_name}.monitor" if sink_name else None
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ)
        env.pop("PULSE_SERVER", None)
        env.update(
            PULSE_RUNTIME_PATH=str(self.runtime_dir),
            HOME=str(self.runtime_dir),
            XDG_CONFIG_HOME=str(self.runtime_dir),
            XDG_RUNTIME_DIR=str(self.runtime_dir),
        )
        self.socket_path.unlink(missing_ok=True)
        command = [
            "pulseaudio",
            "-n",  # no default.pa: only the modules below
            "--daemonize=no",  # our child: killed by pid, nothing left behind
            "--exit-idle-time=-1",
            "--use-pid-file=no",
            "--disable-shm=yes",
            "--log-level=error",
            f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.socket_path}",
        ]
        if self.sink_name:
            command.append(f"--load=module-null-sink sink_name={self.sink_name} rate={SAMPLE_RATE} channels=2")
        self.process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_server(self.address, SERVER_START_TIMEOUT_S)

    def kill(self) -> None:
        """Die like a yanked USB device: SIGKILL, no goodbye to clients."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(timeout=5)
            self.process = None
        self.socket_path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def pulse_server():
    """One PulseAudio server of our own for the whole session, killed at the end.

    Never the user's: a desktop session keeps its defaults, and parallel test runs
    (several developers or CI workers on one box) cannot unload each other's sinks or kill
    each other's server.
    """
    _require_tools()
    with _short_temp_dir() as runtime_dir:
        server = PrivatePulse(runtime_dir)
        server.start()
        yield server
        server.kill()


@dataclass
class NullSink:
    sink_name: str
    monitor_name: str
    module_index: str
    server: str


@pytest.fixture
def test_sink(pulse_server):
    """A ``bridgecast_test`` null sink at 48 kHz (volumes 100 %) whose monitor this process
    records from: ``PULSE_SERVER``/``PULSE_SOURCE`` point ALSA's ``pulse`` device there."""
    address = pulse_server.address
    module_index = pactl(
        "load-module", "module-null-sink", f"sink_name={TEST_SINK}", f"rate={SAMPLE_RATE}", "channels=2",
        server=address,
    ).strip()
    monitor = f"{TEST_SINK}.monitor"
    for command in (
        ("set-sink-volume", TEST_SINK, "100%"),
        ("set-sink-mute", TEST_SINK, "0"),
        ("set-source-volume", monitor, "100%"),
        ("set-source-mute", monitor, "0"),
    ):
        pactl(*command, server=address)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PULSE_SERVER", address)
            # libpulse records from $PULSE_SOURCE when set (same effect as set-default-source).
            patch.setenv("PULSE_SOURCE", monitor)
            devices.rescan()  # ALSA's pulse device exists only if a server ran at PortAudio's scan
            yield NullSink(TEST_SINK, monitor, module_index, address)
    finally:
        pactl("unload-module", module_index, server=address, check=False)
        devices.rescan()


@pytest.fixture
def tone_players():
    """Start ``TonePlayer``s through this list; all are killed at teardown."""
    players: list[TonePlayer] = []
    yield players
    for player in players:
        player.stop()


@pytest.fixture
def private_pulse():
    """A private PulseAudio (not yet started) that this process's audio goes to."""
    _require_tools()
    with _short_temp_dir() as runtime_dir, pytest.MonkeyPatch.context() as patch:
        server = PrivatePulse(runtime_dir, sink_name=PRIVATE_SINK)
        patch.setenv("PULSE_SERVER", server.address)
        patch.setenv("PULSE_SOURCE", server.monitor_name)
        devices.rescan()  # PortAudio now sees no pulse device: the server is not up yet
        try:
            yield server
        finally:
            server.kill()
    devices.rescan()  # back to the real environment for later tests

