"""The RTMP publishing protocol on a Python socket, fed by PyAV's FLV muxer.

Why not FFmpeg's own ``rtmp``/``rtmps`` protocols (PyAV ``av.open("rtmp://…", "w")``)?
Measured with PyAV 18.1 / FFmpeg 8.1:

* PyAV opens an output with ``avio_open`` **holding the GIL**, so the TCP connect, the RTMP
  handshake and the publish exchange freeze every Python thread of the app (compositor,
  mixer, preview) for as long as they take — minutes for a host that does not answer;
* ``avio_open`` passes no options, so no ``rw_timeout``/``timeout`` can bound those waits;
* FFmpeg's ``rtmps`` never verifies certificates: it opens ``tls://host:port`` without
  options and ``tls_verify`` defaults to 0 (it publishes to a self-signed certificate and to
  one for another host name);
* a refused stream key is only an ``EIO`` with nothing logged at error level.

So PyAV's FLV muxer writes into :class:`FlvSink` (a Python file object), and
:class:`RtmpPublisher` sends the FLV tags as RTMP messages on a socket of ours: blocking
calls release the GIL and have time-outs, RTMPS uses :mod:`ssl` with the system's CAs (or a
given CA file) and a host-name check, and the server's own status (``NetStream.Publish.
BadName``, ``NetConnection.Connect.Rejected`` …) or its hanging up on ``publish`` (how
nginx-rtmp refuses a key) become a refusal in words.  The protocol is the subset an encoder
needs (what OBS's librtmp and FFmpeg send when publishing): the simple handshake, ``connect``,
``releaseStream``/``FCPublish``/``createStream``, ``publish``, then ``@setDataFrame`` + audio +
video messages; pings are answered, acknowledgements sent, server errors read while live.
"""
from __future__ import annotations

import logging
import os
import select
import socket
import ssl
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.i18n import _
from studio.outputs.rtmp_errors import RtmpError, classify_socket_error
from studio.outputs.rtmp_url import RtmpAddress, mask_text

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
SEND_TIMEOUT_S = 15.0  # the server taking no data this long counts as a lost connection
FLASH_VERSION = "FMLE/3.0 (compatible; Bridgecast Studio)"
OUT_CHUNK_SIZE = 4096
HANDSHAKE_SIZE = 1536

# Message types (RTMP spec 5.4, 7.1)
SET_CHUNK_SIZE = 1
ABORT = 2
ACKNOWLEDGEMENT = 3
USER_CONTROL = 4
WINDOW_ACK_SIZE = 5
SET_PEER_BANDWIDTH = 6
AUDIO = 8
VIDEO = 9
DATA_AMF3 = 15
COMMAND_AMF3 = 17
DATA_AMF0 = 18
COMMAND_AMF0 = 20
# Chunk streams (as FFmpeg uses them)
CS_PROTOCOL = 2
CS_COMMAND = 3
CS_AUDIO = 4
CS_VIDEO = 6
CS_SOURCE = 8
# User control events
PING_REQUEST = 6
PING_RESPONSE = 7

_EXTENDED_TIMESTAMP = 0xFFFFFF


# ---------------------------------------------------------------------------------------------
# AMF0


class AmfObject(dict):
    """An AMF0 object (anonymous or ECMA array), a plain dict."""


def amf_encode(*values: Any) -> bytes:
    out = bytearray()
    for value in values:
        _amf_write(out, value)
    return bytes(out)


def _amf_write(out: bytearray, value: Any) -> None:
    if value is None:
        out += b"\x05"
    elif isinstance(value, bool):
        out += b"\x01" + (b"\x01" if value else b"\x00")
    elif isinstance(value, (int, float)):
        out += b"\x00" + struct.pack(">d", float(value))
    elif isinstance(value, str):
        data = value.encode("utf-8")
        if len(data) > 0xFFFF:
            out += b"\x0c" + struct.pack(">I", len(data)) + data
        else:
            out += b"\x02" + struct.pack(">H", len(data)) + data
    elif isinstance(value, dict):
        out += b"\x03"
        for key, item in value.items():
            name = str(key).encode("utf-8")
            out += struct.pack(">H", len(name)) + name
            _amf_write(out, item)
        out += b"\x00\x00\x09"
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as AMF0")


def amf_decode(data: bytes) -> list[Any]:
    """Every AMF0 value in ``data`` (stops quietly at anything it does not know)."""
    values: list[Any] = []
    position = 0
    try:
        while position < len(data):
            value, position = _amf_read(data, position)
            values.append(value)
    except (IndexError, struct.error, ValueError):
        pass
    return values


MAX_AMF_DEPTH = 32  # a server's status is a few levels deep; deeper is hostile or broken


def _amf_read_properties(data: bytes, position: int, depth: int) -> tuple[AmfObject, int]:
    result = AmfObject()
    while True:
        (length,) = struct.unpack_from(">H", data, position)
        position += 2
        if length == 0 and data[position] == 0x09:
            return result, position + 1
        key = data[position:position + length].decode("utf-8", "replace")
        position += length
        result[key], position = _amf_read(data, position, depth + 1)


def _amf_read(data: bytes, position: int, depth: int = 0) -> tuple[Any, int]:
    if depth > MAX_AMF_DEPTH:
        raise ValueError("AMF0 nested too deeply")
    marker = data[position]
    position += 1
    if marker == 0x00:
        return struct.unpack_from(">d", data, position)[0], position + 8
    if marker == 0x01:
        return data[position] != 0, position + 1
    if marker == 0x02:
        (length,) = struct.unpack_from(">H", data, position)
        return data[position + 2:position + 2 + length].decode("utf-8", "replace"), position + 2 + length
    if marker == 0x0C:
        (length,) = struct.unpack_from(">I", data, position)
        return data[position + 4:position + 4 + length].decode("utf-8", "replace"), position + 4 + length
    if marker == 0x03:
        return _amf_read_properties(data, position, depth)
    if marker == 0x08:
        return _amf_read_properties(data, position + 4, depth)
    if marker in (0x05, 0x06):
        return None, position
    if marker == 0x0A:
        (count,) = struct.unpack_from(">I", data, position)
        position += 4
        items = []
        for _index in range(count):
            item, position = _amf_read(data, position, depth + 1)
            items.append(item)
        return items, position
    raise ValueError(f"AMF0 marker {marker:#x} not supported")


# ---------------------------------------------------------------------------------------------
# Chunk streams


@dataclass
class RtmpMessage:
    type_id: int
    stream_id: int
    timestamp: int
    payload: bytes


class _ChunkState:
    __slots__ = ("timestamp", "delta", "length", "type_id", "stream_id", "payload", "has_extended")

    def __init__(self) -> None:
        self.timestamp = 0
        self.delta = 0
        self.length = 0
        self.type_id = 0
        self.stream_id = 0
        self.payload = bytearray()
        self.has_extended = False


class ChunkReader:
    """Reassembles the server's chunks into messages (``feed(bytes)`` → messages)."""

    def __init__(self) -> None:
        self.chunk_size = 128
        self._buffer = bytearray()
        self._streams: dict[int, _ChunkState] = {}

    def feed(self, data: bytes) -> list[RtmpMessage]:
        self._buffer += data
        messages: list[RtmpMessage] = []
        while True:
            message, is_complete_chunk = self._read_chunk()
            if not is_complete_chunk:
                return messages
            if message is not None:
                messages.append(message)
                if message.type_id == SET_CHUNK_SIZE and len(message.payload) >= 4:
                    self.chunk_size = struct.unpack(">I", message.payload[:4])[0] & 0x7FFFFFFF

    def _read_chunk(self) -> tuple[RtmpMessage | None, bool]:
        buffer = self._buffer
        if not buffer:
            return None, False
        position = 1
        fmt = buffer[0] >> 6
        csid = buffer[0] & 0x3F
        if csid == 0:
            if len(buffer) < 2:
                return None, False
            csid = 64 + buffer[1]
            position = 2
        elif csid == 1:
            if len(buffer) < 3:
                return None, False
            csid = 64 + buffer[1] + buffer[2] * 256
            position = 3
        header_size = (11, 7, 3, 0)[fmt]
        if len(buffer) < position + header_size:
            return None, False
        state = self._streams.setdefault(csid, _ChunkState())
        header = buffer[position:position + header_size]
        position += header_size
        timestamp_field = None
        if fmt <= 2:
            timestamp_field = int.from_bytes(header[0:3], "big")
        has_extended = timestamp_field == _EXTENDED_TIMESTAMP if timestamp_field is not None else state.has_extended
        if has_extended:
            if len(buffer) < position + 4:
                return None, False
            timestamp_field = int.from_bytes(buffer[position:position + 4], "big")
            position += 4
        length, type_id, stream_id = state.length, state.type_id, state.stream_id
        if fmt <= 1:
            length = int.from_bytes(header[3:6], "big")
            type_id = header[6]
        if fmt == 0:
            stream_id = int.from_bytes(header[7:11], "little")
        is_new_message = not state.payload
        remaining = length - len(state.payload) if not is_new_message else length
        take = min(self.chunk_size, remaining)
        if len(buffer) < position + take:
            return None, False
        # The whole chunk is here: commit the header state.
        state.has_extended = has_extended
        if is_new_message:
            state.length, state.type_id, state.stream_id = length, type_id, stream_id
            if fmt == 0:
                state.timestamp = timestamp_field or 0
                state.delta = 0
            elif fmt in (1, 2):
                state.delta = timestamp_field or 0
                state.timestamp += state.delta
            else:
                state.timestamp += state.delta
        state.payload += buffer[position:position + take]
        del buffer[:position + take]
        if len(state.payload) >= state.length:
            message = RtmpMessage(state.type_id, state.stream_id, state.timestamp, bytes(state.payload))
            state.payload = bytearray()
            return message, True
        return None, True


def chunk_message(csid: int, type_id: int, stream_id: int, timestamp: int, payload: bytes, chunk_size: int) -> bytes:
    """One message as chunks: a full (type 0) header, then type 3 continuation headers."""
    timestamp &= 0xFFFFFFFF
    is_extended = timestamp >= _EXTENDED_TIMESTAMP
    basic0 = bytes([csid]) if csid < 64 else bytes([0, csid - 64])
    basic3 = bytes([0xC0 | csid]) if csid < 64 else bytes([0xC0, csid - 64])
    extended = struct.pack(">I", timestamp) if is_extended else b""
    header = (basic0 + (min(timestamp, _EXTENDED_TIMESTAMP)).to_bytes(3, "big") + len(payload).to_bytes(3, "big")
              + bytes([type_id]) + struct.pack("<I", stream_id) + extended)
    parts = [header, payload[:chunk_size]]
    for offset in range(chunk_size, len(payload), chunk_size):
        parts.append(basic3 + extended)
        parts.append(payload[offset:offset + chunk_size])
    return b"".join(parts)


# ---------------------------------------------------------------------------------------------
# The publisher


def make_tls_context(*, ca_file: str | Path | None = None, verify: bool = True) -> ssl.SSLContext:
    """A client context: the system's trusted CAs (or only ``ca_file``), host name checked."""
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_file is not None:
        return ssl.create_default_context(cafile=str(ca_file))
    return ssl.create_default_context()


def _app_and_name(address: RtmpAddress) -> tuple[str, str]:
    """FFmpeg's split: the application is everything before the last path segment; the
    stream name is the last segment (plus the query, which some services read)."""
    path, _sep, query = address.path_and_query.partition("?")
    path = path.lstrip("/")
    app, _slash, name = path.rpartition("/")
    if query:
        name = f"{name}?{query}"
    return app, name


class RtmpPublisher:
    """One RTMP(S) publishing connection.  ``connect()`` → ``write_flv(bytes)``… ``flush()`` → ``close()``.

    Every failure is an :class:`~studio.outputs.rtmp_errors.RtmpError` in words, the stream
    key masked.  Used by one thread at a time (the output's writer thread); :meth:`abort`
    may be called from another to make a blocked send fail at once.
    """

    def __init__(self, address: RtmpAddress, *, ca_file: str | Path | None = None, verify_tls: bool = True,
                 connect_timeout_s: float = CONNECT_TIMEOUT_S, send_timeout_s: float = SEND_TIMEOUT_S) -> None:
        self.address = address
        self.ca_file = ca_file
        self.verify_tls = verify_tls
        self.connect_timeout_s = float(connect_timeout_s)
        self.send_timeout_s = float(send_timeout_s)
        self.app, self.stream_name = _app_and_name(address)
        self._secrets = address.secrets
        self._sock: socket.socket | None = None
        self._reader = ChunkReader()
        self._stream_id = 0
        self._transaction = 0
        self._window_ack_size = 2_500_000
        self._bytes_read = 0
        self._bytes_acked = 0
        self._flv = bytearray()
        self._flv_header_skipped = False
        self.bytes_sent = 0
        self.is_publishing = False
        self.tls_version: str | None = None
        self.server_says: str | None = None
        self._connecting: socket.socket | None = None
        self._is_aborted = False

    @property
    def tc_url(self) -> str:
        address = self.address
        netloc = address.url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
        return f"{address.scheme}://{netloc}/{self.app}"

    # ------------------------------------------------------------------ connect

    def connect(self) -> None:
        """DNS, TCP, TLS (verified), handshake, ``connect``, ``createStream``, ``publish``."""
        address = self.address
        raw: socket.socket | None = None
        try:
            raw = self._open_tcp()
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if address.is_tls:
                try:
                    context = make_tls_context(ca_file=self.ca_file, verify=self.verify_tls)
                except (OSError, ssl.SSLError) as exc:
                    raise RtmpError.certificate(address.host, f"CA file: {getattr(exc, 'strerror', None) or exc}") from None
                sock: socket.socket = context.wrap_socket(raw, server_hostname=address.host)
                self.tls_version = sock.version()  # type: ignore[attr-defined]
            else:
                sock = raw
            raw = None
        except RtmpError:
            if raw is not None:
                raw.close()
            raise
        except (OSError, ssl.SSLError) as exc:
            if raw is not None:
                raw.close()
            raise classify_socket_error(exc, host=address.host, port=address.port,
                                        timeout_s=self.connect_timeout_s) from None
        self._sock = sock
        sock.settimeout(self.connect_timeout_s)
        try:
            self._handshake()
            self._send(chunk_message(CS_PROTOCOL, SET_CHUNK_SIZE, 0, 0, struct.pack(">I", OUT_CHUNK_SIZE), 128))
            self._command("connect", {"app": self.app, "type": "nonprivate", "flashVer": FLASH_VERSION,
                                      "tcUrl": self.tc_url}, transaction=1)
            self._await_result(1, "connect")
            self._command("releaseStream", None, self.stream_name)
            self._command("FCPublish", None, self.stream_name)
            transaction = self._command("createStream", None)
            result = self._await_result(transaction, "createStream")
            self._stream_id = int(result[3]) if len(result) > 3 and isinstance(result[3], float) else 1
            self._command("publish", None, self.stream_name, "live", stream_id=self._stream_id, csid=CS_SOURCE)
            self._await_publish_start()
        except (socket.timeout, TimeoutError):
            self.close()
            raise RtmpError.timeout(address.host, self.connect_timeout_s) from None
        except RtmpError:
            self.close()
            raise
        except (OSError, EOFError) as exc:
            self.close()
            raise RtmpError.disconnected(mask_text(str(exc), self._secrets)) from None
        sock.settimeout(self.send_timeout_s)
        self.is_publishing = True

    def _open_tcp(self) -> socket.socket:
        """``socket.create_connection``, but :meth:`abort` can end a connect in progress."""
        address = self.address
        last_error: OSError | None = None
        for family, kind, proto, _name, target in socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM):
            sock = socket.socket(family, kind, proto)
            self._connecting = sock
            try:
                sock.settimeout(self.connect_timeout_s)
                sock.connect(target)
                return sock
            except OSError as exc:
                sock.close()
                last_error = exc
                if self._is_aborted:
                    break
            finally:
                self._connecting = None
        raise last_error or OSError(f"no address for {address.host}")

    def _handshake(self) -> None:
        c1 = struct.pack(">II", int(time.monotonic() * 1000) & 0xFFFFFFFF, 0) + os.urandom(HANDSHAKE_SIZE - 8)
        self._send(b"\x03" + c1)
        s0s1 = self._recv_exactly(1 + HANDSHAKE_SIZE)
        if s0s1[0] != 3:
            raise RtmpError.refused(_("the address does not lead to an RTMP server"))
        self._send(s0s1[1:])  # C2 echoes S1
        self._recv_exactly(HANDSHAKE_SIZE)  # S2

    def _await_result(self, transaction: int, what: str) -> list[Any]:
        deadline = time.monotonic() + self.connect_timeout_s
        while time.monotonic() < deadline:
            for message in self._read_messages(block=True, refused_on_eof=True):
                values = self._handle(message)
                if values is None or len(values) < 2:
                    continue
                name, number = values[0], values[1]
                if name == "_result" and number == transaction:
                    return values
                if name == "_error" and number == transaction:
                    raise RtmpError.refused(self._describe(values) or f"{what} was refused")
        raise RtmpError.timeout(self.address.host, self.connect_timeout_s)

    def _await_publish_start(self) -> None:
        deadline = time.monotonic() + self.connect_timeout_s
        while time.monotonic() < deadline:
            for message in self._read_messages(block=True, refused_on_eof=True):
                values = self._handle(message)
                if not values:
                    continue
                info = self._info(values)
                code = str(info.get("code", ""))
                if values[0] == "onStatus" and code == "NetStream.Publish.Start":
                    return
                if values[0] in ("onStatus", "_error", "onFCPublish") and (
                        info.get("level") == "error" or "BadName" in code or "Rejected" in code or "Failed" in code):
                    raise RtmpError.refused(self._describe(values) or code)
        raise RtmpError.timeout(self.address.host, self.connect_timeout_s)

    @staticmethod
    def _info(values: list[Any]) -> dict[str, Any]:
        return next((value for value in values[2:] if isinstance(value, dict)), {})

    def _describe(self, values: list[Any]) -> str | None:
        info = self._info(values)
        parts = [str(info[key]) for key in ("code", "description") if info.get(key)]
        text = ": ".join(parts) if parts else None
        if text:
            text = mask_text(text, self._secrets)
            self.server_says = text
        return text

    # ------------------------------------------------------------------ messages

    def _command(self, name: str, obj: Any, *args: Any, transaction: int | None = None, stream_id: int = 0,
                 csid: int = CS_COMMAND) -> int:
        if transaction is None:
            self._transaction = max(self._transaction + 1, 2)
            transaction = self._transaction
        payload = amf_encode(name, float(transaction), obj, *args)
        self._send(chunk_message(csid, COMMAND_AMF0, stream_id, 0, payload, OUT_CHUNK_SIZE))
        return transaction

    def _handle(self, message: RtmpMessage) -> list[Any] | None:
        """Protocol control answered here; commands and data returned decoded."""
        if message.type_id == WINDOW_ACK_SIZE and len(message.payload) >= 4:
            self._window_ack_size = struct.unpack(">I", message.payload[:4])[0] or self._window_ack_size
        elif message.type_id == SET_PEER_BANDWIDTH and len(message.payload) >= 4:
            size = struct.unpack(">I", message.payload[:4])[0]
            self._send(chunk_message(CS_PROTOCOL, WINDOW_ACK_SIZE, 0, 0, struct.pack(">I", size), OUT_CHUNK_SIZE))
        elif message.type_id == USER_CONTROL and len(message.payload) >= 6:
            (event,) = struct.unpack(">H", message.payload[:2])
            if event == PING_REQUEST:
                self._send(chunk_message(CS_PROTOCOL, USER_CONTROL, 0, 0,
                                         struct.pack(">H", PING_RESPONSE) + message.payload[2:6], OUT_CHUNK_SIZE))
        elif message.type_id in (COMMAND_AMF0, DATA_AMF0):
            return amf_decode(message.payload)
        elif message.type_id in (COMMAND_AMF3, DATA_AMF3):
            return amf_decode(message.payload[1:])
        return None

    def _read_messages(self, *, block: bool, refused_on_eof: bool = False) -> list[RtmpMessage]:
        sock = self._sock
        if sock is None:
            raise RtmpError.disconnected()
        if not block:
            pending = sock.pending() if isinstance(sock, ssl.SSLSocket) else 0
            if not pending:
                readable, _w, _x = select.select([sock], [], [], 0)
                if not readable:
                    return []
        if not block:
            # Readable may mean half a TLS record: never wait for the rest while publishing.
            sock.settimeout(0)
        try:
            data = sock.recv(65536)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return []
        except (socket.timeout, TimeoutError):
            if block:
                raise
            return []
        except OSError as exc:
            if refused_on_eof:
                raise RtmpError.refused() from None
            raise RtmpError.disconnected(mask_text(str(getattr(exc, "strerror", None) or exc), self._secrets).lower()) from None
        finally:
            if not block and self._sock is not None:
                sock.settimeout(self.send_timeout_s)
        if not data:
            # nginx-rtmp (and others) refuse a key by hanging up on connect/publish.
            if refused_on_eof:
                raise RtmpError.refused()
            raise RtmpError.disconnected(_server_closed())
        self._bytes_read += len(data)
        if self._bytes_read - self._bytes_acked >= self._window_ack_size:
            self._bytes_acked = self._bytes_read
            self._send(chunk_message(CS_PROTOCOL, ACKNOWLEDGEMENT, 0, 0, struct.pack(">I", self._bytes_read & 0xFFFFFFFF),
                                     OUT_CHUNK_SIZE))
        return self._reader.feed(data)

    def _recv_exactly(self, size: int) -> bytes:
        sock = self._sock
        assert sock is not None
        data = bytearray()
        while len(data) < size:
            try:
                chunk = sock.recv(size - len(data))
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise RtmpError.disconnected(_("the server closed the connection during the RTMP handshake"))
            data += chunk
        self._bytes_read += size
        return bytes(data)

    def _send(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise RtmpError.disconnected()
        try:
            sock.sendall(data)
        except (socket.timeout, TimeoutError):
            raise RtmpError.disconnected(_stall_words(self.send_timeout_s)) from None
        except OSError as exc:
            raise RtmpError.disconnected(mask_text(str(getattr(exc, "strerror", None) or exc), self._secrets).lower()) from None
        self.bytes_sent += len(data)

    # ------------------------------------------------------------------ media

    def write_flv(self, data: bytes) -> None:
        """Take FLV bytes as PyAV's muxer writes them; nothing is sent until :meth:`flush`.
        Raises :class:`RtmpError` when the connection is no longer publishing."""
        if not self.is_publishing:
            raise RtmpError.disconnected()
        self._flv += data

    def flush(self) -> None:
        """Send every complete FLV tag written so far as RTMP messages in one write, then
        read what the server sent meanwhile (pings, errors).  Raises :class:`RtmpError`.

        One send per batch of packets, not per packet: the writer thread wakes a few dozen
        times a second instead of once per audio and video packet."""
        if not self.is_publishing:
            raise RtmpError.disconnected()
        flv = self._flv
        if not self._flv_header_skipped:
            if len(flv) < 13:
                return
            if flv[:3] != b"FLV":
                raise RtmpError.send_failed("not an FLV stream")
            del flv[:13]  # signature, flags, header size, PreviousTagSize0
            self._flv_header_skipped = True
        out = bytearray()
        data = bytes(flv)  # one copy; the tags' bodies are views of it, not copies
        view = memoryview(data)
        position = 0
        while len(data) - position >= 11:
            tag_type = data[position]
            size = int.from_bytes(data[position + 1:position + 4], "big")
            end = position + 11 + size
            if len(data) < end + 4:
                break
            timestamp = int.from_bytes(data[position + 4:position + 7], "big") | (data[position + 7] << 24)
            body = view[position + 11:end]
            position = end + 4  # the tag, then its PreviousTagSize
            if tag_type == AUDIO:
                out += chunk_message(CS_AUDIO, AUDIO, self._stream_id, timestamp, body, OUT_CHUNK_SIZE)
            elif tag_type == VIDEO:
                out += chunk_message(CS_VIDEO, VIDEO, self._stream_id, timestamp, body, OUT_CHUNK_SIZE)
            elif tag_type == DATA_AMF0:
                payload = amf_encode("@setDataFrame") + bytes(body)
                out += chunk_message(CS_AUDIO, DATA_AMF0, self._stream_id, timestamp, payload, OUT_CHUNK_SIZE)
        del flv[:position]
        if out:
            self._send(out)
        self.poll()

    def poll(self) -> None:
        """Handle what the server sent (answer pings; a status error ends the stream)."""
        for message in self._read_messages(block=False):
            values = self._handle(message)
            if values and values[0] in ("onStatus", "_error"):
                info = self._info(values)
                if info.get("level") == "error":
                    raise RtmpError.disconnected(self._describe(values))

    # ------------------------------------------------------------------ close

    def close(self) -> None:
        """Unpublish (best effort, briefly) and close the socket.  Idempotent."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if self.is_publishing:
            self.is_publishing = False
            try:
                sock.settimeout(1.0)
                self._sock = sock
                self._command("FCUnpublish", None, self.stream_name)
                self._command("deleteStream", None, float(self._stream_id))
            except (RtmpError, OSError):
                pass
            finally:
                self._sock = None
        try:
            sock.close()
        except OSError:
            pass

    def abort(self) -> None:
        """From another thread: make a connect, send or receive in progress fail now."""
        self._is_aborted = True
        for sock in (self._connecting, self._sock):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _server_closed() -> str:
    return _("the server closed the connection")


def _stall_words(seconds: float) -> str:
    return _("the server took no data for {seconds} s").format(seconds=f"{seconds:g}")


class FlvSink:
    """The file object PyAV's FLV muxer writes into: every write goes to the publisher's buffer
    (sent by :meth:`RtmpPublisher.flush`).

    Not seekable on purpose (a live stream cannot go back to patch the header).  An
    :class:`RtmpError` raised here comes out of ``container.mux()`` unchanged.
    """

    def __init__(self, publisher: RtmpPublisher) -> None:
        self.publisher = publisher

    def write(self, data: bytes) -> int:
        self.publisher.write_flv(data)
        return len(data)

    def flush(self) -> None:
        pass


__all__ = ["FlvSink", "RtmpPublisher", "amf_decode", "amf_encode", "chunk_message", "ChunkReader", "make_tls_context"]
