"""One RTMP/RTMPS destination: the ladder's H.264 packets + the shared AAC, muxed to FLV by PyAV.

A show may send to any number of these next to its WHIP stream; each :class:`RtmpOutput` has
its own writer thread, queue, state machine and stats, so one destination failing (a refused
key, a server gone, a DNS error) never touches another.

Input (from any thread, never blocking): :meth:`RtmpOutput.on_video_packet` takes the
ladder's :class:`~encoders.base.EncodedPacket` (H.264 Annex-B, parameter sets in every
keyframe, keyframe every 2 s, no B-frames); :meth:`RtmpOutput.on_audio_packet` takes the
:class:`~studio.outputs.aac.AacPacket` that one :class:`~studio.outputs.aac.MixerAacSource`
encodes for every RTMP output.  Both land in one bounded queue; when it is full (the
network is slower than the stream) the queued pictures are dropped back to the newest
keyframe, or new pictures are skipped until the next one, so what leaves stays decodable;
every dropped packet is counted.

The writer thread connects with :class:`~studio.outputs.rtmp_client.RtmpPublisher` (our
socket: time-outs, certificate checks, the server's refusals in words — why not FFmpeg's
rtmp protocol is explained there) and muxes with PyAV's FLV muxer writing into it.  Each
connection starts on a keyframe: the output asks for one (``on_keyframe_request``) and drops
pictures until it arrives.  The FLV timeline is milliseconds of capture time from that
keyframe, for audio and video alike, so they stay in sync as captured.  The muxer builds the
avcC sequence header from the first keyframe's SPS/PPS (FFmpeg inserts ``extract_extradata``
for a stream without extradata) and the AAC one from the AAC track's AudioSpecificConfig.

States (:class:`~studio.outputs.state.OutputState`): ``connecting`` → ``live`` (→
``reconnecting`` → ``live`` …) → ``stopped``, or ``failed``.  Like OBS's auto-reconnect, a
destination that has been live retries forever with capped, jittered exponential back-off
(:class:`~studio.outputs.reconnect.Backoff`); before the first live it keeps retrying a
server that is down or a name that does not resolve (the error in words in ``stats()``), but
a refused stream key or a certificate that does not verify ends it as ``failed`` with
:attr:`RtmpOutput.failure` in words (:mod:`studio.outputs.rtmp_errors`).

The stream key (the URL's last path segment) never appears in a message, log line or stat:
everything shows :func:`~studio.outputs.rtmp_url.mask_stream_url`.

:class:`RtmpOutput` has about thirty methods, over the ~25 the team aims for: ten of them are
one-line read-only properties (state, failure, counters) that ``stats()`` and the tests read;
the writer thread's steps (connect, mux, went live, close) stay with the state they change.
"""
from __future__ import annotations

import logging
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import av

from encoders.base import EncodedPacket
from studio.core.clock import NS_PER_MS, NS_PER_S
from studio.core.events import Signal
from studio.core.i18n import _
from studio.outputs.aac import AAC_CHANNELS, AAC_SAMPLE_RATE, DEFAULT_AAC_BITRATE_BPS, AacPacket
from studio.outputs.reconnect import Backoff, ReconnectStatus
from studio.outputs.rtmp_client import CONNECT_TIMEOUT_S, SEND_TIMEOUT_S, FlvSink, RtmpPublisher
from studio.outputs.rtmp_errors import RtmpError, RtmpFailure, classify_send_error
from studio.outputs.rtmp_queue import PacketQueue, QueuedPacket, RateWindow
from studio.outputs.rtmp_url import RtmpAddress, mask_text, parse_rtmp_url
from studio.outputs.state import OutputState, state_label

log = logging.getLogger(__name__)

FLV_TIME_BASE = Fraction(1, 1000)  # FLV tags carry milliseconds
DEFAULT_MAX_QUEUE_PACKETS = 400  # ≈ 5 s of 30 fps video + 47 AAC frames/s
RTMP_BACKOFF_INITIAL_S = 1.0
RTMP_BACKOFF_MAX_S = 30.0
# FFmpeg's interleaver waits for every stream up to this before writing (its default is 10 s).
MAX_INTERLEAVE_DELTA_US = 500_000
_WAIT_S = 0.25
_BATCH_S = 0.1  # the writer gathers packets this long between sends (≈ 3 pictures + 5 AAC frames)


class _Session:
    """One connection: the publisher, the FLV muxer writing into it, its streams, the timeline origin."""

    def __init__(self, publisher: RtmpPublisher, container: Any, video: Any, audio: Any) -> None:
        self.publisher = publisher
        self.container = container
        self.video = video
        self.audio = audio
        self.origin_ns: int | None = None
        self.last_ms: dict[bool, int] = {}
        self.is_live = False


def _emitter(on_state: Any) -> Signal:
    if on_state is None:
        return Signal()
    if hasattr(on_state, "emit"):
        return on_state
    signal = Signal()
    signal.connect(on_state)
    return signal


class RtmpOutput:
    """Publishes one stream to one RTMP or RTMPS address.

    ``width``/``height``/``fps`` describe the video the packets carry; ``has_audio`` adds the
    AAC track (then feed :meth:`on_audio_packet`: a server probing for audio that never comes
    stalls its viewers).  ``video_rid`` keeps only that layer's packets (None: every packet
    is this stream's).  ``ca_file`` trusts only that CA for RTMPS (default: the system store);
    ``verify_tls=False`` skips certificate checks (never the default).  ``backoff`` spaces
    the retries (default 1 s doubling to 30 s, ±20 %).  ``on_state`` (a ``Signal`` or a
    callable) gets ``state=``, ``failure=`` on every change, from the writer thread;
    ``on_keyframe_request()`` is called when a (re)connection needs a keyframe.
    """

    def __init__(
        self,
        url: str,
        *,
        width: int,
        height: int,
        fps: float,
        has_audio: bool,
        name: str | None = None,
        ca_file: str | Path | None = None,
        verify_tls: bool = True,
        backoff: Backoff | None = None,
        on_state: Any = None,
        on_keyframe_request: Callable[[], Any] | None = None,
        video_rid: str | None = None,
        max_queue_packets: int = DEFAULT_MAX_QUEUE_PACKETS,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        send_timeout_s: float = SEND_TIMEOUT_S,
        audio_bitrate_bps: int = DEFAULT_AAC_BITRATE_BPS,
        thread_name: str = "bridgecast-rtmp",
    ) -> None:
        self.address: RtmpAddress = parse_rtmp_url(url)
        if width <= 0 or height <= 0 or fps <= 0:
            raise ValueError("width, height and fps must be positive")
        if max_queue_packets < 10:
            raise ValueError("max_queue_packets must be at least 10")
        self.width, self.height, self.fps = int(width), int(height), float(fps)
        self.has_audio = bool(has_audio)
        self.url = self.address.masked  # the only form of the address this object ever shows
        self.name = name or self.url
        self.ca_file = Path(ca_file) if ca_file is not None else None
        self.verify_tls = bool(verify_tls)
        self.backoff = backoff or Backoff(RTMP_BACKOFF_INITIAL_S, RTMP_BACKOFF_MAX_S)
        self.on_state = _emitter(on_state)
        self.on_keyframe_request = on_keyframe_request
        self.video_rid = video_rid
        self.max_queue_packets = int(max_queue_packets)
        self.connect_timeout_s = float(connect_timeout_s)
        self.send_timeout_s = float(send_timeout_s)
        self.audio_bitrate_bps = int(audio_bitrate_bps)
        self.thread_name = thread_name
        self._secrets = self.address.secrets
        self._state = OutputState.STOPPED
        self._is_started = False
        self._failure: RtmpError | None = None
        self._error: RtmpError | None = None  # the latest problem while (re)connecting
        self._cond = threading.Condition()  # guards the state
        self._queue = PacketQueue(self.max_queue_packets, on_keyframe_needed=self._request_keyframe)
        self._rates = RateWindow()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._publisher: RtmpPublisher | None = None
        self._has_been_live = False
        self._status = ReconnectStatus()
        self.video_packets = 0
        self.audio_packets = 0
        self.bytes_sent = 0
        self.connects = 0

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> OutputState:
        return self._state

    @property
    def failure(self) -> str | None:
        """Why the destination stopped for good, in words (None unless ``failed``)."""
        return str(self._failure) if self._failure is not None else None

    @property
    def failure_reason(self) -> RtmpFailure | None:
        return self._failure.reason if self._failure is not None else None

    @property
    def error(self) -> str | None:
        """The latest problem in words: the failure, or what the current retries are up against."""
        if self._failure is not None:
            return str(self._failure)
        return str(self._error) if self._error is not None else None

    @property
    def is_live(self) -> bool:
        return self._state is OutputState.LIVE

    @property
    def reconnects(self) -> int:
        """Outages that ended live again."""
        return self._status.reconnects

    def _set_state(self, state: OutputState, failure: RtmpError | None = None) -> None:
        with self._cond:
            if self._state is state and failure is None:
                return
            if self._state is OutputState.FAILED:
                return
            self._state = state
            if failure is not None:
                self._failure = failure
            self._cond.notify_all()
        if state is OutputState.FAILED:
            log.warning("RTMP %s failed: %s", self.name, failure)
        else:
            log.info("RTMP %s: %s", self.name, state.value)
        self.on_state.emit(state=state, failure=str(failure) if failure is not None else None)

    def wait_state(self, *states: OutputState | str, timeout_s: float = 10.0) -> bool:
        """Block until the state is one of ``states`` (True) or ``timeout_s`` passed (False)."""
        wanted = {OutputState(state) for state in states}
        with self._cond:
            return self._cond.wait_for(lambda: self._state in wanted, timeout_s)

    def wait_live(self, timeout_s: float = 10.0) -> bool:
        """True once live; False on time-out or when the destination failed or stopped."""
        self.wait_state(OutputState.LIVE, OutputState.FAILED, timeout_s=timeout_s)
        return self._state is OutputState.LIVE

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the writer thread (returns at once; the connection is made on that thread)."""
        with self._cond:
            if self._is_started:
                raise RuntimeError("an RtmpOutput starts once")
            self._is_started = True
        self._set_state(OutputState.CONNECTING)
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Unpublish, close the connection and join the thread (idempotent)."""
        self._stopping.set()
        self._queue.close()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            publisher = self._publisher
            if publisher is not None and not publisher.is_publishing:
                publisher.abort()  # still connecting: nothing to unpublish, no reason to wait
            thread.join(timeout_s / 2)
            publisher = self._publisher
            if thread.is_alive() and publisher is not None:
                publisher.abort()  # a send stuck on a dead server fails at once
            thread.join(timeout_s / 2)
            if thread.is_alive():
                log.error("RTMP %s: the writer thread did not stop within %.1f s", self.name, timeout_s)
        if self._state is not OutputState.FAILED:
            self._set_state(OutputState.STOPPED)

    def __enter__(self) -> "RtmpOutput":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ input (any thread)

    def on_video_packet(self, packet: EncodedPacket) -> None:
        """Take one encoded picture (H.264 Annex-B).  Never blocks or raises."""
        try:
            if (self.video_rid is not None and packet.rid != self.video_rid) or packet.codec != "h264":
                return
            capture_ns = packet.capture_ns
            if capture_ns is None:
                capture_ns = int(packet.pts * packet.time_base * NS_PER_S)
            self._queue.put_video(bytes(packet.data), int(capture_ns), packet.is_keyframe)
        except Exception:  # never into the encoder thread
            log.exception("RTMP %s: video hand-off failed", self.name)

    def on_audio_packet(self, packet: AacPacket) -> None:
        """Take one AAC frame (shared by every RTMP output; not modified).  Never blocks or raises."""
        try:
            if self.has_audio:
                self._queue.put_audio(packet.data, int(packet.capture_ns))
        except Exception:
            log.exception("RTMP %s: audio hand-off failed", self.name)

    def _request_keyframe(self) -> None:
        if self.on_keyframe_request is not None:
            self.on_keyframe_request()

    @property
    def dropped_video(self) -> int:
        return self._queue.dropped_video

    @property
    def dropped_audio(self) -> int:
        return self._queue.dropped_audio

    @property
    def skipped_before_keyframe(self) -> int:
        return self._queue.skipped_before_keyframe

    @property
    def keyframe_requests(self) -> int:
        return self._queue.keyframe_requests

    # ------------------------------------------------------------------ writer thread

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    self._run_session()
                    if self._stopping.is_set():
                        break
                    error = RtmpError.disconnected()
                except RtmpError as exc:
                    error = exc
                if self._stopping.is_set():
                    break
                self._error = error
                log.info("RTMP %s: %s", self.name, error)
                if error.is_final or (error.is_final_before_live and not self._has_been_live):
                    self._set_state(OutputState.FAILED, error)
                    return
                self._wait_before_retry(error)
        except Exception as exc:  # a bug here must end in words, not a silent thread
            log.exception("RTMP %s: writer thread crashed", self.name)
            detail = mask_text(f"{type(exc).__name__}: {exc}", self._secrets)
            self._set_state(OutputState.FAILED, RtmpError.send_failed(detail))
        finally:
            self._queue.close()
            log.debug("RTMP %s: writer thread ended", self.name)

    def _wait_before_retry(self, error: RtmpError) -> None:
        self._status.begin_outage(error)
        delay = self.backoff.delay_s(self._status.attempt + 1)
        self._status.schedule(delay, error)
        self._set_state(OutputState.RECONNECTING if self._has_been_live else OutputState.CONNECTING)
        self._stopping.wait(delay)
        self._status.trying()

    def _run_session(self) -> None:
        """Connect, publish until stop or a failure (raised as :class:`RtmpError`)."""
        session = self._connect()
        # Only now: while connecting, nothing piles up to be dropped (and counted) for nothing.
        self._queue.open()  # pictures are kept from the next keyframe on (one is asked for)
        try:
            while not self._stopping.is_set():
                batch = self._queue.take(_WAIT_S)
                self._queue.ask_again_if_due()  # still waiting for a keyframe, or skipping to one
                for item in batch:
                    self._mux(session, item)
                # One send for the batch, then what the server said (pings, an error, a
                # connection gone while idle).
                session.publisher.flush()
                if not session.is_live and session.origin_ns is not None:
                    self._went_live(session)
                if batch:
                    # Let the next batch gather: a few wake-ups a second instead of one per
                    # packet; RTMP viewers are seconds behind, this adds at most _BATCH_S.
                    self._stopping.wait(_BATCH_S)
        finally:
            self._queue.close()
            self._close(session)

    def _connect(self) -> _Session:
        """Connect and publish (our socket; raises :class:`RtmpError`), then open PyAV's FLV
        muxer on it and write the header (metadata, the AAC sequence header)."""
        publisher = RtmpPublisher(self.address, ca_file=self.ca_file, verify_tls=self.verify_tls,
                                  connect_timeout_s=self.connect_timeout_s, send_timeout_s=self.send_timeout_s)
        self.connects += 1
        self._publisher = publisher
        container = None
        try:
            publisher.connect()
            container = av.open(FlvSink(publisher), mode="w", format="flv", options={
                "flvflags": "no_duration_filesize",  # a live stream cannot seek back to patch the header
                "flush_packets": "1",  # every packet leaves at once, not when a 32 KiB buffer fills
                "max_interleave_delta": str(MAX_INTERLEAVE_DELTA_US),
            })
            video = container.add_mux_stream("h264", width=self.width, height=self.height)
            video.time_base = FLV_TIME_BASE
            audio = None
            if self.has_audio:
                # An encoder context only to describe the track (its AudioSpecificConfig matches
                # the shared encoder's); packets are muxed as they come.
                audio = container.add_stream("aac", rate=AAC_SAMPLE_RATE)
                audio.codec_context.layout = "stereo" if AAC_CHANNELS == 2 else "mono"
                audio.codec_context.bit_rate = self.audio_bitrate_bps
                audio.time_base = FLV_TIME_BASE
            container.start_encoding()
            publisher.flush()  # the header: metadata and the AAC sequence header
        except BaseException as exc:
            if container is not None:
                self._close_container(container)
            publisher.close()
            self._publisher = None
            if isinstance(exc, (av.FFmpegError, OSError, EOFError)) and not isinstance(exc, RtmpError):
                raise classify_send_error(exc, secrets=self._secrets) from None
            raise
        return _Session(publisher, container, video, audio)

    def _mux(self, session: _Session, item: QueuedPacket) -> None:
        if session.origin_ns is None:
            if not item.is_video:
                return
            session.origin_ns = item.capture_ns
        if item.capture_ns < session.origin_ns:
            return  # sound from before the picture this connection starts with
        stream = session.video if item.is_video else session.audio
        if stream is None:
            return
        pts_ms = (item.capture_ns - session.origin_ns) // NS_PER_MS
        last = session.last_ms.get(item.is_video)
        if last is not None and pts_ms <= last:
            if item.is_video:
                pts_ms = last + 1  # FLV needs increasing video timestamps
            else:
                pts_ms = last
        session.last_ms[item.is_video] = pts_ms
        packet = av.Packet(item.data)
        packet.stream = stream
        packet.time_base = FLV_TIME_BASE
        packet.pts = packet.dts = pts_ms
        packet.is_keyframe = item.is_keyframe
        try:
            session.container.mux(packet)
        except RtmpError:
            raise
        except (av.FFmpegError, OSError, EOFError) as exc:
            raise classify_send_error(exc, secrets=self._secrets) from None
        self.bytes_sent += len(item.data)
        if item.is_video:
            self.video_packets += 1
        else:
            self.audio_packets += 1
        self._rates.add(len(item.data), item.is_video, now=item.capture_ns / NS_PER_S)

    def _went_live(self, session: _Session) -> None:
        session.is_live = True
        self._error = None
        self._rates.start()
        if self._status.outage_started is not None:
            duration = self._status.recovered("reconnect")
            log.info("RTMP %s: live again after %.1f s", self.name, duration or 0.0)
        self._has_been_live = True
        self._set_state(OutputState.LIVE)

    def _close(self, session: _Session) -> None:
        self._close_container(session.container)
        session.publisher.close()  # FCUnpublish + deleteStream when the connection still works
        self._publisher = None
        self._rates.stop()

    def _close_container(self, container: Any) -> None:
        try:
            container.close()
        except Exception:
            log.debug("RTMP %s: closing the connection failed (already gone)", self.name)

    # ------------------------------------------------------------------ stats

    def stats(self) -> dict[str, Any]:
        """A JSON-ready snapshot: ``state``, ``bitrate_bps``, ``fps``, ``reconnects``, ``error``
        (words, key masked), ``url`` (masked), plus counters and retry details."""
        now = time.monotonic()
        bitrate_bps, fps = self._rates.rates(now) if self._state is OutputState.LIVE else (None, None)
        retry = self._status.snapshot(now)
        return {
            "kind": "rtmp",
            "name": self.name,
            "url": self.url,
            "state": self._state.value,
            "bitrate_bps": bitrate_bps,
            "fps": fps,
            "reconnects": self._status.reconnects,
            "error": self.error,
            "failure_reason": (self._failure or self._error).reason.value if (self._failure or self._error) else None,
            "is_tls": self.address.is_tls,
            "bytes_on_wire": publisher.bytes_sent if (publisher := self._publisher) is not None else None,
            "width": self.width,
            "height": self.height,
            "has_audio": self.has_audio,
            "video_packets": self.video_packets,
            "audio_packets": self.audio_packets,
            "bytes_sent": self.bytes_sent,
            "dropped_packets": self.dropped_video + self.dropped_audio,
            "dropped_video": self.dropped_video,
            "dropped_audio": self.dropped_audio,
            "skipped_before_keyframe": self.skipped_before_keyframe,
            "keyframe_requests": self.keyframe_requests,
            "queued": len(self._queue),
            "connects": self.connects,
            "reconnect_attempt": retry["reconnect_attempt"],
            "next_retry_in_s": retry["next_retry_in_s"],
            "outage_s": retry["outage_s"],
        }

    def __repr__(self) -> str:
        return f"RtmpOutput({self.url!r}, state={self._state.value})"


def state_sentence(output: RtmpOutput) -> str:
    """One line for the host: the destination, its state, and the problem if there is one."""
    if output.state is OutputState.FAILED:
        return _("RTMP {name} failed: {error}").format(name=output.name, error=output.failure)
    if output.error and output.state in (OutputState.CONNECTING, OutputState.RECONNECTING):
        return _("RTMP {name} is retrying: {error}").format(name=output.name, error=output.error)
    return _("RTMP {name}: {state}").format(name=output.name, state=state_label(output.state))


__all__ = ["DEFAULT_MAX_QUEUE_PACKETS", "FLV_TIME_BASE", "RtmpOutput", "state_sentence"]
