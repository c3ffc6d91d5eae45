"""A recorded rehearsal show for the clips' tests, made with the engine's own parts.

The picture is the test pattern (its bars, moving box and time-code strip) with a real face
photo standing in for the host on the right of the picture; the sound a 440 Hz tone.  Frames go
through a real encoder ladder (libx264) into the engine's :class:`Recorder` with Opus from the
engine's encoder, on the media clock as on air (capture times start now, frames as fast as the
encoder takes them).  Beside it a :class:`LiveShow` journals a catalog and three pins at known
moments of the recording, its clock set to the wall time of those moments.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from encoders.ladder import Ladder, LayerSpec
from studio.core.clock import NS_PER_S, media_to_wall_ms, now_ns
from studio.core.frame import VideoFrame
from studio.live.session import LiveShow
from studio.outputs.audio_track import OpusBlockEncoder
from studio.outputs.packets import PacketItem
from studio.outputs.recorder import Recorder
from studio.sources.testpattern import TestPatternSource, make_background
from studio.timecode import draw_strip

WIDTH, HEIGHT, FPS = 1280, 720, 30
LENGTH_S = 16.0
FACE_PHOTO = Path(__file__).resolve().parents[2] / "cover_designer" / "data" / "astronaut.jpg"
# The "host" stands right of the middle (her face at x ≈ 920): a centred 9:16 cut would miss her.
FACE_BOX = (660, 60, 600)  # x, y, size of the photo (the reframe tests' placement)
# (sku, pinned at, unpinned at) in recording seconds; the last one runs longer than a 5 s cap.
PINS = [("A12", 1.0, 4.0), ("B07", 5.0, 7.5), ("C33", 8.0, 14.5)]
CATALOG = ("sku,title,price,original_price,currency,stock\n"
           "A12,Silk scarf,29.90,39.90,USD,100\nB07,Linen shirt,45.00,,USD,80\nC33,Tea set,60.00,,USD,40\n")
BLOCK = 960  # 20 ms of 48 kHz


@dataclass
class RecordedShow:
    db: Path
    recording: Path
    catalog: Path
    start_wall_s: float  # when recording time 0 happened (from the capture clock)


def _face_layer() -> tuple[np.ndarray, int, int]:
    x, y, size = FACE_BOX
    photo = cv2.imread(str(FACE_PHOTO))
    return cv2.resize(photo, (size, size), interpolation=cv2.INTER_AREA), x, y


def _tone(index: int) -> np.ndarray:
    t = (np.arange(BLOCK) + index * BLOCK) / 48_000
    mono = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.repeat(mono[:, None], 2, axis=1)


def record_show(folder: Path, db_path: Path | None = None) -> RecordedShow:
    """Record :data:`LENGTH_S` seconds and journal :data:`PINS` (in ``db_path``, default
    ``folder/show.db``); returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    recording = folder / "show-rehearsal.mkv"
    recorder = Recorder(recording)
    recorder.start()
    background = make_background(WIDTH, HEIGHT)
    face, face_x, face_y = _face_layer()
    opus = OpusBlockEncoder()
    base_ns = now_ns()
    frame_ns = NS_PER_S // FPS
    audio_index = 0
    with Ladder([LayerSpec("h", WIDTH, HEIGHT, 2_500_000, FPS)], encoder="libx264", keyframe_interval_s=1.0,
                on_packet=recorder.on_video_packet) as ladder:
        for index in range(int(LENGTH_S * FPS)):
            capture_ns = base_ns + index * frame_ns
            while audio_index * BLOCK * NS_PER_S // 48_000 < (index + 1) * frame_ns:
                block_ns = base_ns + audio_index * BLOCK * NS_PER_S // 48_000
                for packet in opus.encode(_tone(audio_index)):
                    recorder.on_audio_packet(PacketItem(packet=packet, capture_ns=block_ns))
                audio_index += 1
            image = background.copy()
            TestPatternSource.render_motion(image, index / FPS, HEIGHT // 6)
            image[face_y:face_y + face.shape[0], face_x:face_x + face.shape[1]] = face
            draw_strip(image, media_to_wall_ms(capture_ns))
            ladder.submit(VideoFrame(image, capture_ns, index))
            assert ladder.drain(10)
    opus.close()
    recorder.stop()
    assert recorder.failure is None, recorder.failure
    start_wall_s = media_to_wall_ms(base_ns) / 1000
    catalog = folder / "catalog.csv"
    catalog.write_text(CATALOG, encoding="utf-8")
    clock = [start_wall_s - 30.0]  # the catalog was loaded half a minute before the recording
    db_path = db_path or folder / "show.db"
    show = LiveShow(None, db_path, catalog, clock=lambda: clock[0])
    for sku, pinned_s, unpinned_s in PINS:
        clock[0] = start_wall_s + pinned_s
        show.pin(sku)
        clock[0] = start_wall_s + unpinned_s
        show.unpin()
    clock[0] = start_wall_s + LENGTH_S + 5
    show.stop()
    return RecordedShow(db_path, recording, catalog, start_wall_s)
