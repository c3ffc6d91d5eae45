"""Video encoders: program frames in, WebRTC-ready packets out (never imports Qt).

- ``encoders.base``: ``EncoderSettings``, ``EncodedPacket``, the ``Encoder`` contract and registry
- ``encoders.backends``: the PyAV/FFmpeg backends (NVENC, QSV, AMF, VAAPI, VideoToolbox, Media
  Foundation, V4L2 M2M, libx264, libvpx) with WebRTC-safe settings
- ``encoders.probe``: which encoders work here (cached), ``pick_encoder``
- ``encoders.layers``: what a layer is and costs (``LayerSpec``, ``default_ladder``, ``ladder_bitrate_bps``)
- ``encoders.ladder``: the simulcast ``Ladder`` (its converter thread hands frames to
  ``encoders.layer_worker``, one encode thread per layer, whose rules for pausing, keyframes and
  bitrate are ``encoders.layer_control``; ``encoders.layer_stats`` and ``encoders.timestamps``
  keep the numbers and the pts)
- ``encoders.errors``: ``EncoderUnavailable``, ``EncoderFailed``
"""
from encoders.base import EncodedPacket, Encoder, EncoderSettings, create_encoder, register_encoder
from encoders.errors import EncoderError, EncoderFailed, EncoderUnavailable

__all__ = [
    "EncodedPacket",
    "Encoder",
    "EncoderError",
    "EncoderFailed",
    "EncoderSettings",
    "EncoderUnavailable",
    "create_encoder",
    "register_encoder",
]
