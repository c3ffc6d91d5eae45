"""Media file source: decode a video file with PyAV and play it in real time on the media clock."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import av
import av.error
import numpy as np

from studio.audio.media_audio import MediaAudioFeed, MediaAudioTrack
from studio.core.clock import NS_PER_S, now_ns
from studio.core.i18n import _
from studio.sources import register
from studio.sources.base import SourceState, VideoSource

log = logging.getLogger(__name__)

# Later than this behind the timeline (a stall, a slow disk, a decoder slower than real
# time) and the timeline is moved instead of rushing through frames to catch up.
RESYNC_LATENESS_S = 0.25
# Per-packet decode errors tolerated before a file that never produced a picture is
# declared unplayable.
MAX_DECODE_ERRORS_BEFORE_PICTURE = 32
DEFAULT_FPS = 30.0
_FINISHED_POLL_S = 0.2

# FFmpeg's AVCOL_SPC_* → the matrices swscale knows (others fall back to its BT.601 default).
_COLORSPACE_FOR_MATRIX = {1: 1, 4: 4, 5: 5, 6: 5, 7: 7, 9: 9, 10: 9}
_AVCOL_SPC_UNSPECIFIED = 2
_AV_TIME_BASE = 1_000_000


_RESTART = object()  # _play_pass: woke up with "restart when shown"


class _Unplayable(Exception):
    """The file can never play (not a video, no video track, undecodable)."""


def _colorspace_for(frame: av.VideoFrame) -> int | None:
    matrix = int(frame.colorspace)
    if matrix == _AVCOL_SPC_UNSPECIFIED:
        # FFmpeg's own convention for untagged video: HD is BT.709, SD is BT.601.
        return 1 if frame.height >= 720 else None
    return _COLORSPACE_FOR_MATRIX.get(matrix)


def frame_to_bgr(frame: av.VideoFrame) -> np.ndarray:
    """A decoded frame as a C-contiguous H×W×3 uint8 BGR array (correct YUV matrix)."""
    colorspace = _colorspace_for(frame)
    if colorspace is None:
        image = frame.to_ndarray(format="bgr24")
    else:
        image = frame.to_ndarray(format="bgr24", src_colorspace=colorspace)
    return np.ascontiguousarray(image)


@register
class MediaFileSource(VideoSource):
    """A video file played in real time, looping by default.

    Settings: ``path`` (str, a file or URL FFmpeg can open), ``loop`` (bool, default true),
    ``restart_on_show`` (bool, default false: play from the start each time it goes on air).
    Frames are due at their presentation time on the media clock and published with that
    time as ``capture_ns``; a loop continues the timeline without a gap or a jump.  The
    file's first audio track is decoded alongside on the same timeline into
    :attr:`audio_feed` (48 kHz stereo), which the mixer's ``MediaAudioInput`` plays; asleep,
    the feed is silent and empty.
    Missing file → NO_SIGNAL and retried; not a video / no video track / undecodable →
    FAILED.  Without ``loop`` the source shows NO_SIGNAL ("ended") after the last frame
    until ``replay()`` or a restart.
    """

    kind = "media_file"

    def __init__(self, source_id: str, name: str, settings: dict | None = None) -> None:
        super().__init__(source_id, name, settings)
        self.duration_s: float | None = None  # whole file, when the container says
        self.frame_size: tuple[int, int] | None = None  # (width, height) of the video track
        self.frame_rate: float | None = None  # nominal frames per second of the video track
        self.loops_completed = 0
        self.decode_errors = 0
        self.resyncs = 0  # times the timeline was moved because playback fell behind
        self.frames_decoded = 0
        self.is_finished = False  # played to the end without loop
        self._position_s = 0.0
        self._replay_requested = threading.Event()
        self._restart_requested = threading.Event()  # shown(): from the top at the next packet
        self.audio_feed = MediaAudioFeed()
        self.audio_track: MediaAudioTrack | None = None

    @property
    def has_audio(self) -> bool | None:
        """Whether the file has a sound track (``None`` until it was opened)."""
        return self.audio_feed.has_audio

    def set_awake(self, is_awake: bool) -> None:
        # The sound falls silent with the picture, at once (not at the next packet).
        self.audio_feed.set_playing(is_awake)
        super().set_awake(is_awake)

    @property
    def position_s(self) -> float:
        """Time of the newest published frame from the start of the file (this loop)."""
        return self._position_s

    def natural_size(self) -> tuple[int, int] | None:
        return super().natural_size() or self.frame_size

    def replay(self) -> None:
        """Play again from the start after a non-looping file ended."""
        self._replay_requested.set()

    def shown(self) -> None:
        """It went on the program while it was already playing (studio mode's preview, then
        Take): with ``restart_on_show`` it plays from the start, as waking from sleep does."""
        if not self.settings.get("restart_on_show", False):
            return
        if self.is_finished:  # a file that ended in the preview plays again
            self._replay_requested.set()
        else:
            self._restart_requested.set()

    # -- capture thread -------------------------------------------------------------------
    def _capture(self, stop: threading.Event) -> None:
        raw_path = str(self.settings.get("path") or "").strip()
        if not raw_path:
            self._set_state(SourceState.FAILED, _("No video file chosen."))
            return
        is_url = "://" in raw_path
        path = raw_path if is_url else str(Path(raw_path).expanduser())
        is_looping = bool(self.settings.get("loop", True))
        restarts_on_show = bool(self.settings.get("restart_on_show", False))
        self._replay_requested.clear()
        self._restart_requested.clear()
        self.is_finished = False
        self.audio_feed.clear()  # a restart (new settings, a replay) starts a new timeline

        container = self._open(path)
        if container is None:
            return
        try:
            stream = self._video_stream(container, path)
            self._audio_stream(container)
            pass_origin_ns: int | None = None  # media-clock time of this pass's first frame
            has_picture = False
            while not stop.is_set():
                result = self._play_pass(container, stream, pass_origin_ns, stop, has_picture, path, restarts_on_show)
                if result is None:  # stopped
                    return
                if result is _RESTART:  # woken with "restart when shown": from the top, on a new timeline
                    pass_origin_ns = None
                    rewound = self._rewind_or_reopen(container, stream, path)
                    if rewound is None:
                        return
                    container, stream = rewound
                    continue
                pass_origin_ns, pass_length_ns, frame_count = result
                if frame_count == 0:
                    if not has_picture:
                        raise _Unplayable(_("“{path}” contains no picture that can be decoded.").format(path=path))
                    return  # a pass with nothing in it: reopen through the base's retry
                has_picture = True
                if not is_looping:
                    container.close()  # don't hold the file (Windows would lock it) while ended
                    self._finish(stop)
                    return
                self.loops_completed += 1
                # Next pass starts exactly one frame after the last one of this pass.
                pass_origin_ns += pass_length_ns
                rewound = self._rewind_or_reopen(container, stream, path)
                if rewound is None:
                    return
                container, stream = rewound
        except _Unplayable as exc:
            self._set_state(SourceState.FAILED, str(exc))
        finally:
            container.close()  # closing twice is harmless

    def _rewind_or_reopen(self, container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                          path: str) -> tuple[av.container.InputContainer, av.video.stream.VideoStream] | None:
        """Back to the file's start: a seek, or (a container that cannot seek) the file opened again;
        None when it cannot be opened again (the state says why)."""
        if self._rewind(container):
            return container, stream
        container.close()
        reopened = self._open(path)
        if reopened is None:
            return None
        stream = self._video_stream(reopened, path)
        self._audio_stream(reopened)
        return reopened, stream

    def _open(self, path: str) -> av.container.InputContainer | None:
        """Open the container, or set the state saying why not and return None."""
        try:
            return av.open(path, mode="r", metadata_errors="ignore")
        except FileNotFoundError:
            self._set_state(SourceState.NO_SIGNAL, _("Video file not found: {path}").format(path=path))
        except IsADirectoryError:
            self._set_state(SourceState.FAILED, _("“{path}” is a folder, not a video file.").format(path=path))
        except PermissionError:
            self._set_state(SourceState.NO_SIGNAL, _("No permission to read the video file {path}.").format(path=path))
        except av.error.InvalidDataError:
            self._set_state(
                SourceState.FAILED,
                _("“{path}” is not a video file Bridgecast can read (unknown format or damaged file).").format(path=path),
            )
        except (av.error.DemuxerNotFoundError, av.error.ProtocolNotFoundError):
            self._set_state(SourceState.FAILED, _("The format of “{path}” is not supported.").format(path=path))
        except OSError as exc:
            # Network and I/O trouble (URLs, removable drives) can pass: retry.
            self._set_state(
                SourceState.NO_SIGNAL,
                _("Cannot open the video {path} ({detail}).").format(path=path, detail=exc.strerror or exc),
            )
        except av.FFmpegError as exc:
            self._set_state(
                SourceState.FAILED,
                _("Cannot play “{path}” ({detail}).").format(path=path, detail=exc.strerror or exc),
            )
        return None

    def _video_stream(self, container: av.container.InputContainer, path: str) -> av.video.stream.VideoStream:
        if not container.streams.video:
            raise _Unplayable(_("“{path}” has no video track.").format(path=path))
        stream = container.streams.video[0]
        if getattr(stream, "codec_context", None) is None:
            raise _Unplayable(
                _("The video in “{path}” uses a codec Bridgecast cannot decode.").format(path=path)
            )
        stream.thread_type = "AUTO"
        if container.duration is not None:
            self.duration_s = container.duration / _AV_TIME_BASE
        elif stream.duration is not None and stream.time_base is not None:
            self.duration_s = float(stream.duration * stream.time_base)
        rate = stream.average_rate or stream.guessed_rate
        self.frame_rate = float(rate) if rate else None
        width, height = stream.codec_context.width, stream.codec_context.height
        self.frame_size = (width, height) if width and height else None
        return stream

    def _audio_stream(self, container: av.container.InputContainer) -> None:
        """The first decodable audio track (or none: the file plays silent, as before)."""
        track = None
        for audio in container.streams.audio:
            if getattr(audio, "codec_context", None) is not None:
                audio.thread_type = "AUTO"
                track = MediaAudioTrack(audio, self.audio_feed)
                break
        self.audio_track = track
        self.audio_feed.has_audio = track is not None

    def _play_pass(
        self,
        container: av.container.InputContainer,
        stream: av.video.stream.VideoStream,
        origin_ns: int | None,
        stop: threading.Event,
        has_picture: bool,
        path: str,
        restarts_on_show: bool = False,
    ) -> tuple[int, int, int] | object | None:
        """Play the file once from where it stands.

        Returns ``(origin_ns, length_ns, frame_count)``: the media-clock time the pass's
        first frame was due (moved by resyncs), the pass's length up to the end of its last
        frame, and how many frames it showed.  ``None`` when stopped; ``_RESTART`` when it
        woke from sleep and should play from the start (``restarts_on_show``).
        """
        nominal_interval_s = 1.0 / (self.frame_rate or DEFAULT_FPS)
        first_time_s: float | None = None
        last_rel_s = 0.0
        last_duration_s = nominal_interval_s
        frame_count = 0
        errors_without_picture = 0
        audio = self.audio_track
        if audio is not None:
            audio.new_pass()
        streams = [stream] if audio is None else [stream, audio.stream]
        for packet in container.demux(*streams):
            # Asleep (in no scene on air), nothing is decoded; the file stays open so waking
            # is instant, and the timeline moves on by the time slept instead of rushing.
            slept_ns = self._wait_while_asleep(stop)
            if stop.is_set():
                return None
            if restarts_on_show and (slept_ns or self._restart_requested.is_set()):
                self._restart_requested.clear()
                return _RESTART
            if slept_ns and origin_ns is not None:
                origin_ns += slept_ns
            if audio is not None and packet.stream is audio.stream:
                # Sound decoded as it is demuxed: interleaved with the pictures, it is ready
                # before it is due (the mixer takes it at its own time).
                reference_s = (first_time_s or 0.0) if frame_count else None
                audio.handle(packet, origin_ns if frame_count else None, reference_s)
                continue
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                self.decode_errors += 1
                if not has_picture and frame_count == 0:
                    errors_without_picture += 1
                    if errors_without_picture > MAX_DECODE_ERRORS_BEFORE_PICTURE:
                        raise _Unplayable(
                            _("The video in “{path}” cannot be decoded ({detail}).").format(
                                path=path, detail=getattr(exc, "strerror", None) or exc
                            )
                        ) from None
                continue
            self.frames_decoded += len(frames)
            for frame in frames:
                if stop.is_set():
                    return None
                time_s = frame.time
                if time_s is None:
                    rel_s = last_rel_s + (last_duration_s if frame_count else 0.0)
                else:
                    if first_time_s is None:
                        first_time_s = time_s
                    rel_s = time_s - first_time_s
                    if frame_count and rel_s <= last_rel_s:
                        # Broken or repeated timestamps: never step back in time.
                        rel_s = last_rel_s + nominal_interval_s
                if frame.duration and frame.time_base is not None:
                    last_duration_s = float(frame.duration * frame.time_base)
                elif frame_count:
                    last_duration_s = max(rel_s - last_rel_s, 1e-3)
                if origin_ns is None:
                    # Sound that starts before the first picture (MPEG-TS, some MP4s) is due
                    # before it: the timeline starts that much later, so none of it is late.
                    lead_s = audio.lead_s(first_time_s or 0.0) if audio is not None else 0.0
                    origin_ns = now_ns() + int(lead_s * NS_PER_S)
                due_ns = origin_ns + int(rel_s * NS_PER_S)
                lateness_ns = now_ns() - due_ns
                if lateness_ns > RESYNC_LATENESS_S * NS_PER_S:
                    origin_ns += lateness_ns
                    due_ns += lateness_ns
                    self.resyncs += 1
                if frame_count == 0 and audio is not None:
                    # The pass's timeline is fixed: the sound that waited for it goes out now,
                    # before this frame's wait, so it is there when the mixer wants it.
                    audio.handle_pending(origin_ns, first_time_s or 0.0)
                image = frame_to_bgr(frame)  # convert first so the frame is out on time
                wait_ns = due_ns - now_ns()
                if wait_ns > 0 and stop.wait(wait_ns / NS_PER_S):
                    return None
                self._position_s = rel_s + (first_time_s or 0.0)
                self._publish(image, due_ns)
                last_rel_s = rel_s
                frame_count += 1
        if origin_ns is None:
            origin_ns = now_ns()
        length_ns = int((last_rel_s + last_duration_s) * NS_PER_S)
        return origin_ns, length_ns, frame_count

    def _rewind(self, container: av.container.InputContainer) -> bool:
        """Back to the start for the next pass; ``False``: reopen the file instead."""
        try:
            track = self.audio_track
            if track is None:
                container.seek(0)  # also flushes the decoder
            elif "mov" in container.format.name.split(","):
                # Just before the sound's first sample: MP4/MOV then hand an AAC decoder its
                # priming packet again and the loop's first 10 ms are not silent (448 samples).
                container.seek((track.stream.start_time or 0) - 1, stream=track.stream)
            else:
                # Other containers (Matroska, MPEG-TS …) do not replay the priming after a seek;
                # a fresh open starts the sound exactly as the first pass did.
                return False
            return True
        except (av.FFmpegError, OSError, ValueError):
            log.debug("seek to start failed; reopening", exc_info=True)
            return False

    def _finish(self, stop: threading.Event) -> None:
        """Hold the ended state until stopped or ``replay()`` is called."""
        self.is_finished = True
        self._set_state(SourceState.NO_SIGNAL, _("The video has ended."))
        while not stop.wait(_FINISHED_POLL_S):
            if self._replay_requested.is_set():
                # Returning lets the base restart the capture, which plays from the start.
                return
