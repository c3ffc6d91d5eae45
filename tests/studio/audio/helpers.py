"""PulseAudio and timing helpers shared by the audio tests (fixtures are in conftest)."""
from __future__ import annotations

import math
import subprocess
import time
import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 48_000


def pactl(*args: str, server: str | None = None, check: bool = True) -> str:
    command = ["pactl"] + ([f"--server={server}"] if server else []) + list(args)
    result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result.stdout


def server_answers(server: str | None = None) -> bool:
    command = ["pactl"] + ([f"--server={server}"] if server else []) + ["info"]
    try:
        return subprocess.run(command, capture_output=True, timeout=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def wait_for_server(server: str | None, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not server_answers(server):
        if time.monotonic() > deadline:
            raise RuntimeError(f"PulseAudio server {server or '(default)'} did not answer within {timeout_s}s")
        time.sleep(0.05)


def source_index(source_name: str, server: str | None = None) -> str | None:
    for line in pactl("list", "short", "sources", server=server).splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[1] == source_name:
            return fields[0]
    return None


def set_recording_volumes_to_full(source_name: str, server: str | None = None) -> int:
    """Put every recording stream on ``source_name`` at 100 % (stream-restore may not)."""
    index = source_index(source_name, server)
    count = 0
    for line in pactl("list", "short", "source-outputs", server=server).splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[1] == index:
            pactl("set-source-output-volume", fields[0], "100%", server=server, check=False)
            pactl("set-source-output-mute", fields[0], "0", server=server, check=False)
            count += 1
    return count


def write_tone_wav(path: Path, level_dbfs: float, frequency_hz: float, duration_s: float) -> Path:
    """A stereo 16-bit 48 kHz sine peaking at ``level_dbfs``."""
    t = np.arange(int(duration_s * SAMPLE_RATE)) / SAMPLE_RATE
    mono = 10 ** (level_dbfs / 20) * np.sin(2 * math.pi * frequency_hz * t)
    pcm = np.round(mono * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(np.repeat(pcm[:, None], 2, axis=1).tobytes())
    return path


class TonePlayer:
    """``paplay`` of a tone WAV into a sink at stream volume 100 %; stop() kills it."""

    def __init__(self, wav: Path, sink_name: str, server: str | None = None) -> None:
        command = ["paplay", f"--device={sink_name}", "--volume=65536", "--latency-msec=20"]
        if server:
            command.append(f"--server={server}")
        self.process = subprocess.Popen(command + [str(wav)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)
