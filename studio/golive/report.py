"""What the go-live service reports each second: the ``outputs`` list (one entry per destination
and the recording), the encodings and the encoded layers of a show without WHIP.

Functions of a running :class:`~studio.golive.service.GoLiveService`; in-memory snapshots only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.golive.plan import OutputKind
from studio.outputs.state import OutputState

if TYPE_CHECKING:  # pragma: no cover
    from studio.golive.service import GoLiveService


def encoded_layers(service: "GoLiveService") -> list[dict[str, Any]]:
    layers = []
    for encoding in service.encodings.values():
        ladder = encoding.ladder
        if ladder is None:
            continue
        for layer in ladder.stats():
            layers.append({"rid": layer.rid, "width": layer.width, "height": layer.height, "fps": layer.output_fps,
                           "bitrate_bps": layer.bitrate_bps, "keyframes": layer.keyframes,
                           "active": bool(layer.is_active and not layer.is_failed), "canvas": encoding.canvas.value})
    return layers


def encoder_drops(service: "GoLiveService") -> int:
    return sum(encoding.ladder.input_dropped for encoding in service.encodings.values() if encoding.ladder is not None)


def encoder_name(service: "GoLiveService") -> str | None:
    names = [encoding.ladder.chosen_encoder for encoding in service.encodings.values() if encoding.ladder is not None]
    names = [name for name in names if name]
    return ", ".join(dict.fromkeys(names)) or None


def encoding_entries(service: "GoLiveService") -> list[dict[str, Any]]:
    plan = service.layer_plan
    entries = []
    for canvas, encoding in service.encodings.items():
        entries.append({"canvas": canvas.value, "layers": [
            {"rid": layer.rid, "width": layer.width, "height": layer.height, "bitrate_bps": layer.bitrate_bps,
             "consumers": encoding.consumer_count(layer.rid),
             "shared_by": plan.shared_by(canvas, layer.rid) if plan is not None else None}
            for layer in encoding.layers]})
    return entries


def output_entries(service: "GoLiveService", record: dict[str, Any]) -> list[dict[str, Any]]:
    entries = []
    whip = service.plan.whip
    if whip is not None:
        entries.append(whip_entry(service, record))
    for destination in service._rtmp.values():
        entries.append(destination.entry())
    if service.plan.recording is not None:
        recording = record.get("recording") or (service.recorder.stats() if service.recorder is not None else {})
        entries.append({
            "id": service.plan.recording.id,
            "kind": OutputKind.RECORD.value,
            "canvas": service.plan.recording.canvas.value,
            "name": str(service.recording_path) if service.recording_path is not None else None,
            "state": recording.get("state"),
            "bitrate_bps": None,
            "fps": None,
            "reconnects": 0,
            "error": recording.get("failure"),
            "bytes_written": recording.get("bytes_written"),
            "duration_s": recording.get("duration_s"),
        })
    return entries


def whip_entry(service: "GoLiveService", record: dict[str, Any]) -> dict[str, Any]:
    whip = service.plan.whip
    assert whip is not None
    source = service.legacy_session or service.whip
    if source is None or service._is_whip_stopped_by_host:
        state, data = OutputState.STOPPED.value, {}
    else:
        data = record if record.get("layers") is not None and "reconnects" in record else source.stats()
        state = str(getattr(source, "state", None) or data.get("state"))
    active = [layer for layer in data.get("layers") or [] if layer.get("active")]
    rates = [layer.get("bitrate_bps") for layer in active if layer.get("bitrate_bps") is not None]
    failure = getattr(source, "failure", None) if state == OutputState.FAILED.value else None
    return {
        "id": whip.id,
        "kind": OutputKind.WHIP.value,
        "canvas": whip.canvas.value,
        "name": whip.name,
        "state": state,
        "bitrate_bps": sum(rates) if rates else None,
        "fps": active[0].get("fps") if active else None,
        "reconnects": data.get("reconnects"),
        "error": str(failure) if failure is not None else None,
    }
