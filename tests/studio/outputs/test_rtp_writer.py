"""The prepared-header RTP writer gives aiortc's bytes exactly, for every header the sender writes;
the abs-send-time is aiortc's; a resent packet differs only in its transport-wide number."""
from __future__ import annotations

import datetime
import itertools
import random

import pytest
from aiortc import clock as aiortc_clock
from aiortc import rtp as aiortc_rtp
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters

from studio.outputs.aiortc_adapter.rtp_writer import (
    ABS_SEND_TIME_URI,
    AUDIO_LEVEL_URI,
    MID_URI,
    RID_URI,
    TRANSPORT_CC_URI,
    ExtensionIds,
    RtpHeaderWriter,
    abs_send_time,
    ntp_time,
)

URIS = (MID_URI, RID_URI, ABS_SEND_TIME_URI, AUDIO_LEVEL_URI, TRANSPORT_CC_URI)


def aiortc_bytes(extensions, payload, *, payload_type, ssrc, sequence_number, timestamp, marker, mid, rid,
                 abs_time, level, transport_sequence) -> bytes:
    """What aiortc's PacketSender path wrote before: an RtpPacket serialized with the map."""
    header_map = aiortc_rtp.HeaderExtensionsMap()
    header_map.configure(RTCRtpParameters(headerExtensions=extensions))
    packet = aiortc_rtp.RtpPacket(payload_type=payload_type, sequence_number=sequence_number, timestamp=timestamp)
    packet.ssrc = ssrc
    packet.payload = payload
    packet.marker = 1 if marker else 0
    packet.extensions.abs_send_time = abs_time
    packet.extensions.mid = mid
    if rid is not None:
        packet.extensions.rtp_stream_id = rid
    if level is not None:
        packet.extensions.audio_level = level
    if transport_sequence is not None:
        packet.extensions.transport_sequence_number = transport_sequence
    return packet.serialize(header_map)


# Which extensions are negotiated (ids as browsers and Janus give them; 15+ forces the two-byte form)
NEGOTIATIONS = [
    {},
    {MID_URI: 1},
    {MID_URI: 1, ABS_SEND_TIME_URI: 3, RID_URI: 10, TRANSPORT_CC_URI: 5},
    {MID_URI: 4, ABS_SEND_TIME_URI: 2, AUDIO_LEVEL_URI: 1, TRANSPORT_CC_URI: 3},
    {MID_URI: 1, RID_URI: 9},
    {MID_URI: 1, ABS_SEND_TIME_URI: 3, RID_URI: 15, TRANSPORT_CC_URI: 5},  # two-byte header
    {ABS_SEND_TIME_URI: 2, AUDIO_LEVEL_URI: 200, TRANSPORT_CC_URI: 14},  # two-byte header
]


@pytest.mark.parametrize("negotiated", NEGOTIATIONS, ids=lambda n: "+".join(sorted(str(v) for v in n.values())) or "none")
def test_written_bytes_are_aiortcs_bytes(negotiated):
    rng = random.Random(len(negotiated))
    extensions = [RTCRtpHeaderExtensionParameters(id=x_id, uri=uri) for uri, x_id in negotiated.items()]
    ids = ExtensionIds.from_parameters(extensions)
    for mid, rid in (("0", "h"), ("1", None), (None, "low-layer-name"), ("12", "m")):
        writer = RtpHeaderWriter(ids, payload_type=102, ssrc=0xDEADBEEF, mid=mid, rid=rid)
        for level, transport_sequence, marker in itertools.product(
            (None, (True, 30), (False, 127)), (None, 0, 65535), (False, True)
        ):
            payload = bytes(rng.randrange(256) for _ in range(rng.choice((1, 17, 1180))))
            fields = dict(sequence_number=rng.randrange(65536), timestamp=rng.randrange(2**32), marker=marker)
            abs_time = rng.randrange(2**24)
            written = writer.write(payload, **fields, abs_send_time=abs_time, audio_level=level,
                                   transport_sequence=transport_sequence)
            expected = aiortc_bytes(extensions, payload, payload_type=102, ssrc=0xDEADBEEF, mid=mid, rid=rid,
                                    abs_time=abs_time, level=level, transport_sequence=transport_sequence, **fields)
            assert written.data == expected, (negotiated, mid, rid, level, transport_sequence, marker)
            assert written.payload_size == len(payload)


def test_a_resend_changes_only_the_transport_wide_number():
    extensions = [RTCRtpHeaderExtensionParameters(id=i + 1, uri=uri) for i, uri in enumerate(URIS)]
    header_map = aiortc_rtp.HeaderExtensionsMap()
    header_map.configure(RTCRtpParameters(headerExtensions=extensions))
    writer = RtpHeaderWriter(ExtensionIds.from_parameters(extensions), payload_type=96, ssrc=7, mid="0", rid="l")
    written = writer.write(b"\x01" * 300, sequence_number=41, timestamp=9000, marker=True, abs_send_time=12345,
                           transport_sequence=100)
    resent = aiortc_rtp.RtpPacket.parse(written.with_transport_sequence(777), header_map)
    first = aiortc_rtp.RtpPacket.parse(written.data, header_map)
    assert (first.extensions.transport_sequence_number, resent.extensions.transport_sequence_number) == (100, 777)
    resent.extensions.transport_sequence_number = 100
    assert resent.serialize(header_map) == written.data
    assert written.transport_sequence == 100  # what a byte-for-byte resend marks as resent
    without = RtpHeaderWriter(ExtensionIds(mid=1), payload_type=96, ssrc=7, mid="0", rid=None).write(
        b"x", sequence_number=1, timestamp=1, marker=False, abs_send_time=0)
    assert without.with_transport_sequence(5) == without.data
    assert without.transport_sequence is None


def test_abs_send_time_is_aiortcs():
    for moment in (
        datetime.datetime(2026, 12, 7, 19, 30, 0, 0, tzinfo=datetime.timezone.utc),
        datetime.datetime(2026, 12, 7, 19, 30, 59, 999_999, tzinfo=datetime.timezone.utc),
        datetime.datetime(2036, 2, 7, 6, 28, 15, 500_000, tzinfo=datetime.timezone.utc),  # NTP era rolls over
        datetime.datetime(2001, 1, 1, 0, 0, 0, 123_456, tzinfo=datetime.timezone.utc),
    ):
        unix_ns = (moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1) * 1000
        expected = aiortc_clock.datetime_to_ntp(moment)
        assert ntp_time(unix_ns) == expected, moment
        assert abs_send_time(unix_ns) == (expected >> 14) & 0x00FFFFFF
    # now: within a few milliseconds of aiortc's clock (6.18 fixed point: 1 unit = 3.8 µs)
    ours, theirs = abs_send_time(), (aiortc_clock.current_ntp_time() >> 14) & 0x00FFFFFF
    assert min((theirs - ours) % 2**24, (ours - theirs) % 2**24) < 2_000
