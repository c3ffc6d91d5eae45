"""One RTMP(S) destination of a running show: its output, the layer it takes, its stats entry.

The output (:class:`~studio.outputs.rtmp.RtmpOutput`) exists only while the destination runs;
stopping it keeps its last stats so the host still sees how it ended.  Opening one hooks it to
its canvas encoding's layer and to the show's shared AAC encoder; if WHIP had paused that layer
in the encoder, WHIP is told the layer is shared now (it keeps encoding for this destination).
"""
from __future__ import annotations

from typing import Any, Callable

from studio.golive.encoding import CanvasEncoding
from studio.golive.plan import OutputKind, RtmpTarget
from studio.outputs.state import OutputState
from studio.scene import CanvasRole


class RtmpDestination:
    """``target`` taking layer ``rid`` of the ``canvas`` encoding."""

    def __init__(self, target: RtmpTarget, canvas: CanvasRole, rid: str) -> None:
        self.target = target
        self.canvas = canvas
        self.rid = rid
        self.output: Any = None
        self.start_error: str | None = None  # the show could not start it (e.g. no encoder)
        self.is_stopped_by_host = not target.is_enabled
        self.last_stats: dict[str, Any] | None = None

    @property
    def is_running(self) -> bool:
        return self.output is not None

    @property
    def state(self) -> str | None:
        """Its state while it counts for the show (None: stopped by the host, or never started)."""
        if self.start_error is not None:
            return OutputState.FAILED.value
        return str(self.output.state) if self.output is not None else None

    @property
    def failure(self) -> str | None:
        if self.start_error is not None:
            return self.start_error
        return self.output.failure if self.output is not None else None

    def open(self, encoding: CanvasEncoding, *, aac: Any, whip: Any, on_change: Callable[[], Any]) -> None:
        """Make the output, hook it to its layer and the shared AAC, and connect."""
        from studio.outputs.rtmp import RtmpOutput

        target = self.target
        layer = encoding.layer(self.rid)
        rid = self.rid
        output = RtmpOutput(
            target.url, width=layer.width, height=layer.height, fps=layer.fps, has_audio=aac is not None,
            name=target.label, ca_file=target.ca_file, verify_tls=target.verify_tls,
            on_state=lambda state, failure=None, **_extra: on_change(),
            on_keyframe_request=lambda: encoding.request_keyframe(rid),
            video_rid=rid, thread_name=f"bridgecast-rtmp-{target.id}")
        self.output = output
        self.is_stopped_by_host = False
        encoding.add_consumer(rid, output.on_video_packet)
        if aac is not None:
            aac.subscribe(output.on_audio_packet)
        if whip is not None and self.canvas is CanvasRole.HORIZONTAL:
            whip.layer_shared(rid)
        output.start()

    def close(self, encoding: CanvasEncoding, aac: Any) -> None:
        """Unhook and stop the output (the unpublish is sent); its last stats stay."""
        output, self.output = self.output, None
        if output is None:
            return
        encoding.remove_consumer(self.rid, output.on_video_packet)
        if aac is not None:
            aac.unsubscribe(output.on_audio_packet)
        output.stop()
        self.last_stats = output.stats()

    def entry(self) -> dict[str, Any]:
        """Its ``outputs`` entry in the stats schema (the key masked)."""
        target, output = self.target, self.output
        data = output.stats() if output is not None else (self.last_stats or {})
        if self.start_error is not None:
            state, error = OutputState.FAILED.value, self.start_error
        elif output is None:
            state, error = OutputState.STOPPED.value, None
        else:
            state, error = str(output.state), data.get("error")
        return {
            "id": target.id,
            "kind": OutputKind.RTMP.value,
            "canvas": self.canvas.value,
            "name": target.label,
            "url": target.masked_url,
            "rid": self.rid,
            "state": state,
            "bitrate_bps": data.get("bitrate_bps") if output is not None else None,
            "fps": data.get("fps") if output is not None else None,
            "reconnects": data.get("reconnects", 0),
            "error": error,
            "width": data.get("width"),
            "height": data.get("height"),
        }
