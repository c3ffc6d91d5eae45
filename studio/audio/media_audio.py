"""A media file's sound on the mixer, in sync with its picture.

The media source's capture thread decodes the file's audio track alongside its picture and
writes it, resampled to 48 kHz stereo, into a :class:`MediaAudioFeed` with the media-clock
time each sample is due — the same clock its frames are published on.  The mixer pulls
:class:`MediaAudioInput`, which hands it exactly the samples due during the block being
mixed: a frame due at ``t`` goes to the compositor stamped ``t``, the sample due at ``t``
goes into the mixer block stamped ``t``, and the outputs pair the two by those stamps.

The feed is one continuous sample stream anchored on the media clock (see
:class:`MediaAudioFeed`): a loop whose sound is as long as its picture continues without a
gap, an overlap or a click, and the sound never drifts from the picture.
"""
from __future__ import annotations

import collections
import logging
import threading
from typing import Any, Callable, ClassVar

import numpy as np

from studio.audio.dsp import silence
from studio.audio.inputs import CHANNELS, SAMPLE_RATE, AudioInput, InputState
from studio.audio.mixer_grid import MixerGrid
from studio.core.clock import NS_PER_S
from studio.core.events import Signal

log = logging.getLogger(__name__)

# Decoded sound kept ahead of the mixer.  The capture thread decodes in step with the
# picture, so the feed holds a few video frames' worth; the bound only matters when nobody
# reads (a source outside any show, a mixer stopped).
FEED_CAPACITY_MS = 2000
# Chunks this close to the end of the stream continue it end to end (timestamps rounded to the
# millisecond by a container, the resampler's few samples of delay).
JOIN_TOLERANCE_NS = 2_000_000
# Beyond that and up to this, the stream stays on its anchor: a gap is filled with silence, an
# overlap (an AAC file's padding at a loop's seam) replaces the end not yet played.  Further
# away (waking from sleep, a resync after a stall), the stream is anchored again.
REANCHOR_BEYOND_NS = 1_000_000_000


class MediaAudioFeed:
    """Timestamped 48 kHz stereo sound of one media source: written by its capture thread,
    read by the mixer thread (:meth:`read_due`).  Bounded; drops are counted.

    One sample stream anchored on the media clock: stream sample ``i`` is due at
    ``anchor + i / rate``, so the sound never drifts from the picture's timeline.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, capacity_ms: int = FEED_CAPACITY_MS) -> None:
        self.sample_rate = int(sample_rate)
        self.capacity_frames = self.sample_rate * capacity_ms // 1000
        self._lock = threading.Lock()
        self._chunks: collections.deque[np.ndarray] = collections.deque()
        self._frames = 0  # samples held
        self._anchor_ns: int | None = None  # media-clock time of stream sample 0
        self._end_index = 0  # stream index just after the newest sample held
        self._has_audio: bool | None = None
        self.has_audio_changed = Signal()  # emit(feed=, has_audio=): the file turned out to have sound or not
        self.is_playing = True  # False while the source sleeps: nothing is written or read
        self.late_frames = 0  # samples that became due before the mixer could take them
        self.overflow_frames = 0  # samples dropped because nobody read them
        self.trimmed_frames = 0  # samples replaced by a later chunk due earlier (a seam's overlap)
        self.padded_frames = 0  # silence put into gaps between chunks
        self.reanchors = 0  # jumps in the timeline (wake-ups, resyncs)

    @property
    def has_audio(self) -> bool | None:
        """Whether the source's file has sound (``None`` until it was opened)."""
        return self._has_audio

    @has_audio.setter
    def has_audio(self, has_audio: bool | None) -> None:
        if has_audio is self._has_audio:
            return
        self._has_audio = has_audio
        self.has_audio_changed.emit(feed=self, has_audio=has_audio)

    @property
    def buffered_frames(self) -> int:
        with self._lock:
            return self._frames

    @property
    def end_ns(self) -> int | None:
        """Media-clock time just after the newest sample (``None`` before the first)."""
        with self._lock:
            return self._time_of(self._end_index) if self._anchor_ns is not None else None

    def set_playing(self, is_playing: bool) -> None:
        """Sleeping sources fall silent at once: what was decoded ahead is dropped."""
        with self._lock:
            self.is_playing = bool(is_playing)
            if not self.is_playing:
                self._reset()

    def clear(self) -> None:
        with self._lock:
            self._reset()

    def write(self, samples: np.ndarray, due_ns: int) -> None:
        """Add ``samples`` (``(n, 2)`` float32) whose first sample is due at ``due_ns``."""
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        if samples.shape[0] == 0:
            return
        with self._lock:
            if not self.is_playing:
                return
            if self._anchor_ns is None:
                self._anchor(due_ns)
            else:
                gap_ns = due_ns - self._time_of(self._end_index)
                if abs(gap_ns) > REANCHOR_BEYOND_NS:
                    self._reset()
                    self._anchor(due_ns)
                elif gap_ns > JOIN_TOLERANCE_NS:
                    pad = int(round(gap_ns * self.sample_rate / NS_PER_S))
                    self.padded_frames += pad
                    self._append(silence(pad))
                elif gap_ns < -JOIN_TOLERANCE_NS:
                    overlap = int(round(-gap_ns * self.sample_rate / NS_PER_S))
                    trimmed = self._drop_newest(overlap)
                    self.trimmed_frames += trimmed
                    if overlap > trimmed:  # the overlapped part was already played: skip it here
                        samples = samples[overlap - trimmed:]
            self._append(samples)

    def read_due(self, start_ns: int, frames: int) -> np.ndarray | None:
        """The samples due in ``[start_ns, start_ns + frames)``; silence where there are none.

        ``None`` when nothing at all was due (so a caller can tell silence from sound)."""
        with self._lock:
            if self._anchor_ns is None or not self.is_playing:
                return None
            first = int(round((start_ns - self._anchor_ns) * self.sample_rate / NS_PER_S))
            oldest = self._end_index - self._frames
            if first > oldest:  # sound that was due before this block: too late now
                self.late_frames += self._drop_oldest(first - oldest)
                oldest = self._end_index - self._frames
            if self._frames == 0 or oldest >= first + frames:
                return None  # nothing due yet (or nothing left)
            out = np.zeros((frames, CHANNELS), dtype=np.float32)
            offset = oldest - first  # >= 0 here
            chunk = self._take_oldest(frames - offset)
            out[offset:offset + chunk.shape[0]] = chunk
            return out

    # -- storage (under the lock) ---------------------------------------------------------------
    def _reset(self) -> None:
        self._chunks.clear()
        self._frames = 0
        self._anchor_ns = None
        self._end_index = 0

    def _anchor(self, due_ns: int) -> None:
        self._anchor_ns = int(due_ns)
        self._end_index = 0
        self.reanchors += 1

    def _time_of(self, index: int) -> int:
        assert self._anchor_ns is not None
        return self._anchor_ns + index * NS_PER_S // self.sample_rate

    def _append(self, samples: np.ndarray) -> None:
        if samples.shape[0] == 0:
            return
        self._chunks.append(samples)
        self._frames += samples.shape[0]
        self._end_index += samples.shape[0]
        if self._frames > self.capacity_frames:
            self.overflow_frames += self._drop_oldest(self._frames - self.capacity_frames)

    def _drop_oldest(self, count: int) -> int:
        return self._take_oldest(count).shape[0]

    def _take_oldest(self, count: int) -> np.ndarray:
        parts = []
        while count > 0 and self._chunks:
            head = self._chunks[0]
            if head.shape[0] <= count:
                parts.append(self._chunks.popleft())
            else:
                parts.append(head[:count])
                self._chunks[0] = head[count:]
            count -= parts[-1].shape[0]
            self._frames -= parts[-1].shape[0]
        return np.concatenate(parts) if parts else silence(0)

    def _drop_newest(self, count: int) -> int:
        dropped = 0
        while count > dropped and self._chunks:
            tail = self._chunks[-1]
            cut = min(tail.shape[0], count - dropped)
            if cut == tail.shape[0]:
                self._chunks.pop()
            else:
                self._chunks[-1] = tail[:-cut]
            dropped += cut
        self._frames -= dropped
        self._end_index -= dropped
        return dropped


# How far the grid's estimate of the mixer's stamps may wander from back-to-back reading before
# the reading follows it (a skipped block moves it by a whole block, 20 ms).
CURSOR_TOLERANCE_NS = 5_000_000


class BlockCursor:
    """The mixer's stamp of each block an input reads, read back to back: the grid's estimate
    (:class:`MixerGrid`) moves by fractions of a millisecond as it learns; following it would
    tear sound that is due at media-clock times."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = int(sample_rate)
        self._grid = MixerGrid(self.sample_rate)
        self._origin_ns: int | None = None  # blocks are read back to back from here
        self._samples = 0

    def reset(self) -> None:
        self._grid.reset()
        self._origin_ns = None

    def block_start_ns(self, frames: int) -> int:
        """Media-clock time of the first sample of the block read now; call once per block."""
        grid_ns = self._grid.block_start_ns(frames)
        if self._origin_ns is not None:
            cursor_ns = self._origin_ns + self._samples * NS_PER_S // self.sample_rate
            if abs(grid_ns - cursor_ns) <= CURSOR_TOLERANCE_NS:
                self._samples += frames
                return cursor_ns
        # First block, or the mixer skipped blocks: start again on the grid.
        self._origin_ns, self._samples = grid_ns, frames
        return grid_ns


class MediaAudioInput(AudioInput):
    """The mixer's channel strip for a media source's sound.

    ``source_id`` names the media source; :meth:`attach` gives it that source's current feed
    (a source restarted with new settings brings a new feed; the strip stays).
    ``picture_delay_ms`` moves the sound later by what the picture needs to reach the
    program after it is due (the compositor draws the newest frame at its next tick).
    ``is_monitored`` also plays the strip's sound on the monitor output.
    """

    kind: ClassVar[str] = "media_audio"

    def __init__(self, input_id: str, name: str, *, source_id: str = "", picture_delay_ms: float = 0.0,
                 **strip: Any) -> None:
        super().__init__(input_id, name, **strip)
        self.source_id = str(source_id)
        self.picture_delay_ms = max(0.0, float(picture_delay_ms))
        self._feed: MediaAudioFeed | None = None
        self._cursor = BlockCursor(self.sample_rate)
        # Whether viewers see the source now (set by the show): a source drawn only in studio
        # mode's preview decodes (it is awake) but is not heard.  None: always heard.
        self.is_heard: Callable[[], bool] | None = None

    @property
    def feed(self) -> MediaAudioFeed | None:
        return self._feed

    def attach(self, feed: MediaAudioFeed | None) -> None:
        """Read from ``feed`` from the next block on (``None``: silence)."""
        self._feed = feed

    def describe(self) -> dict[str, Any]:
        return dict(super().describe(), source_id=self.source_id)

    def start(self) -> None:
        self._cursor.reset()
        super().start()

    def read_block(self, frames: int) -> np.ndarray:
        start_ns = self._cursor.block_start_ns(frames)
        feed = self._feed
        if feed is None or self.state is not InputState.ACTIVE:
            return silence(frames)
        block = feed.read_due(start_ns - int(self.picture_delay_ms * 1_000_000), frames)
        is_heard = self.is_heard
        if block is None or (is_heard is not None and not is_heard()):
            return silence(frames)  # read all the same: what was due is gone, nothing piles up
        return block


# Decoded sound waiting for the pass's first picture (which fixes the pass's timeline).
MAX_PENDING_S = 2.0
# A file whose sound starts this much before its first picture at most has its timeline started
# later by that much (beyond, the early sound is dropped as late).
MAX_LEAD_S = 0.5


class MediaAudioTrack:
    """Decodes one file's audio stream and writes it to a feed on the media clock.

    Lives on the media source's capture thread.  Times are relative to the pass's reference
    (the first picture's time), so the sound lands on the same timeline as the frames;
    sound decoded before that reference is known waits (bounded) until it is.
    """

    def __init__(self, stream: Any, feed: MediaAudioFeed) -> None:
        import av

        self.stream = stream
        self.feed = feed
        self.decode_errors = 0
        self.frames_decoded = 0
        self._resampler = av.AudioResampler(format="flt", layout="stereo", rate=feed.sample_rate)
        self._pending: list[tuple[float | None, np.ndarray]] = []

    def new_pass(self) -> None:
        """The file starts again (a loop or a restart): sound waits for the new first picture."""
        self._pending.clear()

    def handle(self, packet: Any, origin_ns: int | None, reference_s: float | None) -> None:
        """Decode ``packet`` and write its sound due at ``origin_ns + (time - reference_s)``."""
        import av

        try:
            frames = packet.decode()
        except (av.FFmpegError, ValueError):
            self.decode_errors += 1  # one damaged audio packet: a few ms of silence, not the end
            return
        chunks: list[tuple[float | None, np.ndarray]] = []
        for frame in frames:
            self.frames_decoded += 1
            time_s = frame.time
            try:
                resampled = self._resampler.resample(frame)
            except ValueError:
                # The track changed its format mid-file (mono → stereo, another rate): a new
                # resampler takes the new format from here on.
                self._resampler = av.AudioResampler(format="flt", layout="stereo", rate=self.feed.sample_rate)
                try:
                    resampled = self._resampler.resample(frame)
                except (av.FFmpegError, ValueError):
                    self.decode_errors += 1
                    continue
            except av.FFmpegError:
                self.decode_errors += 1
                continue
            for out in resampled:
                chunks.append((time_s, out.to_ndarray().reshape(-1, CHANNELS)))
                time_s = None  # the resampler's further output continues the stream
        if origin_ns is None or reference_s is None:
            self._pending.extend(chunks)
            limit = int(MAX_PENDING_S * self.feed.sample_rate)
            while self._pending and sum(c.shape[0] for _t, c in self._pending) > limit:
                self._pending.pop(0)
            return
        self._write(chunks, origin_ns, reference_s)

    def lead_s(self, reference_s: float) -> float:
        """How long before ``reference_s`` the waiting sound starts (at most MAX_LEAD_S)."""
        times = [time_s for time_s, _samples in self._pending if time_s is not None]
        return min(MAX_LEAD_S, max(0.0, reference_s - min(times))) if times else 0.0

    def handle_pending(self, origin_ns: int, reference_s: float) -> None:
        """The pass's first picture fixed its timeline: write the sound that waited for it."""
        chunks, self._pending = self._pending, []
        self._write(chunks, origin_ns, reference_s)

    def _write(self, chunks: list[tuple[float | None, np.ndarray]], origin_ns: int, reference_s: float) -> None:
        for time_s, samples in chunks:
            if time_s is None:
                due_ns = self.feed.end_ns
                if due_ns is None:
                    continue
            else:
                due_ns = origin_ns + int(round((time_s - reference_s) * NS_PER_S))
            self.feed.write(samples, due_ns)
