"""RTMP addresses, AMF0 values and chunk streams from a server, random and mutated: a value or our
typed error (ValueError for an address), never another exception, never a hang; the stream key
never shows in the masked address."""
from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from studio.outputs.rtmp_client import ChunkReader, amf_decode, amf_encode, chunk_message
from studio.outputs.rtmp_url import mask_stream_url, parse_rtmp_url, stream_key

KEY_ALPHABET = st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="/?#%@:[]")
KEYS = st.text(KEY_ALPHABET, min_size=8, max_size=40)
URLS = st.one_of(
    st.text(max_size=80),
    st.builds(lambda scheme, host, port, app, key: f"{scheme}://{host}{port}/{app}/{key}",
              st.sampled_from(["rtmp", "rtmps", "RTMP", "http", ""]),
              st.sampled_from(["live.example.com", "[::1]", "[::1", "127.0.0.1", "", "h\u00e9", "a@b"]),
              st.sampled_from(["", ":1935", ":0", ":99999", ":port", ":-1"]),
              st.text(max_size=12), st.text(max_size=30)),
)


@given(URLS)
def test_any_address_parses_or_is_a_value_error(url):
    try:
        address = parse_rtmp_url(url)
    except ValueError as error:
        assert str(error)
    else:
        assert address.scheme in ("rtmp", "rtmps") and 0 <= address.port <= 65535 and address.host
    assert isinstance(mask_stream_url(url), str)


@given(st.sampled_from(["rtmp", "rtmps"]), st.sampled_from(["live.example.com", "127.0.0.1:1935", "[::1]:443"]),
       st.text(st.characters(min_codepoint=0x61, max_codepoint=0x7A), max_size=10), KEYS)
def test_the_stream_key_never_shows_in_the_masked_address(scheme, host, app, key):
    url = f"{scheme}://{host}/{app}/{key}"
    assert stream_key(url) == key
    assert key not in mask_stream_url(url) and key not in str(parse_rtmp_url(url))


AMF_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda children: st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@given(st.lists(AMF_VALUES, max_size=4))
def test_amf_values_round_trip(values):
    assert amf_decode(amf_encode(*values)) == values


@given(st.binary(max_size=300))
def test_any_bytes_decode_to_amf_values_without_error(data):
    assert isinstance(amf_decode(data), list)


@given(st.lists(AMF_VALUES, min_size=1, max_size=3), st.data())
def test_mutated_amf_decodes_without_error(values, data):
    raw = bytearray(amf_encode(*values))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        raw[data.draw(st.integers(min_value=0, max_value=len(raw) - 1))] = data.draw(st.integers(min_value=0, max_value=255))
    assert isinstance(amf_decode(bytes(raw)), list)


def test_deeply_nested_amf_objects_stop_quietly():
    # A server's 3-kB message of 1,000 nested objects (or arrays) stops the decoding quietly.
    assert amf_decode(b"\x03\x00\x01a" * 1000) == []
    assert amf_decode(b"\x0a\x00\x00\x00\x01" * 1000) == []
    assert amf_decode(amf_encode("onStatus", {"level": {"a": {"b": 1.0}}})) == ["onStatus", {"level": {"a": {"b": 1.0}}}]


@given(st.binary(max_size=600), st.lists(st.integers(min_value=1, max_value=64), max_size=8))
def test_any_bytes_in_any_slices_feed_the_chunk_reader_without_error(data, cuts):
    reader = ChunkReader()
    position = 0
    for cut in cuts + [len(data)]:
        for message in reader.feed(data[position:position + cut]):
            assert 0 <= message.type_id <= 255 and isinstance(message.payload, bytes)
        position += cut


@given(st.lists(st.tuples(st.integers(min_value=2, max_value=319), st.integers(min_value=0, max_value=255),
                          st.integers(min_value=0, max_value=2 ** 32 - 1), st.integers(min_value=0, max_value=2 ** 32 - 1),
                          st.binary(max_size=400)), min_size=1, max_size=4),
       st.integers(min_value=1, max_value=300))
def test_chunked_messages_reassemble_in_order(messages, slice_size):
    """What chunk_message writes (chunk streams 2–319: its one- and two-byte forms), ChunkReader reads
    back, however the bytes arrive."""
    wire = b"".join(chunk_message(csid, type_id, stream_id, timestamp, payload, 128)
                    for csid, type_id, stream_id, timestamp, payload in messages if type_id != 1)
    expected = [(type_id, stream_id, payload) for _csid, type_id, stream_id, _t, payload in messages if type_id != 1]
    reader = ChunkReader()
    received = []
    for offset in range(0, len(wire), slice_size):
        received += [(m.type_id, m.stream_id, m.payload) for m in reader.feed(wire[offset:offset + slice_size])]
    assert [r for r in received if r[2]] == [e for e in expected if e[2]]


@given(st.integers(min_value=0, max_value=2 ** 32 - 1), st.binary(min_size=1, max_size=2000))
def test_a_hostile_chunk_size_never_hangs_the_reader(chunk_size, tail):
    """SET_CHUNK_SIZE (type 1) with any value, then anything: the reader consumes or waits."""
    reader = ChunkReader()
    reader.feed(chunk_message(2, 1, 0, 0, struct.pack(">I", chunk_size), 128))
    assert isinstance(reader.feed(tail), list)
