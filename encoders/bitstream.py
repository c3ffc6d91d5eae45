"""Annex-B helpers: find NAL units, keep parameter sets in front of every keyframe, read the SPS.

WebRTC receivers (and SFUs forwarding one simulcast layer to a newcomer) can only start decoding
at a keyframe that carries its own SPS/PPS.  x264 and NVENC repeat them when asked; some
hardware encoders (V4L2 M2M, some Media Foundation transforms) only emit them once, so every
keyframe passes through ``ParameterSets.ensure_in_band``, which puts the cached ones back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

START_CODE = b"\x00\x00\x01"
ANNEXB_PREFIX = b"\x00\x00\x00\x01"

# H.264 NAL unit types (ITU-T H.264 table 7-1).
H264_IDR = 5
H264_SPS = 7
H264_PPS = 8
# HEVC NAL unit types (ITU-T H.265 table 7-1).
HEVC_VPS = 32
HEVC_SPS = 33
HEVC_PPS = 34


def nal_type(codec: str, header: int) -> int:
    return (header >> 1) & 0x3F if codec == "hevc" else header & 0x1F


def is_vcl(codec: str, kind: int) -> bool:
    return kind < 32 if codec == "hevc" else 1 <= kind <= 5


def iter_nals(data: bytes, codec: str = "h264", *, stop_at_vcl: bool = False) -> Iterator[tuple[int, memoryview]]:
    """Yield ``(nal_type, nal_bytes_without_start_code)``.  With ``stop_at_vcl`` the first
    slice is yielded and scanning stops there (parameter sets always precede it), so a large
    keyframe is not searched to its end."""
    view = memoryview(data)
    position = data.find(START_CODE)
    while position >= 0:
        start = position + 3
        if start >= len(data):
            return
        kind = nal_type(codec, data[start])
        if stop_at_vcl and is_vcl(codec, kind):
            yield kind, view[start:]
            return
        following = data.find(START_CODE, start)
        end = len(data) if following < 0 else following
        while end > start and data[end - 1] == 0:  # trailing zeros belong to the next start code
            end -= 1
        yield kind, view[start:end]
        position = following


def nal_types(data: bytes, codec: str = "h264") -> list[int]:
    """Every NAL unit type in an Annex-B buffer, in order."""
    return [kind for kind, _nal in iter_nals(data, codec)]


class ParameterSets:
    """Remembers the latest parameter sets of one stream and restores them on keyframes."""

    def __init__(self, codec: str) -> None:
        self.codec = codec
        self._kinds = (HEVC_VPS, HEVC_SPS, HEVC_PPS) if codec == "hevc" else (H264_SPS, H264_PPS)
        self._sets: dict[int, bytes] = {}
        self._extradata: bytes | None = None
        self.inserted = 0  # keyframes that needed the cached sets put back

    @property
    def is_applicable(self) -> bool:
        return self.codec in ("h264", "hevc")

    @property
    def extradata(self) -> bytes | None:
        """Annex-B parameter sets (what muxers accept as codec extradata), once all are known."""
        if self._extradata is None and self.is_applicable and all(kind in self._sets for kind in self._kinds):
            self._extradata = b"".join(ANNEXB_PREFIX + self._sets[kind] for kind in self._kinds)
        return self._extradata

    def _store(self, kind: int, nal: memoryview) -> None:
        value = bytes(nal)
        if self._sets.get(kind) != value:
            self._sets[kind] = value
            self._extradata = None

    def learn(self, data: bytes) -> None:
        """Pick the parameter sets out of global extradata or a packet (Annex-B)."""
        if not self.is_applicable or not data:
            return
        for kind, nal in iter_nals(data, self.codec, stop_at_vcl=True):
            if kind in self._kinds:
                self._store(kind, nal)

    def ensure_in_band(self, data: bytes, is_keyframe: bool) -> bytes:
        """Learn from ``data``; for a keyframe lacking any parameter set, prepend the cached ones."""
        if not self.is_applicable:
            return data
        present = set()
        for kind, nal in iter_nals(data, self.codec, stop_at_vcl=True):
            if kind in self._kinds:
                self._store(kind, nal)
                present.add(kind)
        if is_keyframe and len(present) < len(self._kinds):
            missing = [kind for kind in self._kinds if kind not in present and kind in self._sets]
            if missing:
                self.inserted += 1
                return b"".join(ANNEXB_PREFIX + self._sets[kind] for kind in missing) + data
        return data


@dataclass(frozen=True)
class H264SpsInfo:
    profile_idc: int
    constraint_flags: int
    level_idc: int

    @property
    def is_constrained_baseline(self) -> bool:
        # Baseline (66) with constraint_set1 (a Main-decodable subset) = Constrained Baseline.
        return self.profile_idc == 66 and bool(self.constraint_flags & 0x40)

    @property
    def profile_level_id(self) -> str:
        """The SDP ``profile-level-id`` (RFC 6184), e.g. ``42e029`` for Constrained Baseline 4.1."""
        return f"{self.profile_idc:02x}{self.constraint_flags:02x}{self.level_idc:02x}"

    @property
    def level(self) -> float:
        return self.level_idc / 10.0


def h264_sps_info(data: bytes) -> H264SpsInfo | None:
    """Profile, constraint flags and level from the first SPS in an Annex-B buffer (or None)."""
    for kind, nal in iter_nals(data, "h264", stop_at_vcl=True):
        if kind == H264_SPS and len(nal) >= 4:
            return H264SpsInfo(profile_idc=nal[1], constraint_flags=nal[2], level_idc=nal[3])
    return None
