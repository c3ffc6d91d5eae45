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


class FakeRtmpServer:
    """Just enough of a server to answer ``connect``/``createStream`` and then ``publish`` with
    the status given (what platforms do for a bad key, unlike nginx-rtmp which hangs up)."""

    def __init__(self, publish_status: dict) -> None:
        import socket
        import threading

        self.publish_status = publish_status
        self.commands: list[list] = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, name="test-fake-rtmp", daemon=True)
        self.thread.start()

    def _recv(self, conn, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _send_command(self, conn, *values, stream_id: int = 0) -> None:
        conn.sendall(chunk_message(3, COMMAND_AMF0, stream_id, 0, amf_encode(*values), 128))

    def _serve(self) -> None:
        self.listener.settimeout(5)
        conn, _address = self.listener.accept()
        conn.settimeout(5)
        try:
            self._recv(conn, 1537)  # C0 C1
            conn.sendall(b"\x03" + bytes(1536) + bytes(1536))  # S0 S1 S2
            self._recv(conn, 1536)  # C2
            reader = ChunkReader()
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                for message in reader.feed(data):
                    if message.type_id != COMMAND_AMF0:
                        continue
                    values = amf_decode(message.payload)
                    self.commands.append(values)
                    name, transaction = values[0], values[1]
                    if name == "connect":
                        self._send_command(conn, "_result", transaction, {"fmsVer": "FMS/3,0,1,123"},
                                           {"level": "status", "code": "NetConnection.Connect.Success"})
                    elif name == "createStream":
                        self._send_command(conn, "_result", transaction, None, 1.0)
                    elif name == "publish":
                        self._send_command(conn, "onStatus", 0.0, None, self.publish_status, stream_id=1)
                        if self.publish_status.get("level") == "error":
                            return
        except (EOFError, OSError):
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.thread.join(5)
        self.listener.close()


def test_a_server_refusing_publish_with_a_status_is_refused_in_its_own_words_key_masked():
    server = FakeRtmpServer({"level": "error", "code": "NetStream.Publish.BadName",
                             "description": "Stream key SECRET-9 is not valid"})
    try:
        publisher = RtmpPublisher(parse_rtmp_url(f"rtmp://127.0.0.1:{server.port}/app/SECRET-9"))
        with pytest.raises(RtmpError) as info:
            publisher.connect()
    finally:
        server.close()
    error = info.value
    assert error.reason is RtmpFailure.REFUSED and error.is_final_before_live
    assert str(error) == "The RTMP server refused the stream: NetStream.Publish.BadName: Stream key **** is not valid"
    # What was sent, in order, the way encoders publish (tcUrl names the real server).
    names = [values[0] for values in server.commands]
    assert names == ["connect", "releaseStream", "FCPublish", "createStream", "publish"]
    assert server.commands[0][2]["tcUrl"] == f"rtmp://127.0.0.1:{server.port}/app"
    assert server.commands[-1][3:5] == ["SECRET-9", "live"]


def test_a_server_starting_the_publish_lets_the_flv_through():
    server = FakeRtmpServer({"level": "status", "code": "NetStream.Publish.Start"})
    try:
        publisher = RtmpPublisher(parse_rtmp_url(f"rtmp://127.0.0.1:{server.port}/app/KEY-1"))
        publisher.connect()
        assert publisher.is_publishing
        publisher.close()
    finally:
        server.close()
    assert [values[0] for values in server.commands][-2:] == ["FCUnpublish", "deleteStream"]  # unpublished
