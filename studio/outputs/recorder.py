"""Local recording, the safety net: the top layer's packets + Opus, into crash-safe Matroska.

No second encode: :meth:`Recorder.on_video_packet` takes the ladder's packets (``Ladder(on_packet=...)``)
and keeps only the chosen rid; :meth:`Recorder.on_audio_packet` takes the Opus packets that
:class:`~studio.outputs.audio_track.MixerOpusSource` already makes for the WHIP session (its
:class:`PacketItem`, or a bare ``av.Packet`` plus ``capture_ns``).  Audio is never re-encoded here,
so one Opus encoder can feed both the stream and the recording.

Threads: the callbacks run on encoder threads and only append to a bounded queue (never block,
never raise); one writer thread (``bridgecast-recorder``) muxes, flushes and fsyncs.  When the queue
is full, packets are dropped and counted; a dropped video packet makes the recorder drop video until
the next keyframe (a decodable file beats a complete one), and that is counted too.

Crash safety (measured: SIGKILL loses ≈ 0.5 s of content, see tests): Matroska clusters are closed at least every
:data:`CLUSTER_TIME_LIMIT_MS` (FFmpeg's default is 5 s and keeps the open cluster in memory), the
muxer flushes its I/O after every packet, FFmpeg's interleaving queue may hold a stream back at most
:data:`MAX_INTERLEAVE_DELTA_US`, and the file is ``fsync``-ed every :data:`SYNC_INTERVAL_S` (for
power loss; a killed process leaves the page cache to the kernel anyway).  The segment size is
written as "unknown" until the trailer, so a truncated file still demuxes.  Nothing reaches the
file before the first cluster is complete (:class:`~studio.outputs.mkv_gate.FirstClusterGate`): a kill in that first
half second leaves an empty file, never a header without a picture, which no player opens.

Timeline: both streams in milliseconds from capture times (``capture_ns``); the first video
keyframe written is 0; audio captured before it is skipped.  So audio and video stay in sync
the way they were captured.  The wall-clock time of that 0 is the file's ``creation_time``
(Matroska DateUTC, to the millisecond): the show's journal is in wall seconds, and product
clips (:mod:`studio.clips`) map a pin to the recording with it.

Failures (disk full, unwritable path, file deleted while recording, muxer errors) end the
recording with :attr:`Recorder.failure` in words and ``on_state`` emitted; the stream that feeds it
goes on.
"""
from __future__ import annotations

import collections
import errno
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from encoders.base import EncodedPacket
from studio.core.clock import media_to_wall_ms
from studio.core.errors import StudioError
from studio.core.events import Signal
from studio.core.i18n import _
from studio.outputs.mkv_gate import FirstClusterGate

log = logging.getLogger(__name__)

IDLE, RECORDING, STOPPED, FAILED = "idle", "recording", "stopped", "failed"
STATES = (IDLE, RECORDING, STOPPED, FAILED)

TIME_BASE = Fraction(1, 1000)  # Matroska's own tick (TimestampScale 1 ms)
NS_PER_MS = 1_000_000
CLUSTER_TIME_LIMIT_MS = 500
CLUSTER_SIZE_LIMIT_BYTES = 1 << 20
MAX_INTERLEAVE_DELTA_US = 500_000
SYNC_INTERVAL_S = 1.0
DEFAULT_MAX_QUEUE_PACKETS = 600  # ≈ 5 s of 30 fps video + 50 Opus packets/s
OPUS_PACKET_MS = 20
AUDIO_PREROLL_PACKETS = 50  # 1 s of 20 ms packets kept until the first keyframe arrives
_WAIT_S = 0.25


class RecordingError(StudioError):
    """A recording could not be converted (``str(err)`` is the sentence for the user)."""


class _FileDeleted(OSError):
    """The recording's file was removed while it was being written."""


@dataclass(slots=True)
class _Item:
    kind: str  # "video" | "audio"
    data: bytes
    capture_ns: int
    is_keyframe: bool
    width: int = 0
    height: int = 0
    codec: str = "h264"
    extradata: bytes | None = None


def _failure_message(exc: BaseException, path: Path) -> str:
    """The sentence for the user: what went wrong with the file, without a stack trace."""
    if isinstance(exc, _FileDeleted):
        return _("Recording stopped: {path} was deleted while recording.").format(path=path)
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or code == errno.EDQUOT:
        return _("Recording stopped: the disk is full ({path}).").format(path=path)
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _("Recording stopped: no permission to write {path} (read-only or protected).").format(path=path)
    if code in (errno.ENOENT, errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return _("Recording stopped: {path} cannot be created there (its folder is missing or is not a folder).").format(path=path)
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return _("Recording stopped: writing {path} failed ({error}).").format(path=path, error=detail)


class Recorder:
    """Records one layer of a ladder plus Opus audio into Matroska.

    ``start()`` opens the file and the writer thread (never raises for a file problem: the
    state becomes ``failed`` with :attr:`failure` in words); feed ``on_video_packet`` /
    ``on_audio_packet`` from any thread; ``stop()`` flushes, closes and joins.  ``on_state``
    emits ``state=``, ``message=`` (None unless failed), ``path=`` on every change.
    ``has_audio`` says whether to add an Opus track (the track must exist before the first packet).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        video_rid: str | None = "h",
        container: str = "matroska",
        has_audio: bool = True,
        on_state: Signal | None = None,
        max_queue_packets: int = DEFAULT_MAX_QUEUE_PACKETS,
        sync_interval_s: float = SYNC_INTERVAL_S,
        thread_name: str = "bridgecast-recorder",
    ) -> None:
        if container not in ("matroska", "mkv"):
            raise ValueError(f"only Matroska recording is crash-safe here, got {container!r}")
        if max_queue_packets < 2:
            raise ValueError("max_queue_packets must be at least 2")
        self.path = Path(path)
        self.video_rid = video_rid
        self.container_format = "matroska"
        self.has_audio = has_audio
        self.on_state = on_state if on_state is not None else Signal()
        self.max_queue_packets = int(max_queue_packets)
        self.sync_interval_s = float(sync_interval_s)
        self.thread_name = thread_name
        self._state = IDLE
        self._failure: str | None = None
        self._cond = threading.Condition()
        self._queue: collections.deque[_Item] = collections.deque()
        self._thread: threading.Thread | None = None
        self._is_stopping = False
        self._file: Any = None
        self._gate: FirstClusterGate | None = None
        # callback-side state (under _cond)
        self._has_keyframe = False
        self._is_skipping_to_keyframe = False
        self._origin_ns: int | None = None
        # Opus that arrived before the first keyframe (audio is encoded faster than video).
        self._audio_preroll: collections.deque[_Item] = collections.deque(maxlen=AUDIO_PREROLL_PACKETS)
        # counters
        self.video_packets = 0
        self.audio_packets = 0
        self.dropped_video = 0
        self.dropped_audio = 0
        self.skipped_before_keyframe = 0
        self.skipped_audio_before_video = 0
        self.bytes_written = 0
        self.syncs = 0
        self._last_ms: dict[str, int] = {}

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> str:
        return self._state

    @property
    def failure(self) -> str | None:
        """Why the recording stopped early, in words (None unless ``state == "failed"``)."""
        return self._failure

    @property
    def is_recording(self) -> bool:
        return self._state == RECORDING

    def _set_state(self, state: str, message: str | None = None) -> None:
        with self._cond:
            if self._state == state or self._state == FAILED:
                return
            self._state = state
            if state == FAILED:
                self._failure = message
                self._queue.clear()
                self._cond.notify_all()
        if state == FAILED:
            log.warning("recording %s failed: %s", self.path, message)
        self.on_state.emit(state=state, message=message, path=str(self.path))

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Create the file and start the writer thread.  A file problem → state ``failed``."""
        if self._state != IDLE:
            raise RuntimeError("a Recorder starts once")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "wb", buffering=0)
        except OSError as exc:
            self._set_state(FAILED, _failure_message(exc, self.path))
            return
        self._set_state(RECORDING)
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Write what is queued, close the file (cues, durations) and join the thread.  Idempotent."""
        with self._cond:
            self._is_stopping = True
            self._cond.notify_all()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
            if thread.is_alive():
                log.error("recorder thread did not stop within %.1f s", timeout_s)
        self._close_file()
        if self._state == RECORDING:
            self._set_state(STOPPED)

    def __enter__(self) -> "Recorder":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ input (encoder threads)

    def on_video_packet(self, packet: EncodedPacket) -> None:
        """Take one encoded frame; only ``video_rid``'s (None: any).  Never blocks or raises."""
        try:
            if self.video_rid is not None and packet.rid != self.video_rid:
                return
            capture_ns = packet.capture_ns
            if capture_ns is None:  # the ladder always stamps it; fall back to the 90 kHz pts
                capture_ns = int(packet.pts * packet.time_base * 1_000_000_000)
            with self._cond:
                if self._state != RECORDING or self._is_stopping:
                    return
                if not self._has_keyframe:
                    if not packet.is_keyframe:
                        self.skipped_before_keyframe += 1
                        return
                    self._has_keyframe = True
                    self._origin_ns = capture_ns
                if self._is_skipping_to_keyframe:
                    if not packet.is_keyframe or len(self._queue) >= self.max_queue_packets:
                        self.dropped_video += 1
                        return
                    self._is_skipping_to_keyframe = False
                elif len(self._queue) >= self.max_queue_packets:
                    # Later frames reference this one: drop until the next keyframe.
                    self.dropped_video += 1
                    self._is_skipping_to_keyframe = True
                    return
                self._queue.append(
                    _Item("video", bytes(packet.data), capture_ns, packet.is_keyframe, packet.width, packet.height, packet.codec, packet.extradata)
                )
                if self._audio_preroll:
                    origin_ns = self._origin_ns
                    self._queue.extend(item for item in self._audio_preroll if item.capture_ns >= origin_ns)
                    self.skipped_audio_before_video += sum(1 for item in self._audio_preroll if item.capture_ns < origin_ns)
                    self._audio_preroll.clear()
                self._cond.notify()
        except Exception:  # never into the encoder thread
            log.exception("recorder: video hand-off failed")

    def on_audio_packet(self, item: Any, capture_ns: int | None = None) -> None:
        """Take one Opus packet: a ``PacketItem`` (``MixerOpusSource``'s) or an ``av.Packet``
        with ``capture_ns``.  Audio before the first recorded keyframe is skipped."""
        try:
            if not self.has_audio:
                return
            packet = getattr(item, "packet", item)
            if capture_ns is None:
                capture_ns = getattr(item, "capture_ns", None)
            if capture_ns is None:
                return
            with self._cond:
                if self._state != RECORDING or self._is_stopping:
                    return
                if self._origin_ns is None:
                    if len(self._audio_preroll) == self._audio_preroll.maxlen:
                        self.skipped_audio_before_video += 1
                    self._audio_preroll.append(_Item("audio", bytes(packet), int(capture_ns), True))
                    return
                if capture_ns < self._origin_ns:
                    self.skipped_audio_before_video += 1
                    return
                if len(self._queue) >= self.max_queue_packets:
                    self.dropped_audio += 1
                    return
                self._queue.append(_Item("audio", bytes(packet), int(capture_ns), True))
                self._cond.notify()
        except Exception:
            log.exception("recorder: audio hand-off failed")

    feed = on_video_packet

    # ------------------------------------------------------------------ writer thread

    def _run(self) -> None:
        container: Any = None
        streams: dict[str, Any] = {}
        last_sync = time.monotonic()
        try:
            while True:
                with self._cond:
                    if not self._queue and not self._is_stopping and self._state == RECORDING:
                        self._cond.wait(_WAIT_S)
                    batch = list(self._queue)
                    self._queue.clear()
                    is_stopping = self._is_stopping
                if self._state != RECORDING:
                    break
                for item in batch:
                    if container is None:
                        container, streams = self._open_container(item)
                    self._mux(container, streams, item)
                now = time.monotonic()
                if now - last_sync >= self.sync_interval_s:
                    last_sync = now
                    self._sync()
                if is_stopping and not batch:
                    break
            if container is not None and self._state == RECORDING:
                container.close()
                container = None
                self._release_gate()
                self._sync()
        except Exception as exc:  # disk full, file gone, muxer refusal: the stream goes on
            log.debug("recorder write failed", exc_info=True)
            self._set_state(FAILED, _failure_message(exc, self.path))
        finally:
            if container is not None:
                try:
                    container.close()
                    self._release_gate()
                except Exception:  # the file is already broken; the failure is reported
                    log.debug("closing a failed recording", exc_info=True)
            log.debug("recorder thread ended")

    def _open_container(self, first: _Item) -> tuple[Any, dict[str, Any]]:
        options = {
            "cluster_time_limit": str(CLUSTER_TIME_LIMIT_MS),
            "cluster_size_limit": str(CLUSTER_SIZE_LIMIT_BYTES),
            "flush_packets": "1",
            "max_interleave_delta": str(MAX_INTERLEAVE_DELTA_US),
        }
        self._gate = FirstClusterGate(self._file)
        container = av.open(self._gate, mode="w", format=self.container_format, options=options)
        # When recording time 0 happened on the wall clock (see the module doc), to the millisecond.
        origin_ms = media_to_wall_ms(self._origin_ns if self._origin_ns is not None else first.capture_ns)
        container.metadata["creation_time"] = datetime.fromtimestamp(origin_ms / 1000, timezone.utc).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
        try:
            video = container.add_mux_stream(first.codec, width=first.width, height=first.height)
            video.time_base = TIME_BASE
            streams = {"video": video}
            if self.has_audio:
                # An Opus encoder context only to describe the track (OpusHead); packets are muxed as they are.
                audio = container.add_stream("libopus", rate=48_000)
                audio.codec_context.layout = "stereo"
                audio.time_base = TIME_BASE
                streams["audio"] = audio
        except Exception:
            container.close()
            raise
        return container, streams

    def _mux(self, container: Any, streams: dict[str, Any], item: _Item) -> None:
        stream = streams.get(item.kind)
        if stream is None:
            return
        assert self._origin_ns is not None
        pts_ms = max(0, (item.capture_ns - self._origin_ns) // NS_PER_MS)
        last = self._last_ms.get(item.kind)
        if last is not None and pts_ms <= last:
            pts_ms = last + 1  # the muxer needs strictly increasing timestamps per track
        self._last_ms[item.kind] = pts_ms
        packet = av.Packet(item.data)
        packet.stream = stream
        packet.time_base = TIME_BASE
        packet.pts = packet.dts = pts_ms
        packet.is_keyframe = item.is_keyframe
        if item.kind == "audio":
            packet.duration = OPUS_PACKET_MS
        container.mux(packet)
        if item.kind == "video":
            self.video_packets += 1
        else:
            self.audio_packets += 1

    def _release_gate(self) -> None:
        """A recording shorter than one cluster is written at the end, when the muxer closes it."""
        if self._gate is not None:
            self._gate.release()

    def _sync(self) -> None:
        """fsync (power loss) and notice a file deleted under us (writes would still succeed)."""
        handle = self._file
        if handle is None:
            return
        fd = handle.fileno()
        os.fsync(fd)
        info = os.fstat(fd)
        self.bytes_written = info.st_size
        self.syncs += 1
        if info.st_nlink == 0:
            raise _FileDeleted(errno.ENOENT, "deleted", str(self.path))

    def _close_file(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        try:
            self.bytes_written = os.fstat(handle.fileno()).st_size
            handle.close()
        except OSError as exc:
            self._set_state(FAILED, _failure_message(exc, self.path))

    # ------------------------------------------------------------------ stats

    def stats(self) -> dict[str, Any]:
        """A snapshot: state, failure, bytes, recorded duration (content time), packets, drops."""
        last = max(list(self._last_ms.values()), default=None)
        handle = self._file
        bytes_written = self.bytes_written
        if handle is not None:
            try:
                bytes_written = os.fstat(handle.fileno()).st_size
            except (OSError, ValueError):
                pass
        with self._cond:
            queued = len(self._queue)
        return {
            "state": self._state,
            "failure": self._failure,
            "path": str(self.path),
            "bytes_written": bytes_written,
            "duration_s": round(last / 1000.0, 3) if last is not None else 0.0,
            "video_packets": self.video_packets,
            "audio_packets": self.audio_packets,
            "dropped_packets": self.dropped_video + self.dropped_audio,
            "dropped_video": self.dropped_video,
            "dropped_audio": self.dropped_audio,
            "skipped_before_keyframe": self.skipped_before_keyframe,
            "queued": queued,
        }


def remux_to_mp4(mkv_path: str | os.PathLike[str], mp4_path: str | os.PathLike[str]) -> Path:
    """Copy a recording's packets into MP4 (no re-encoding; ``+faststart`` for web players)."""
    source, target = Path(mkv_path), Path(mp4_path)
    try:
        with av.open(str(source)) as reader:
            with av.open(str(target), mode="w", format="mp4", options={"movflags": "+faststart"}) as writer:
                if "creation_time" in reader.metadata:  # when time 0 happened (MP4 keeps it to the second)
                    writer.metadata["creation_time"] = reader.metadata["creation_time"]
                mapping = {}
                for stream in reader.streams:
                    if stream.type in ("video", "audio"):
                        mapping[stream.index] = writer.add_stream_from_template(stream)
                last_dts: dict[int, int] = {}
                for packet in reader.demux(*[reader.streams[index] for index in mapping]):
                    if packet.dts is None:
                        continue  # the demuxer's end-of-stream marker
                    index = packet.stream.index
                    if index in last_dts and packet.dts <= last_dts[index]:
                        continue
                    last_dts[index] = packet.dts
                    packet.stream = mapping[index]
                    writer.mux(packet)
    except (OSError, av.FFmpegError, ValueError) as exc:
        detail = getattr(exc, "strerror", None) or str(exc)
        raise RecordingError(_("Could not convert {path} to MP4 ({error})").format(path=source, error=detail)) from exc
    return target
