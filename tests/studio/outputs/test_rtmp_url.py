"""Stream keys never shown: mask_stream_url and the address parser."""
from __future__ import annotations

import pytest

from studio.outputs.rtmp_url import MASK, mask_stream_url, mask_text, parse_rtmp_url, stream_key, url_secrets


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop", "rtmp://a.rtmp.youtube.com/live2/****"),
        ("rtmps://live-api-s.facebook.com:443/rtmp/FB-123?s_bl=1&s_sc=9876&a=Abc_Def",
         "rtmps://live-api-s.facebook.com:443/rtmp/****?s_bl=****&s_sc=****&a=****"),
        ("rtmp://host/app/inst/KEY", "rtmp://host/app/inst/****"),
        ("rtmp://host:1936/KEY", "rtmp://host:1936/****"),
        ("rtmp://host/live/", "rtmp://host/live/"),  # no key given: nothing to hide
        ("rtmp://user:s3cret@host/live/KEY", "rtmp://user:****@host/live/****"),
        ("rtmp://host/live/key%2Fwith%20escapes?token", "rtmp://host/live/****?token"),
    ],
)
def test_mask_stream_url_hides_the_key_query_values_and_password(url, masked):
    assert mask_stream_url(url) == masked


def test_mask_stream_url_hides_a_key_repeated_elsewhere():
    assert "sekrit-key" not in mask_stream_url("rtmp://host/sekrit-key/sekrit-key")


def test_secrets_include_decoded_forms_but_not_short_flags():
    secrets = url_secrets("rtmp://h/app/k%2Fey?live=1&token=abcdef")
    assert {"k%2Fey", "k/ey", "abcdef"} <= set(secrets)
    assert "1" not in secrets  # "?live=1" is a flag; masking every "1" would garble sentences
    assert stream_key("rtmp://h/app/k%2Fey?live=1") == "k%2Fey"


def test_mask_text_hides_longest_first():
    assert mask_text("key=abc123 and abc", ["abc", "abc123"]) == f"key={MASK} and {MASK}"


def test_parse_rtmp_url_defaults_and_masked_repr():
    plain = parse_rtmp_url("rtmp://Ingest.Example.com/live/KEY123?x=yyyy")
    assert (plain.scheme, plain.host, plain.port, plain.is_tls) == ("rtmp", "ingest.example.com", 1935, False)
    secure = parse_rtmp_url("RTMPS://ingest.example.com/live/KEY123")
    assert (secure.scheme, secure.port, secure.is_tls) == ("rtmps", 443, True)
    for text in (str(plain), repr(plain), str(secure), repr(secure)):
        assert "KEY123" not in text and "yyyy" not in text


@pytest.mark.parametrize("url", ["http://host/live/KEY123", "rtmp:///live/KEY123", "srt://host:9000?streamid=KEY123",
                                 "rtmp://host:notaport/live/KEY123"])
def test_parse_rtmp_url_rejects_other_addresses_without_showing_the_key(url):
    with pytest.raises(ValueError) as info:
        parse_rtmp_url(url)
    assert "KEY123" not in str(info.value)
