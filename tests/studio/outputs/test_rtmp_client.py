"""The RTMP protocol pieces that need no server: AMF0, chunking, the app/stream-name split."""
from __future__ import annotations

import struct

import pytest

from studio.outputs.rtmp_client import (
    AUDIO,
    COMMAND_AMF0,
    SET_CHUNK_SIZE,
    ChunkReader,
    RtmpPublisher,
    amf_decode,
    amf_encode,
    chunk_message,
)
from studio.outputs.rtmp_errors import RtmpError, RtmpFailure
from studio.outputs.rtmp_url import parse_rtmp_url


def test_amf0_round_trip():
    values = ["connect", 1.0, {"app": "live", "tcUrl": "rtmp://h/live", "fpad": False}, None, "x" * 70_000]
    assert amf_decode(amf_encode(*values)) == values


def test_amf0_decodes_ecma_arrays_and_stops_at_unknown_markers():
    ecma = b"\x08" + struct.pack(">I", 1) + struct.pack(">H", 4) + b"code" + amf_encode("NetStream.Publish.Start") + b"\x00\x00\x09"
    assert amf_decode(amf_encode("onStatus") + ecma + b"\x11garbage") == ["onStatus", {"code": "NetStream.Publish.Start"}]


@pytest.mark.parametrize("timestamp", [0, 1234, 0xFFFFFE, 0xFFFFFF, 0x12345678])
@pytest.mark.parametrize("size", [0, 100, 128, 129, 10_000])
def test_chunks_round_trip_at_any_size_and_timestamp(timestamp, size):
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    reader = ChunkReader()
    data = chunk_message(6, AUDIO, 1, timestamp, payload, 128)
    messages = []
    for offset in range(0, len(data), 50):  # arrives in pieces
        messages += reader.feed(data[offset:offset + 50])
    assert [(m.type_id, m.stream_id, m.timestamp, m.payload) for m in messages] == [(AUDIO, 1, timestamp, payload)]


def test_chunk_reader_follows_the_servers_chunk_size_and_compressed_headers():
    reader = ChunkReader()
    stream = chunk_message(2, SET_CHUNK_SIZE, 0, 0, struct.pack(">I", 4096), 128)
    body = amf_encode("_result", 1.0, None, {"code": "NetConnection.Connect.Success"})
    stream += chunk_message(3, COMMAND_AMF0, 0, 0, body, 4096)
    # A type-1 header (same stream id, new length/type, timestamp delta 40) on the same chunk stream.
    second = amf_encode("onBWDone", 0.0, None)
    stream += bytes([0x40 | 3]) + (40).to_bytes(3, "big") + len(second).to_bytes(3, "big") + bytes([COMMAND_AMF0]) + second
    messages = reader.feed(stream)
    assert reader.chunk_size == 4096
    assert [amf_decode(m.payload)[0] for m in messages[1:]] == ["_result", "onBWDone"]
    assert messages[2].timestamp == 40


@pytest.mark.parametrize(
    ("url", "app", "name", "tc_url"),
    [
        ("rtmp://h/live/KEY", "live", "KEY", "rtmp://h/live"),
        ("rtmps://h:443/live2/KEY?x=1", "live2", "KEY?x=1", "rtmps://h:443/live2"),
        ("rtmp://h:1936/app/instance/KEY", "app/instance", "KEY", "rtmp://h:1936/app/instance"),
    ],
)
def test_publisher_splits_app_and_stream_name_like_ffmpeg(url, app, name, tc_url):
    publisher = RtmpPublisher(parse_rtmp_url(url))
    assert (publisher.app, publisher.stream_name, publisher.tc_url) == (app, name, tc_url)


def test_unknown_host_is_a_dns_error_in_words(monkeypatch):
    import socket

    def no_such_host(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    publisher = RtmpPublisher(parse_rtmp_url("rtmp://ingest.nowhere.example/live/SECRETKEY"))
    with pytest.raises(RtmpError) as info:
        publisher.connect()
    assert info.value.reason is RtmpFailure.DNS
    assert "ingest.nowhere.example" in str(info.value) and "SECRETKEY" not in str(info.value)
    assert not info.value.is_final_before_live  # DNS may come back: keep trying
