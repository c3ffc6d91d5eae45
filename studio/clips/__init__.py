"""Product clips after the show: one short vertical video per pinned product, ready to post.

From the show's journal (its pins, read with the review's readers) and the show's recording
(:mod:`studio.outputs.recorder`), :func:`make_clips` cuts each product's segment (pin → unpin,
trimmed to what was recorded and capped to ``max_seconds``), reframes it to 9:16 following the
host as the vertical canvas's auto layout does, burns in the product card with its price in
the show's locale and region pack, opens it with a cover from the cover designer, and writes
an H.264 + AAC MP4 per product (:mod:`studio.clips.writer`).  Qt-free; the app and the
``bridgecast clips`` command run it on a worker thread.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import av
import cv2

from studio.clips.cover import COVER_S, cover_frame, load_design
from studio.clips.errors import ClipsError
from studio.clips.picture import CLIP_SIZE, ClipPicture, product_overlay, still
from studio.clips.plan import DEFAULT_MAX_SECONDS, MAX_SECONDS_RANGE, ClipPlan, plan_clips, read_show
from studio.clips.recording import RecordingInfo, probe_recording
from studio.clips.writer import Cancelled, write_clip
from studio.compositor.reframe import FaceDetector, haar_face_detector
from studio.core.paths import free_path
from studio.core.i18n import _

log = logging.getLogger(__name__)

__all__ = ["ClipsError", "ClipsResult", "Cancelled", "DEFAULT_MAX_SECONDS", "MAX_SECONDS_RANGE", "make_clips"]

_DEFAULT_DETECTOR = object()
# (clips finished, clips in all, fraction of the current clip)
Progress = Callable[[int, int, float], None]


@dataclass
class Clip:
    """One written clip (times in recording seconds)."""

    path: str
    cover_path: str
    sku: str
    title: str
    start_s: float
    end_s: float
    duration_s: float
    pinned_s: float
    is_capped: bool
    is_trimmed: bool
    has_card: bool


@dataclass
class ClipsResult:
    """What :func:`make_clips` wrote, and in words what it left out or shortened."""

    recording: str
    out_dir: str
    clips: list[Clip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"recording": self.recording, "out_dir": self.out_dir, "clips": [asdict(c) for c in self.clips],
                "notes": self.notes}




def _middle_frame(recording: RecordingInfo, at_s: float) -> Any:
    """The first recorded picture at or after ``at_s`` (BGR), for the cover's photo."""
    with av.open(str(recording.path)) as source:
        video = source.streams.video[0]
        source.seek(max(0, int(at_s / video.time_base)), stream=video)
        last = None
        for frame in source.decode(video):
            last = frame
            if frame.time is not None and frame.time >= at_s:
                break
        if last is None:
            raise ClipsError(_("No picture could be read from {name} at {seconds:.1f} s.").format(
                name=recording.path.name, seconds=at_s))
        return last.to_ndarray(format="bgr24")


def make_clips(show_db: str | Path, recording: str | Path, out_dir: str | Path, *, max_seconds: float = DEFAULT_MAX_SECONDS,
               locale: str = "en_US", region: str | None = None, cover_template: str | None = None,
               detector: FaceDetector | None | object = _DEFAULT_DETECTOR, on_progress: Progress | None = None,
               cancel: threading.Event | None = None) -> ClipsResult:
    """Cut one clip per pin of ``show_db``'s journal out of ``recording`` into ``out_dir``.

    Raises :class:`ClipsError` in words when nothing can be cut (no pins, no readable recording,
    no pin inside it); pins left out or shortened are listed in :attr:`ClipsResult.notes`.
    """
    from cover_designer.regions import region_for_locale
    from studio.live.layout import checked_locale, region_id

    if not MAX_SECONDS_RANGE[0] <= max_seconds <= MAX_SECONDS_RANGE[1]:
        raise ClipsError(_("The longest clip must be {low:.0f} to {high:.0f} seconds, not {value:g}.").format(
            low=MAX_SECONDS_RANGE[0], high=MAX_SECONDS_RANGE[1], value=max_seconds))
    try:
        checked_locale(locale)
        region = region_id(region) or region_for_locale(locale)
    except Exception as exc:  # LiveError: an unknown locale or region, in words
        raise ClipsError(str(exc)) from None
    events, state = read_show(show_db)
    info = probe_recording(recording)
    plans, notes = plan_clips(events, state, info, max_seconds)
    if not info.is_start_exact:
        notes.insert(0, _("{name} does not say to the millisecond when it started (it was not made by this app's "
                          "recorder, or is a converted copy without its .mkv beside it), so the clips may start and "
                          "end up to a second or two off.").format(name=info.path.name))
    if not plans:
        raise ClipsError(_("No clip could be cut: {reasons}").format(reasons=" ".join(notes)))
    if detector is _DEFAULT_DETECTOR:
        detector = haar_face_detector()
    design = load_design(cover_template, region)
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ClipsError(_("The clips cannot be saved in {path}: {reason}").format(
            path=folder, reason=exc.strerror or type(exc).__name__)) from None
    result = ClipsResult(str(info.path), str(folder), notes=notes)
    for index, plan in enumerate(plans):
        if cancel is not None and cancel.is_set():
            break
        clip = _one_clip(plan, info, folder, locale, region, design, detector, index, len(plans), on_progress, cancel)  # type: ignore[arg-type]
        if clip is None:
            break
        result.clips.append(clip)
    if on_progress is not None:
        on_progress(len(result.clips), len(plans), 1.0)
    return result


def _one_clip(plan: ClipPlan, info: RecordingInfo, folder: Path, locale: str, region: str, design: object,
              detector: FaceDetector | None, index: int, count: int, on_progress: Progress | None,
              cancel: threading.Event | None) -> Clip | None:
    card = product_overlay(plan.product, locale, region, shown_s=COVER_S) if plan.product is not None else None
    photo = still(_middle_frame(info, (plan.start_s + plan.end_s) / 2), detector)
    cover = cover_frame(design, plan.product, plan.title, locale, photo, CLIP_SIZE)
    target = free_path(folder, plan.file_stem, ".mp4")
    cover_path = target.with_suffix(".jpg")
    if not cv2.imwrite(str(cover_path), cover, [cv2.IMWRITE_JPEG_QUALITY, 92]):
        raise ClipsError(_("The cover {name} could not be written.").format(name=cover_path.name))
    report = (lambda fraction: on_progress(index, count, fraction)) if on_progress is not None else None
    try:
        write_clip(info.path, target, plan.start_s, plan.end_s, info.fps, ClipPicture(detector, card), cover,
                   max(1, round(COVER_S * info.fps)), report, cancel)
    except Cancelled:
        cover_path.unlink(missing_ok=True)
        return None
    log.info("clip %s: %.1f–%.1f s of %s", target.name, plan.start_s, plan.end_s, info.path.name)
    return Clip(str(target), str(cover_path), plan.sku, plan.title, round(plan.start_s, 3), round(plan.end_s, 3),
                round(plan.duration_s, 3), round(plan.pinned_s, 3), plan.is_capped, plan.is_trimmed, card is not None)
