"""A bounded sample FIFO between a device callback (writer) and the mixer (reader).

The device callback must never block or allocate much, so writing copies into a
preallocated ring and, when the reader falls behind, overwrites the oldest audio
(counted) instead of growing.
"""
from __future__ import annotations

import threading

import numpy as np


class SampleRing:
    """Fixed-capacity FIFO of ``(frames, channels)`` float32 audio; thread-safe."""

    def __init__(self, capacity_frames: int, channels: int = 2) -> None:
        if capacity_frames <= 0:
            raise ValueError("capacity_frames must be positive")
        self.capacity_frames = int(capacity_frames)
        self.channels = int(channels)
        self._buffer = np.zeros((self.capacity_frames, self.channels), dtype=np.float32)
        self._read_index = 0
        self._available = 0
        self._lock = threading.Lock()
        self.overflow_frames = 0  # audio overwritten because the reader fell behind
        self.written_frames = 0

    @property
    def available_frames(self) -> int:
        with self._lock:
            return self._available

    def clear(self) -> None:
        with self._lock:
            self._read_index = 0
            self._available = 0

    def write(self, samples: np.ndarray) -> None:
        """Append samples; when full, the oldest audio is dropped (and counted)."""
        frames = samples.shape[0]
        if frames == 0:
            return
        capacity = self.capacity_frames
        with self._lock:
            self.written_frames += frames
            if frames >= capacity:
                self.overflow_frames += self._available + frames - capacity
                self._buffer[:] = samples[frames - capacity :]
                self._read_index = 0
                self._available = capacity
                return
            overflow = self._available + frames - capacity
            if overflow > 0:
                self.overflow_frames += overflow
                self._read_index = (self._read_index + overflow) % capacity
                self._available -= overflow
            write_index = (self._read_index + self._available) % capacity
            first = min(frames, capacity - write_index)
            self._buffer[write_index : write_index + first] = samples[:first]
            if first < frames:
                self._buffer[: frames - first] = samples[first:]
            self._available += frames

    def read(self, frames: int) -> np.ndarray:
        """Remove and return up to ``frames`` of the oldest audio (may be shorter)."""
        with self._lock:
            count = min(int(frames), self._available)
            out = self._peek_locked(count)
            self._read_index = (self._read_index + count) % self.capacity_frames
            self._available -= count
            return out

    def discard(self, frames: int) -> int:
        """Drop up to ``frames`` of the oldest audio; returns how many were dropped."""
        with self._lock:
            count = min(int(frames), self._available)
            self._read_index = (self._read_index + count) % self.capacity_frames
            self._available -= count
            return count

    def _peek_locked(self, count: int) -> np.ndarray:
        start = self._read_index
        first = min(count, self.capacity_frames - start)
        if first == count:
            return self._buffer[start : start + count].copy()
        return np.concatenate([self._buffer[start:], self._buffer[: count - first]])
