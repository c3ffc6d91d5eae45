"""RTP packets written from a prepared header, byte for byte what aiortc's serializer writes.

aiortc builds every outgoing packet as an ``RtpPacket`` with a ``HeaderExtensions`` object,
then ``serialize`` walks the negotiated extension table, packs each value and joins the pieces
(RFC 8285) — some forty Python calls a packet, and the abs-send-time comes from a timezone-aware
``datetime`` each time.  A sender's header differs from one packet to the next only in the
marker, sequence number, timestamp, abs-send-time, audio level and transport-wide sequence
number, so :class:`RtpHeaderWriter` lays the header out once per extension set (aiortc's own
``pack_header_extensions`` decides the layout: one- or two-byte form, padding) and writes a
packet by patching those fields in a copy.  ``tests/studio/outputs/test_rtp_writer.py``
compares the bytes with aiortc's for every combination the sender uses.

A packet kept for a later resend remembers where its transport-wide sequence number sits
(:class:`WrittenPacket`): a resent packet is a new packet for transport-wide CC and only those
two bytes change.
"""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import NamedTuple

from aiortc import rtp as aiortc_rtp
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
TRANSPORT_CC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

# Seconds from the NTP epoch (1900) to the Unix epoch (1970).
NTP_UNIX_OFFSET_S = 2_208_988_800
_FIXED = struct.Struct("!BBHLL")
_SEQUENCE = struct.Struct("!H")


def ntp_time(unix_ns: int | None = None) -> int:
    """64-bit NTP time of ``unix_ns`` (default: now), to the microsecond as aiortc's
    ``clock.current_ntp_time`` computes it from a ``datetime``."""
    unix_us = (time.time_ns() if unix_ns is None else unix_ns) // 1000
    seconds, micros = divmod(unix_us, 1_000_000)
    return ((seconds + NTP_UNIX_OFFSET_S) << 32) | ((micros << 32) // 1_000_000)


def abs_send_time(unix_ns: int | None = None) -> int:
    """The 24-bit abs-send-time (6.18 fixed-point seconds) of ``unix_ns`` (default: now)."""
    return (ntp_time(unix_ns) >> 14) & 0x00FFFFFF


class ExtensionIds(NamedTuple):
    """The negotiated header-extension ids the sender writes (None = not negotiated)."""

    mid: int | None = None
    rtp_stream_id: int | None = None
    abs_send_time: int | None = None
    audio_level: int | None = None
    transport_sequence_number: int | None = None

    @classmethod
    def from_parameters(cls, extensions: list[RTCRtpHeaderExtensionParameters]) -> "ExtensionIds":
        """The ids from the send parameters (what aiortc's ``HeaderExtensionsMap.configure`` reads;
        as there, the last entry for a URI wins)."""
        ids: dict[str, int] = {}
        for ext in extensions:
            ids[ext.uri] = ext.id
        return cls(ids.get(MID_URI), ids.get(RID_URI), ids.get(ABS_SEND_TIME_URI), ids.get(AUDIO_LEVEL_URI),
                   ids.get(TRANSPORT_CC_URI))


@dataclass(frozen=True, slots=True)
class WrittenPacket:
    """A written packet kept for a resend: its bytes, its header's size and where its
    transport-wide sequence number sits (None: it has none)."""

    data: bytes
    header_size: int
    transport_sequence_offset: int | None

    @property
    def payload_size(self) -> int:
        return len(self.data) - self.header_size

    @property
    def transport_sequence(self) -> int | None:
        """The transport-wide sequence number it was sent under (None: it has none)."""
        if self.transport_sequence_offset is None:
            return None
        return _SEQUENCE.unpack_from(self.data, self.transport_sequence_offset)[0]

    def with_transport_sequence(self, sequence: int) -> bytes:
        """The same packet under a new transport-wide sequence number."""
        if self.transport_sequence_offset is None:
            return self.data
        patched = bytearray(self.data)
        _SEQUENCE.pack_into(patched, self.transport_sequence_offset, sequence)
        return bytes(patched)


@dataclass(frozen=True, slots=True)
class _Layout:
    template: bytes  # everything before the payload, variable fields zero
    abs_send_time_offset: int | None
    audio_level_offset: int | None
    transport_sequence_offset: int | None


class RtpHeaderWriter:
    """Writes one sender's RTP packets (fixed SSRC, payload type, mid and rid).

    ``write`` takes what changes per packet; an extension is written when it is negotiated and
    has a value, in aiortc's order (mid, rid, abs-send-time, audio level, transport-wide
    sequence number), exactly as ``RtpPacket.serialize`` would.
    """

    def __init__(self, ids: ExtensionIds, *, payload_type: int, ssrc: int, mid: str | None,
                 rid: str | None) -> None:
        self.ids = ids
        self.payload_type = int(payload_type)
        self.ssrc = int(ssrc)
        self.mid = mid
        self.rid = rid
        self._layouts: dict[tuple[bool, bool], _Layout] = {}

    def _layout(self, has_level: bool, has_sequence: bool) -> _Layout:
        key = (has_level, has_sequence)
        layout = self._layouts.get(key)
        if layout is None:
            layout = self._layouts[key] = self._make_layout(has_level, has_sequence)
        return layout

    def _make_layout(self, has_level: bool, has_sequence: bool) -> _Layout:
        ids = self.ids
        # (id, bytes laid into the template — the value itself, or zeros that the named per-packet field
        # overwrites — and that field's name or None), in aiortc's order
        wanted: list[tuple[int | None, bytes, str | None]] = [
            (ids.mid, self.mid.encode("utf8") if self.mid is not None else None, None),
            (ids.rtp_stream_id, self.rid.encode("ascii") if self.rid is not None else None, None),
            (ids.abs_send_time, b"\x00\x00\x00", "abs"),
            (ids.audio_level, b"\x00" if has_level else None, "level"),
            (ids.transport_sequence_number, b"\x00\x00" if has_sequence else None, "sequence"),
        ]
        present = [(x_id, value, name) for x_id, value, name in wanted if x_id and value is not None]
        profile, block = aiortc_rtp.pack_header_extensions([(x_id, value) for x_id, value, _name in present])
        offsets: dict[str, int] = {}
        if block:
            element_header = 1 if profile == 0xBEDE else 2
            position = _FIXED.size + 4
            for _x_id, value, name in present:
                position += element_header
                if name is not None:
                    offsets[name] = position
                position += len(value)
        first = (2 << 6) | ((1 if block else 0) << 4)
        template = bytearray(_FIXED.pack(first, self.payload_type, 0, 0, self.ssrc))
        if block:
            template += struct.pack("!HH", profile, len(block) >> 2) + block
        return _Layout(bytes(template), offsets.get("abs"), offsets.get("level"), offsets.get("sequence"))

    def write(self, payload: bytes, *, sequence_number: int, timestamp: int, marker: bool,
              abs_send_time: int, audio_level: tuple[bool, int] | None = None,
              transport_sequence: int | None = None) -> WrittenPacket:
        """One packet's bytes (and where its transport-wide sequence number sits)."""
        layout = self._layout(audio_level is not None, transport_sequence is not None)
        header = bytearray(layout.template)
        header[1] = (0x80 if marker else 0) | self.payload_type
        struct.pack_into("!HL", header, 2, sequence_number, timestamp)
        offset = layout.abs_send_time_offset
        if offset is not None:
            header[offset:offset + 3] = abs_send_time.to_bytes(3, "big")
        offset = layout.audio_level_offset
        if offset is not None and audio_level is not None:
            header[offset] = (0x80 if audio_level[0] else 0) | (audio_level[1] & 0x7F)
        offset = layout.transport_sequence_offset
        if offset is not None:
            _SEQUENCE.pack_into(header, offset, transport_sequence)
        header_size = len(header)
        header += payload
        return WrittenPacket(bytes(header), header_size, offset)


__all__ = ["ExtensionIds", "RtpHeaderWriter", "WrittenPacket", "abs_send_time", "ntp_time"]
