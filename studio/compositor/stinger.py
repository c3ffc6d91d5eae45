"""Stinger transitions: a short video with alpha played over the program, with a cut point.

OBS's stinger: the video starts over the old scene; at the cut point (ms) the program under it
switches to the new scene; the transition lasts as long as the video.  A :class:`Stinger` decodes
its file on its own worker thread into a small bounded buffer of pictures already scaled to the
canvas and premultiplied, so the compositor thread only takes the newest due picture and blends
it (never waits: a picture not decoded in time is skipped, the last one stays up).

What decodes with alpha here (PyAV's FFmpeg): QuickTime ``.mov`` with QuickTime Animation
(qtrle), PNG or ProRes 4444; WebM with VP9 alpha (read with the libvpx decoder, which carries the
alpha plane; FFmpeg's own VP9 decoder drops it); animated PNG; FFV1 with alpha.  A file without
transparency, or one that does not open, is refused in words and the take falls back to a fade.

A file with an audio track brings its sound: decoded once, whole (at most ten seconds, 3.8 MB), to
48 kHz stereo with sample 0 at the first picture, and played by the mixer's stinger strip
(:mod:`studio.audio.stinger_sound`) on the timeline of each playback (:attr:`Stinger.playback`).
"""
from __future__ import annotations

import logging
import os
import threading
from collections import deque
from dataclasses import dataclass
from typing import Iterator

import av
import cv2
import numpy as np

from studio.core.clock import now_ns
from studio.core.errors import StudioError
from studio.core.events import Signal
from studio.core.i18n import _

log = logging.getLogger(__name__)

MAX_STINGER_MS = 10_000  # longer is not a transition; it also bounds what one take can cost
BUFFER_BYTES = 64 * 1024 * 1024  # decoded pictures waiting (5 at 1080p, 2 × 3 bytes per pixel each)
MIN_BUFFER_FRAMES, MAX_BUFFER_FRAMES = 2, 8
SOUND_RATE, SOUND_CHANNELS = 48_000, 2  # the mixer's
# FFmpeg's own VP8/VP9 decoders drop WebM's alpha channel (it travels as block side data);
# libvpx's read it.
_ALPHA_DECODERS = {"vp9": "libvpx-vp9", "vp8": "libvpx"}


class StingerError(StudioError):
    """A stinger file cannot be used (the message says why, in words)."""


@dataclass(frozen=True, slots=True)
class StingerPicture:
    """One stinger frame at canvas size: ``premultiplied`` = colour × alpha, ``inverse`` = 255 − alpha (3 planes)."""

    time_ms: float
    premultiplied: np.ndarray
    inverse: np.ndarray

    def blend_over(self, under: np.ndarray) -> np.ndarray:
        """A new picture: this frame over ``under`` (which is not written)."""
        return cv2.add(cv2.multiply(under, self.inverse, scale=1.0 / 255.0), self.premultiplied)


def buffer_frames(width: int, height: int) -> int:
    per_frame = max(1, width * height * 6)
    return max(MIN_BUFFER_FRAMES, min(MAX_BUFFER_FRAMES, BUFFER_BYTES // per_frame))


def _decoder(stream: av.video.stream.VideoStream) -> av.CodecContext | None:
    """libvpx's decoder for WebM VP8/VP9 (keeps alpha); None: the stream's own decoder."""
    name = _ALPHA_DECODERS.get(stream.codec_context.name)
    if name is None:
        return None
    try:
        context = av.CodecContext.create(name, "r")
    except (av.FFmpegError, ValueError):
        return None
    if stream.codec_context.extradata:
        context.extradata = stream.codec_context.extradata
    return context


def _duration_ms(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base * 1000)
    if container.duration is not None:
        return container.duration / 1000.0
    end = 0.0  # animated PNG and some others say nothing: read the packets' times (no decoding)
    for packet in container.demux(stream):
        if packet.pts is not None and packet.time_base is not None:
            end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base * 1000))
    container.seek(0)
    return end


def _frames(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Iterator[av.VideoFrame]:
    decoder = _decoder(stream)
    for packet in container.demux(stream):
        if decoder is None:
            yield from packet.decode()
        else:
            yield from decoder.decode(packet if packet.size else None)


def open_stinger(path: str) -> tuple[av.container.InputContainer, av.video.stream.VideoStream, float]:
    """Open ``path``; raises :class:`StingerError` in words.  Returns (container, stream, duration_ms)."""
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise StingerError(_("The stinger file “{name}” is not there any more.").format(name=name))
    try:
        container = av.open(path)
    except (av.FFmpegError, OSError, ValueError) as exc:
        log.info("stinger %s does not open: %s", name, exc)
        raise StingerError(_("“{name}” is not a video Bridgecast can read.").format(name=name)) from None
    if not container.streams.video:
        container.close()
        raise StingerError(_("“{name}” has no picture.").format(name=name))
    stream = container.streams.video[0]
    try:
        duration_ms = _duration_ms(container, stream)
    except av.FFmpegError as exc:  # a damaged file: its packets cannot even be read
        container.close()
        log.info("stinger %s cannot be read: %s", name, exc)
        raise StingerError(_("“{name}” could not be played.").format(name=name)) from None
    if duration_ms > MAX_STINGER_MS + 1:
        container.close()
        raise StingerError(
            _("“{name}” is {seconds:.1f} s long; a stinger can be at most {limit} s.").format(name=name, seconds=duration_ms / 1000, limit=MAX_STINGER_MS // 1000)
        )
    return container, stream, duration_ms


def _has_alpha(frame: av.VideoFrame) -> bool:
    return frame.format.name.startswith(("yuva", "gbra", "rgba", "bgra", "argb", "abgr", "ya", "pal8"))


def probe_stinger(path: str) -> float:
    """The length (ms) of a usable stinger file (call off the GUI thread: it reads the file).

    Raises :class:`StingerError` in words: missing, unreadable, too long, or without alpha."""
    container, stream, duration_ms = open_stinger(path)
    try:
        for frame in _frames(container, stream):
            if not _has_alpha(frame):
                raise StingerError(_no_alpha_message(os.path.basename(path)))
            return duration_ms
    except av.FFmpegError:
        raise StingerError(_("“{name}” could not be played.").format(name=os.path.basename(path))) from None
    finally:
        container.close()
    raise StingerError(_("“{name}” has no picture.").format(name=os.path.basename(path)))


def _no_alpha_message(name: str) -> str:
    return _(
        "“{name}” has no transparency. Use a video with alpha: QuickTime (.mov) with Animation, PNG or "
        "ProRes 4444, WebM with VP9 alpha, or an animated PNG."
    ).format(name=name)


def decode_sound(path: str, sample_rate: int = SOUND_RATE) -> np.ndarray | None:
    """The file's sound as ``(n, 2)`` float32 at ``sample_rate``, sample 0 at its first picture;
    ``None`` when it has no audio track.  Raises ``av.FFmpegError``/``OSError`` for a damaged file."""
    with av.open(path) as container:
        if not container.streams.audio or not container.streams.video:
            return None
        audio, video = container.streams.audio[0], container.streams.video[0]
        picture_s = float(video.start_time * video.time_base) if video.start_time is not None and video.time_base else 0.0
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=sample_rate)
        limit = int((MAX_STINGER_MS / 1000 + 1) * sample_rate)
        parts: list[np.ndarray] = []
        sound_s: float | None = None
        held = 0
        for packet in container.demux(audio):
            for frame in packet.decode():
                if sound_s is None and frame.time is not None:
                    sound_s = float(frame.time)
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1, SOUND_CHANNELS))
                    held += parts[-1].shape[0]
            if held > limit:
                break
        for out in resampler.resample(None):
            parts.append(out.to_ndarray().reshape(-1, SOUND_CHANNELS))
    if not parts:
        return None
    samples = np.concatenate(parts)
    # Sound that starts after the first picture waits for its time; sound before it is not heard
    # (the playback starts with the first picture).
    lead = int(round(((sound_s if sound_s is not None else picture_s) - picture_s) * sample_rate))
    if lead > 0:
        samples = np.concatenate([np.zeros((lead, SOUND_CHANNELS), np.float32), samples])
    elif lead < 0:
        samples = samples[-lead:]
    return np.ascontiguousarray(samples, dtype=np.float32)


class Stinger:
    """One stinger file, decoded ahead on its own thread for the next take.

    ``changed`` is emitted (on the worker thread) when it becomes ready or fails; ``problem`` then
    says in words why it cannot be used.  ``start()`` begins a playback, ``picture_at()`` gives the
    picture due at a time into it (never waits), ``finish()`` rewinds for the next take.  ``sound``
    (known once ready) is the file's sound, ``playback`` when the current or last playback began
    and ended on the media clock.
    """

    def __init__(self, path: str, cut_point_ms: int, width: int, height: int) -> None:
        self.path = path
        self.cut_point_ms = max(0, int(cut_point_ms))
        self.width, self.height = int(width), int(height)
        self.duration_ms: float | None = None
        self.problem: str | None = None
        self.late_pictures = 0  # pictures never shown: the program ticked past them (a slow tick or a lower rate)
        self.changed = Signal()  # emit(stinger=self)
        self._capacity = buffer_frames(self.width, self.height)
        self._buffer: deque[StingerPicture] = deque()
        self._cond = threading.Condition()
        self._generation = 0  # bumped by finish(): pictures of an older playback are thrown away
        self._shown: StingerPicture | None = None
        self._is_playing = False
        self._is_closed = False
        self.sound: np.ndarray | None = None  # (n, 2) float32 at 48 kHz from the first picture; None: silent
        # (began_ns, ended_ns or None while playing) of the current or last playback; None: never played.
        # One tuple, replaced whole: the mixer thread reads it without the lock.
        self.playback: tuple[int, int | None] | None = None
        self._thread = threading.Thread(target=self._run, name="stinger-decoder", daemon=True)
        self._thread.start()

    # -- state --------------------------------------------------------------------------------
    @property
    def is_ready(self) -> bool:
        return self.duration_ms is not None and self.problem is None

    @property
    def capacity(self) -> int:
        """How many decoded pictures may wait at most (the buffer's bound)."""
        return self._capacity

    @property
    def buffered_frames(self) -> int:
        with self._cond:
            return len(self._buffer)

    @property
    def has_sound(self) -> bool:
        return self.sound is not None

    def cut_ns(self) -> int:
        """The cut point, never past the end."""
        return int(min(self.cut_point_ms, self.duration_ms or 0) * 1_000_000)

    # -- playback (compositor thread) ----------------------------------------------------------
    def start(self, began_ns: int | None = None) -> None:
        """A playback begins now (one still under way starts over from the beginning)."""
        with self._cond:
            if self._is_playing:
                self._rewind()
            self._is_playing = True
            self._shown = None
            self.playback = (now_ns() if began_ns is None else int(began_ns), None)

    def shown_picture(self) -> StingerPicture | None:
        """The picture the program shows now (None between playbacks); never waits, never pops."""
        return self._shown

    def picture_at(self, elapsed_ms: float) -> StingerPicture | None:
        """The newest picture due ``elapsed_ms`` into the playback (None before the first one)."""
        with self._cond:
            popped = False
            while self._buffer and self._buffer[0].time_ms <= elapsed_ms:
                if self._shown is not None and popped:
                    self.late_pictures += 1
                self._shown = self._buffer.popleft()
                popped = True
            if popped:
                self._cond.notify_all()
            return self._shown

    def finish(self) -> None:
        """The playback ended (or was cut short): decode again from the start for the next take."""
        with self._cond:
            if self._is_playing:
                self._rewind()
                if self.playback is not None:
                    self.playback = (self.playback[0], now_ns())  # cut short: the sound stops with the picture
            self._is_playing = False

    def _rewind(self) -> None:
        self._generation += 1
        self._buffer.clear()
        self._shown = None
        self._cond.notify_all()

    def close(self, timeout: float = 3.0) -> None:
        with self._cond:
            self._is_closed = True
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    # -- worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self.sound = self._decode_sound()
            while not self._is_closed:
                generation = self._generation
                self._play_once(generation)
                with self._cond:  # whole file buffered: wait for the next take's rewind
                    while not self._is_closed and self._generation == generation:
                        self._cond.wait()
        except StingerError as exc:
            self._fail(exc.message)
        except Exception:  # noqa: BLE001 — an unexpected decoder failure must not escape a thread
            log.exception("stinger %s failed", os.path.basename(self.path))
            self._fail(_("“{name}” could not be played.").format(name=os.path.basename(self.path)))

    def _decode_sound(self) -> np.ndarray | None:
        try:
            return decode_sound(self.path)
        except (av.FFmpegError, OSError, ValueError) as exc:  # the picture may still play: a silent stinger
            log.warning("stinger %s: its sound cannot be read (%s); it plays silent", os.path.basename(self.path), exc)
            return None

    def _fail(self, message: str) -> None:
        self.problem = message
        log.warning("stinger: %s", message)
        self.changed.emit(stinger=self)

    def _play_once(self, generation: int) -> None:
        container, stream, duration_ms = open_stinger(self.path)
        announce = self.duration_ms is None  # the first playback: ready once a first picture passed
        try:
            first_time: float | None = None
            for index, frame in enumerate(_frames(container, stream)):
                if not _has_alpha(frame):
                    raise StingerError(_no_alpha_message(os.path.basename(self.path)))
                seconds = frame.time if frame.time is not None else index / float(stream.average_rate or 30)
                first_time = seconds if first_time is None else first_time
                picture = self._picture(frame, (seconds - first_time) * 1000.0)
                if announce:
                    announce = False
                    self.duration_ms = max(duration_ms, picture.time_ms + 1.0)
                    self.changed.emit(stinger=self)
                with self._cond:
                    while not self._is_closed and self._generation == generation and len(self._buffer) >= self._capacity:
                        self._cond.wait()
                    if self._is_closed or self._generation != generation:
                        return
                    self._buffer.append(picture)
            if announce:
                raise StingerError(_("“{name}” has no picture.").format(name=os.path.basename(self.path)))
        finally:
            container.close()

    def _picture(self, frame: av.VideoFrame, time_ms: float) -> StingerPicture:
        bgra = frame.to_ndarray(format="bgra")
        if bgra.shape[1] != self.width or bgra.shape[0] != self.height:
            bgra = cv2.resize(bgra, (self.width, self.height), interpolation=cv2.INTER_AREA if bgra.shape[1] > self.width else cv2.INTER_LINEAR)
        # OpenCV's own premultiply and channel copies: a few fresh arrays per frame, no strided views
        # (numpy slices of the BGRA array cost 4–6× as much at 1080p here).
        premultiplied = cv2.cvtColor(cv2.cvtColor(bgra, cv2.COLOR_RGBA2mRGBA), cv2.COLOR_BGRA2BGR)
        inverse = cv2.cvtColor(cv2.extractChannel(bgra, 3), cv2.COLOR_GRAY2BGR)
        return StingerPicture(time_ms, premultiplied, cv2.bitwise_not(inverse, dst=inverse))


class SharedStinger:
    """Another canvas's view of a :class:`Stinger` (the vertical canvas): the pictures the program
    shows, fitted to this canvas by covering it from the centre (as the vertical auto layout cuts
    the program), without decoding the file a second time.

    It plays along with the program's playback (both start at the same take); ``start`` and
    ``finish`` leave the program's decoding alone, and each picture is refitted once, when the
    program moves on to the next one (two resizes of a 1080×1920 frame, only during a take)."""

    def __init__(self, source: Stinger, width: int, height: int) -> None:
        self.source = source
        self.width, self.height = int(width), int(height)
        self._fitted: tuple[StingerPicture, StingerPicture] | None = None  # (program's, this canvas's)

    @property
    def is_ready(self) -> bool:
        return self.source.is_ready

    @property
    def duration_ms(self) -> float | None:
        return self.source.duration_ms

    @property
    def problem(self) -> str | None:
        return self.source.problem

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def cut_point_ms(self) -> int:
        return self.source.cut_point_ms

    def cut_ns(self) -> int:
        return self.source.cut_ns()

    def start(self, began_ns: int | None = None) -> None:
        """The program's take starts the playback; nothing more to do here."""

    def finish(self) -> None:
        """The program's own end of the take rewinds the decoding; nothing to do here."""

    def close(self, timeout: float = 3.0) -> None:
        """The program's compositor owns the decoder; this view holds only its last picture."""
        self._fitted = None

    def picture_at(self, elapsed_ms: float) -> StingerPicture | None:
        """The program's current stinger picture at this canvas's size."""
        shown = self.source.shown_picture()
        if shown is None:
            return None
        fitted = self._fitted
        if fitted is not None and fitted[0] is shown:
            return fitted[1]
        picture = StingerPicture(shown.time_ms, self._fit(shown.premultiplied), self._fit(shown.inverse))
        self._fitted = (shown, picture)
        return picture

    def _fit(self, plane: np.ndarray) -> np.ndarray:
        height, width = plane.shape[:2]
        if (width, height) == (self.width, self.height):
            return plane
        scale = max(self.width / width, self.height / height)  # cover: no transparent bars
        crop_w, crop_h = min(width, round(self.width / scale)), min(height, round(self.height / scale))
        x, y = (width - crop_w) // 2, (height - crop_h) // 2
        crop = plane[y:y + crop_h, x:x + crop_w]
        interpolation = cv2.INTER_AREA if crop_w > self.width else cv2.INTER_LINEAR
        return cv2.resize(crop, (self.width, self.height), interpolation=interpolation)
