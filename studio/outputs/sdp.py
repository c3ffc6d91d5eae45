"""SDP as text: simulcast munging for the offer, parsing and checking the WHIP answer.

Pure string functions (no aiortc).  aiortc 1.16 has no simulcast, so the publisher takes
aiortc's offer and adds rid-based simulcast (RFC 8853 + RFC 8851) to the video section with
:func:`add_simulcast`, or SSRC-group SIM with :func:`add_ssrc_group_sim` where a server wants
that.  Every line the munging does not need to touch stays byte-identical.

:func:`parse_answer` reads what the server accepted (codecs, header extensions, simulcast
layers, the data-channel section); :func:`validate_answer` turns an unusable answer into an
:class:`OutputError` in words.  :func:`settle_declined_sections` rewrites an answer that
declines (port 0) or leaves out a section we offered — the events data channel, typically —
into one aiortc applies without failing the whole session.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from studio.core.i18n import _
from studio.outputs.errors import OutputError

RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
REPAIRED_RID_URI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
TRANSPORT_CC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

EOL = "\r\n"
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
# Payload formats that carry no picture of their own: never "the" common codec.
AUXILIARY_CODECS = frozenset({"rtx", "red", "ulpfec", "flexfec-03", "telephone-event", "cn"})
# One-byte RTP header extension ids (RFC 8285); 15 is reserved.
_ONE_BYTE_EXTMAP_IDS = range(1, 15)
_RID_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_STATIC_PAYLOAD_TYPES = {0: ("PCMU", 8000, 1), 8: ("PCMA", 8000, 1), 9: ("G722", 8000, 1)}
# RFC 6184 §8.1: without profile-level-id the stream is Constrained-less Baseline, level 1.0.
DEFAULT_H264_PROFILE_LEVEL = (0x42, 0x00, 0x0A)
# RFC 8841 §5.1: the SCTP port when an answer names none (aiortc needs a number).
DEFAULT_SCTP_PORT = 5000
DATA_CHANNEL_FORMAT = "webrtc-datachannel"


# ------------------------------------------------------------------------------------------
# Line handling
def _lines(sdp: str) -> list[str]:
    """The SDP's lines without line endings (CRLF or bare LF), trailing empty line dropped."""
    lines = sdp.replace("\r\n", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _join(lines: list[str]) -> str:
    return EOL.join(lines) + EOL


def _media_bounds(lines: list[str]) -> list[tuple[int, int]]:
    """``(start, end)`` line indexes of each media section (``start`` is the ``m=`` line)."""
    starts = [i for i, line in enumerate(lines) if line.startswith("m=")]
    return [(start, starts[n + 1] if n + 1 < len(starts) else len(lines)) for n, start in enumerate(starts)]


def _video_bounds(lines: list[str]) -> tuple[int, int]:
    for start, end in _media_bounds(lines):
        if lines[start].startswith("m=video "):
            return start, end
    raise ValueError("the SDP has no video section")


def _extmaps(lines: Iterable[str]) -> list[tuple[int, str]]:
    found = []
    for line in lines:
        if line.startswith("a=extmap:"):
            value = line[len("a=extmap:"):].split()
            if len(value) >= 2:
                found.append((int(value[0].split("/")[0]), value[1]))
    return found


def find_extmap_id(sdp: str, uri: str, kind: str = "video") -> int | None:
    """The header extension id the first ``kind`` section maps ``uri`` to, or None."""
    lines = _lines(sdp)
    for start, end in _media_bounds(lines):
        if lines[start].startswith(f"m={kind} "):
            for ext_id, ext_uri in _extmaps(lines[start:end]):
                if ext_uri == uri:
                    return ext_id
            return None
    return None


def _choose_rid_extmap_id(lines: list[str], requested: int | None) -> int:
    used = _extmaps(lines)
    # In a BUNDLE one id means one extension everywhere: reuse an id other sections gave it.
    for ext_id, uri in used:
        if uri == RID_URI and requested in (None, ext_id):
            return ext_id
    taken = {ext_id for ext_id, uri in used if uri != RID_URI}
    if requested is not None:
        if requested in taken:
            raise ValueError(f"extmap id {requested} is already used by another header extension")
        return requested
    for ext_id in _ONE_BYTE_EXTMAP_IDS:
        if ext_id not in taken:
            return ext_id
    raise ValueError("no free one-byte header extension id left for rtp-stream-id")


def _attribute_insert_at(section: list[str]) -> int:
    """Index after the section's m/i/c/b/k lines: where its first attribute may go."""
    index = 1
    while index < len(section) and not section[index].startswith("a="):
        index += 1
    return index


# ------------------------------------------------------------------------------------------
# Offer munging
def add_simulcast(offer_sdp: str, rids: Iterable[str] = ("h", "m", "l"), *, rid_extmap_id: int | None = None) -> str:
    """Rid-based simulcast in the (first) video section of ``offer_sdp``.

    Adds the rtp-stream-id ``a=extmap`` (a free id, or ``rid_extmap_id``; an existing one is
    kept), one ``a=rid:<rid> send`` per rid and ``a=simulcast:send h;m;l`` (highest quality
    first, as given), and drops the video section's ``a=ssrc``/``a=ssrc-group`` lines since
    layers are told apart by rid.  Earlier ``a=rid``/``a=simulcast`` lines are replaced, so
    calling it twice is harmless.  Other lines are kept byte for byte; lines end in CRLF.
    Read the chosen id back with ``find_extmap_id(sdp, RID_URI)``.
    """
    rids = list(rids)
    if not rids:
        raise ValueError("simulcast needs at least one rid")
    for rid in rids:
        if not _RID_RE.match(rid):
            raise ValueError(f"invalid rid {rid!r} (letters, digits, '-' and '_' only)")
    if len(set(rids)) != len(rids):
        raise ValueError(f"duplicate rid in {rids}")
    lines = _lines(offer_sdp)
    start, end = _video_bounds(lines)
    section = lines[start:end]
    has_rid_extmap = any(uri == RID_URI for _, uri in _extmaps(section))
    ext_id = None if has_rid_extmap else _choose_rid_extmap_id(lines, rid_extmap_id)

    kept = [
        line
        for line in section
        if not line.startswith(("a=ssrc:", "a=ssrc-group:", "a=rid:", "a=simulcast:"))
    ]
    if ext_id is not None:
        extmap_at = [i for i, line in enumerate(kept) if line.startswith("a=extmap:")]
        if extmap_at:
            insert_at = extmap_at[-1] + 1
        else:
            mid_at = [i for i, line in enumerate(kept) if line.startswith("a=mid:")]
            insert_at = mid_at[0] + 1 if mid_at else _attribute_insert_at(kept)
        kept.insert(insert_at, f"a=extmap:{ext_id} {RID_URI}")
    kept.extend(f"a=rid:{rid} send" for rid in rids)
    kept.append("a=simulcast:send " + ";".join(rids))
    return _join(lines[:start] + kept + lines[end:])


def add_ssrc_group_sim(offer_sdp: str, ssrcs: Iterable[int], cname: str | None = None) -> str:
    """The fallback to rid simulcast: ``a=ssrc-group:SIM s1 s2 s3`` in the video section.

    ``ssrcs`` are the layers' SSRCs, highest quality first.  The video section's existing
    ``a=ssrc``/``a=ssrc-group`` lines are replaced (``cname`` defaults to the one they used).
    """
    ssrcs = [int(s) for s in ssrcs]
    if not ssrcs or len(set(ssrcs)) != len(ssrcs):
        raise ValueError(f"need distinct SSRCs, got {ssrcs}")
    if any(not 0 < s < 2**32 for s in ssrcs):
        raise ValueError(f"SSRCs must be 32-bit unsigned and non-zero: {ssrcs}")
    lines = _lines(offer_sdp)
    start, end = _video_bounds(lines)
    section = lines[start:end]
    removed_at = [i for i, line in enumerate(section) if line.startswith(("a=ssrc:", "a=ssrc-group:"))]
    if cname is None:
        for line in section:
            match = re.match(r"a=ssrc:\d+ cname:(\S+)", line)
            if match:
                cname = match.group(1)
                break
    if not cname:
        raise ValueError("no cname given and none found in the video section")
    kept = [line for i, line in enumerate(section) if i not in set(removed_at)]
    insert_at = removed_at[0] if removed_at else len(kept)
    added = ["a=ssrc-group:SIM " + " ".join(str(s) for s in ssrcs)]
    added += [f"a=ssrc:{s} cname:{cname}" for s in ssrcs]
    kept[insert_at:insert_at] = added
    return _join(lines[:start] + kept + lines[end:])


# ------------------------------------------------------------------------------------------
# Answer parsing
@dataclass
class Codec:
    """One payload format of a media section (``a=rtpmap`` + ``a=fmtp`` + ``a=rtcp-fb``)."""

    name: str
    payload_type: int
    clock_rate: int
    channels: int | None = None
    fmtp: dict[str, str] = field(default_factory=dict)
    rtcp_feedback: list[str] = field(default_factory=list)

    @property
    def is_auxiliary(self) -> bool:
        """RTX/RED/FEC and the like: negotiated alongside a real codec, never instead of one."""
        return self.name.lower() in AUXILIARY_CODECS


@dataclass
class Simulcast:
    """An ``a=simulcast`` line (RFC 8853): streams per direction, each a list of alternative
    rids (preferred first, ``~`` stripped); ``paused`` holds the rids that carried ``~``."""

    send: list[list[str]] = field(default_factory=list)
    recv: list[list[str]] = field(default_factory=list)
    paused: set[str] = field(default_factory=set)


@dataclass
class MediaInfo:
    """What one media section says."""

    kind: str
    port: int
    protocol: str
    formats: list[str]
    mid: str | None = None
    direction: str = "sendrecv"
    codecs: list[Codec] = field(default_factory=list)
    extmap: dict[str, int] = field(default_factory=dict)
    rids: dict[str, str] = field(default_factory=dict)  # rid -> "send" | "recv"
    simulcast: Simulcast | None = None
    # The rids the answer lets us send, one per simulcast stream, in the answer's order
    # (paused ones left out); None when the section negotiates no simulcast.
    accepted_rids: list[str] | None = None
    paused_rids: list[str] = field(default_factory=list)
    ssrcs: list[int] = field(default_factory=list)
    ssrc_groups: list[tuple[str, list[int]]] = field(default_factory=list)
    ice_ufrag: str | None = None
    ice_pwd: str | None = None
    fingerprints: list[str] = field(default_factory=list)
    setup: str | None = None
    candidates: list[str] = field(default_factory=list)
    is_rtcp_mux: bool = False
    # m=application (RFC 8841): a=sctp-port (or the legacy m-line format with a=sctpmap)
    # and a=max-message-size; None when the section does not say.
    sctp_port: int | None = None
    max_message_size: int | None = None

    @property
    def is_data_channel(self) -> bool:
        """An SCTP section carrying WebRTC data channels (current or legacy SDP)."""
        return self.kind == "application" and (
            DATA_CHANNEL_FORMAT in self.formats or "SCTP" in self.protocol.upper()
        )

    @property
    def is_rejected(self) -> bool:
        """Port 0: the answerer declined this section (RFC 3264 §6)."""
        return self.port == 0

    @property
    def rejected(self) -> bool:
        return self.is_rejected

    @property
    def media_codecs(self) -> list[Codec]:
        """Codecs without the RTX/RED/FEC helpers."""
        return [codec for codec in self.codecs if not codec.is_auxiliary]

    def codec(self, name: str) -> Codec | None:
        """First codec called ``name`` (case-insensitive, ``video/H264`` or ``H264``)."""
        wanted = name.split("/")[-1].lower()
        return next((c for c in self.codecs if c.name.lower() == wanted), None)


@dataclass
class AnswerInfo:
    """A parsed SDP (an answer, usually): its media sections and session-level attributes."""

    media: list[MediaInfo] = field(default_factory=list)
    bundle_mids: list[str] = field(default_factory=list)
    ice_ufrag: str | None = None
    ice_pwd: str | None = None
    fingerprints: list[str] = field(default_factory=list)
    setup: str | None = None
    is_ice_lite: bool = False

    @property
    def video(self) -> MediaInfo | None:
        """The first accepted video section (else the first video section, else None)."""
        videos = [m for m in self.media if m.kind == "video"]
        return next((m for m in videos if not m.is_rejected), videos[0] if videos else None)

    @property
    def audio(self) -> MediaInfo | None:
        audios = [m for m in self.media if m.kind == "audio"]
        return next((m for m in audios if not m.is_rejected), audios[0] if audios else None)

    @property
    def accepted_rids(self) -> list[str] | None:
        """The video section's accepted simulcast rids; None when it has no simulcast."""
        video = self.video
        return video.accepted_rids if video is not None else None

    @property
    def application(self) -> MediaInfo | None:
        """The first accepted data-channel section (else the first one, else None)."""
        sections = [m for m in self.media if m.is_data_channel]
        return next((m for m in sections if not m.is_rejected), sections[0] if sections else None)

    @property
    def is_data_channel_accepted(self) -> bool:
        """The answer keeps a data-channel section open (port ≠ 0)."""
        application = self.application
        return application is not None and not application.is_rejected


def _malformed_line(number: int) -> OutputError:
    return OutputError.malformed_answer(_("line {number} of the SDP cannot be parsed").format(number=number))


def parse_fmtp(value: str) -> dict[str, str]:
    """``"a=1;b=x"`` → ``{"a": "1", "b": "x"}`` (names lower-cased; a bare item maps to "")."""
    params: dict[str, str] = {}
    for item in value.split(";"):
        item = item.strip()
        if not item:
            continue
        name, _sep, param = item.partition("=")
        params[name.strip().lower()] = param.strip()
    return params


def parse_simulcast(value: str) -> Simulcast:
    """The value of ``a=simulcast:`` (RFC 8853 §5.1; tolerates the old ``rid=`` prefix)."""
    result = Simulcast()
    tokens = value.split()
    if not tokens or len(tokens) % 2:
        raise ValueError(f"bad simulcast value {value!r}")
    for direction, streams in zip(tokens[::2], tokens[1::2]):
        if direction not in ("send", "recv"):
            raise ValueError(f"bad simulcast direction {direction!r}")
        if streams.startswith("rid="):
            streams = streams[len("rid="):]
        parsed: list[list[str]] = []
        for stream in streams.split(";"):
            alternatives = []
            for rid in stream.split(","):
                is_paused = rid.startswith("~")
                rid = rid.lstrip("~")
                if not _RID_RE.match(rid):
                    raise ValueError(f"bad rid {rid!r}")
                if is_paused:
                    result.paused.add(rid)
                alternatives.append(rid)
            parsed.append(alternatives)
        if direction == "send":
            result.send.extend(parsed)
        else:
            result.recv.extend(parsed)
    return result


def _accepted_rids(media: MediaInfo) -> tuple[list[str] | None, list[str]]:
    declared_recv = [rid for rid, direction in media.rids.items() if direction == "recv"]
    if media.simulcast is None or not media.simulcast.recv:
        # No simulcast line but recv rids: a lenient reading of a terse answer.
        return (declared_recv or None), []
    accepted: list[str] = []
    paused: list[str] = []
    for alternatives in media.simulcast.recv:
        # A rid the answer lists must also have an a=rid line (RFC 8853 §5.2) when it has any.
        usable = [rid for rid in alternatives if not media.rids or media.rids.get(rid) == "recv"]
        live = [rid for rid in usable if rid not in media.simulcast.paused]
        if live:
            accepted.append(live[0])
        elif usable:
            paused.append(usable[0])
    return accepted, paused


def parse_answer(answer_sdp: str) -> AnswerInfo:
    """Parse an SDP answer; raises OutputError(MALFORMED_ANSWER) when it is not SDP."""
    answer_sdp = (answer_sdp or "").lstrip("\ufeff")  # a byte-order mark alone is empty too
    if not answer_sdp.strip():
        raise OutputError.malformed_answer(_("the answer is empty"))
    lines = _lines(answer_sdp)
    if not lines or lines[0].strip() != "v=0":
        raise OutputError.malformed_answer(_("the answer is not SDP (it does not start with v=0)"))
    info = AnswerInfo()
    session_direction = "sendrecv"
    current: MediaInfo | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line:
            continue
        if len(line) < 2 or line[1] != "=" or not line[0].isalpha():
            raise _malformed_line(number)
        kind, value = line[0], line[2:]
        try:
            if kind == "m":
                parts = value.split()
                if len(parts) < 4:
                    raise ValueError(value)
                current = MediaInfo(
                    kind=parts[0],
                    port=int(parts[1].split("/")[0]),
                    protocol=parts[2],
                    formats=parts[3:],
                    direction=session_direction,
                    ice_ufrag=info.ice_ufrag,
                    ice_pwd=info.ice_pwd,
                    setup=info.setup,
                    fingerprints=list(info.fingerprints),
                )
                for fmt in current.formats:
                    if fmt.isdigit() and int(fmt) in _STATIC_PAYLOAD_TYPES:
                        name, rate, channels = _STATIC_PAYLOAD_TYPES[int(fmt)]
                        current.codecs.append(Codec(name, int(fmt), rate, channels))
                info.media.append(current)
            elif kind == "a":
                name, _sep, attr = value.partition(":")
                if current is None:
                    session_direction = _session_attribute(info, name, attr, session_direction)
                else:
                    _media_attribute(current, name, attr)
        except (ValueError, IndexError):
            raise _malformed_line(number) from None
    for media in info.media:
        _order_codecs(media)
        media.accepted_rids, media.paused_rids = _accepted_rids(media)
    return info


def _session_attribute(info: AnswerInfo, name: str, value: str, direction: str) -> str:
    if name == "group" and value.startswith("BUNDLE"):
        info.bundle_mids = value.split()[1:]
    elif name == "ice-ufrag":
        info.ice_ufrag = value
    elif name == "ice-pwd":
        info.ice_pwd = value
    elif name == "fingerprint":
        info.fingerprints.append(value)
    elif name == "setup":
        info.setup = value
    elif name == "ice-lite":
        info.is_ice_lite = True
    elif name in DIRECTIONS:
        return name
    return direction


def _media_attribute(media: MediaInfo, name: str, value: str) -> None:
    if name in DIRECTIONS:
        media.direction = name
    elif name == "mid":
        media.mid = value
    elif name == "rtpmap":
        pt, _sep, encoding = value.partition(" ")
        parts = encoding.strip().split("/")
        channels = int(parts[2]) if len(parts) > 2 else None
        codec = Codec(parts[0], int(pt), int(parts[1]), channels)
        media.codecs = [c for c in media.codecs if c.payload_type != codec.payload_type] + [codec]
    elif name == "fmtp":
        pt, _sep, params = value.partition(" ")
        codec = _codec_for(media, int(pt))
        if codec is not None:
            codec.fmtp.update(parse_fmtp(params))
    elif name == "rtcp-fb":
        pt, _sep, feedback = value.partition(" ")
        if pt == "*":
            for codec in media.codecs:
                codec.rtcp_feedback.append(feedback.strip())
        else:
            codec = _codec_for(media, int(pt))
            if codec is not None:
                codec.rtcp_feedback.append(feedback.strip())
    elif name == "extmap":
        parts = value.split()
        media.extmap[parts[1]] = int(parts[0].split("/")[0])
    elif name == "rid":
        parts = value.split()
        if parts[1] not in ("send", "recv"):
            raise ValueError(value)
        media.rids[parts[0]] = parts[1]
    elif name == "simulcast":
        media.simulcast = parse_simulcast(value)
    elif name == "ssrc":
        ssrc = int(value.split()[0])
        if ssrc not in media.ssrcs:
            media.ssrcs.append(ssrc)
    elif name == "ssrc-group":
        parts = value.split()
        media.ssrc_groups.append((parts[0], [int(s) for s in parts[1:]]))
    elif name == "ice-ufrag":
        media.ice_ufrag = value
    elif name == "ice-pwd":
        media.ice_pwd = value
    elif name == "fingerprint":
        media.fingerprints.append(value)
    elif name == "setup":
        media.setup = value
    elif name == "candidate":
        media.candidates.append(value)
    elif name == "rtcp-mux":
        media.is_rtcp_mux = True
    elif name == "sctp-port":
        media.sctp_port = int(value)
    elif name == "sctpmap":  # legacy (draft-05): "a=sctpmap:5000 webrtc-datachannel 1024"
        media.sctp_port = media.sctp_port or int(value.split()[0])
    elif name == "max-message-size":
        media.max_message_size = int(value)


def _codec_for(media: MediaInfo, payload_type: int) -> Codec | None:
    return next((c for c in media.codecs if c.payload_type == payload_type), None)


def _order_codecs(media: MediaInfo) -> None:
    """Codecs in the m-line's preference order; rtpmaps for formats not listed are dropped."""
    order = {fmt: index for index, fmt in enumerate(media.formats)}
    media.codecs = sorted((c for c in media.codecs if str(c.payload_type) in order), key=lambda c: order[str(c.payload_type)])


def offered_codec_names(sdp: str, kind: str = "video") -> list[str]:
    """Names of the real codecs (no RTX/RED/FEC) the first ``kind`` section lists, in order."""
    info = parse_answer(sdp)
    media = next((m for m in info.media if m.kind == kind), None)
    if media is None:
        return []
    return list(dict.fromkeys(codec.name for codec in media.media_codecs))


def _section_mid(section: list[str]) -> str | None:
    return next((line[len("a=mid:"):] for line in section if line.startswith("a=mid:")), None)


def _is_declined(m_line: str) -> bool:
    parts = m_line[2:].split()
    return len(parts) > 1 and parts[1].split("/")[0] == "0"


_TRANSPORT_ATTRIBUTES = ("a=ice-ufrag:", "a=ice-pwd:", "a=setup:", "a=fingerprint:")


def settle_declined_sections(answer_sdp: str, offer_sdp: str) -> str:
    """The answer as the local peer (aiortc) can apply it when it declines or omits our
    data-channel section; what the server accepted is still read from the original answer.

    RFC 3264 §6: one answer section per offered section, in order, a declined one with port 0.
    Servers without data channels either answer ``m=application 0 …`` — often without ICE or
    DTLS attributes, which aiortc refuses — or leave the section out, which aiortc refuses
    too ("media sections do not match").  Either would cost the whole session its video.  So:

    * an offered ``m=application`` section the answer lacks (by mid, else by position) comes
      back declined (``m=application 0 <proto> <formats>``, ``a=mid``, ``a=inactive``) at its
      offered place;
    * a declined data-channel section borrows the first accepted section's transport
      attributes (ice-ufrag, ice-pwd, setup, fingerprint) when neither it nor the session
      has them, gets an ``a=sctp-port`` when it has none, and joins the BUNDLE group, so
      aiortc's SCTP transport rides the media transport instead of starting an ICE
      transport of its own (whose failure would read as the connection failing).

    Everything else stays byte for byte; without an offered data channel, or when the answer
    accepts it, the answer comes back unchanged.
    """
    offer_lines = _lines(offer_sdp)
    offered = [offer_lines[start:end] for start, end in _media_bounds(offer_lines)]
    offered_apps = [(index, section) for index, section in enumerate(offered) if section[0].startswith("m=application ")]
    if not offered_apps:
        return answer_sdp
    lines = _lines(answer_sdp)
    bounds = _media_bounds(lines)
    if not bounds:
        return answer_sdp
    head = lines[: bounds[0][0]]
    sections = [lines[start:end] for start, end in bounds]
    has_mids = any(_section_mid(section) is not None for section in sections)
    changed = False

    for index, offered_section in offered_apps:
        mid = _section_mid(offered_section)
        present = (mid in [_section_mid(section) for section in sections]) if has_mids and mid is not None else len(sections) > index
        if present:
            continue
        kind, _port, *rest = offered_section[0][2:].split()
        declined = [f"m={kind} 0 {' '.join(rest)}", "c=IN IP4 0.0.0.0"]
        declined += [f"a=mid:{mid}"] if mid is not None else []
        declined.append("a=inactive")
        sections.insert(min(index, len(sections)), declined)
        changed = True

    donor = next((section for section in sections if not _is_declined(section[0])), None)
    donor_mid = _section_mid(donor) if donor is not None else None
    offered_app_mids = [_section_mid(section) for _index, section in offered_apps]
    for position, section in enumerate(sections):
        if not section[0].startswith("m=application ") or not _is_declined(section[0]):
            continue
        mid = _section_mid(section)
        if mid is None and position < len(offered) and offered[position][0].startswith("m=application "):
            mid = _section_mid(offered[position])
            if mid is not None:
                section.insert(_attribute_insert_at(section), f"a=mid:{mid}")
                changed = True
        if mid is None or mid not in offered_app_mids:
            continue
        for prefix in _TRANSPORT_ATTRIBUTES:
            if donor is None or any(line.startswith(prefix) for line in section + head):
                continue
            borrowed = [line for line in donor if line.startswith(prefix)]
            section.extend(borrowed)
            changed = changed or bool(borrowed)
        protocol = section[0][2:].split()[2] if len(section[0][2:].split()) > 2 else ""
        if protocol != "DTLS/SCTP" and not any(line.startswith("a=sctp-port:") for line in section):
            section.append(f"a=sctp-port:{DEFAULT_SCTP_PORT}")
            changed = True
        group_at = next((i for i, line in enumerate(head) if line.startswith("a=group:BUNDLE")), None)
        if group_at is not None:
            if mid not in head[group_at].split()[1:]:
                head[group_at] += f" {mid}"
                changed = True
        elif donor_mid is not None:
            head.append(f"a=group:BUNDLE {donor_mid} {mid}")
            changed = True

    if not changed:
        return answer_sdp
    return _join(head + [line for section in sections for line in section])


def validate_answer(answer_info: AnswerInfo, offered_codecs: Iterable[str]) -> MediaInfo:
    """Check that the answer accepts video with a codec we offered; returns that video section.

    ``offered_codecs`` are names (``"H264"`` or ``"video/H264"``).  Raises OutputError:
    MALFORMED_ANSWER without a video section or when it would not receive from us,
    NO_COMMON_CODEC when video is rejected or shares no codec with the offer.
    """
    offered = [name.split("/")[-1] for name in offered_codecs]
    offered_lower = {name.lower() for name in offered}
    videos = [m for m in answer_info.media if m.kind == "video"]
    if not videos:
        raise OutputError.malformed_answer(_("the answer has no video section"))
    accepted = [m for m in videos if not m.is_rejected and m.direction != "inactive"]
    if not accepted:
        raise OutputError.no_common_codec(offered)
    video = accepted[0]
    if video.direction == "sendonly":
        raise OutputError.malformed_answer(
            _("the answer's video section has direction {direction}").format(direction=video.direction)
        )
    if not any(codec.name.lower() in offered_lower for codec in video.media_codecs):
        raise OutputError.no_common_codec(offered)
    return video


def h264_profile_level(fmtp: Mapping[str, str] | str | None) -> tuple[int, int, int]:
    """``(profile_idc, constraint_flags, level_idc)`` from an H264 fmtp (dict or text).

    ``42e01f`` → ``(0x42, 0xE0, 0x1F)`` (Constrained Baseline, level 3.1).  Without a
    profile-level-id the RFC 6184 default (Baseline, level 1.0) applies.
    """
    params = parse_fmtp(fmtp) if isinstance(fmtp, str) else {k.lower(): v for k, v in (fmtp or {}).items()}
    value = params.get("profile-level-id")
    if not value:
        return DEFAULT_H264_PROFILE_LEVEL
    if not re.fullmatch(r"[0-9A-Fa-f]{6}", value):
        raise ValueError(f"bad profile-level-id {value!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
