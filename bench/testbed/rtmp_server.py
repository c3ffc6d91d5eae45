"""A real RTMP/RTMPS ingest on this machine: nginx with Debian's RTMP module, keys checked like a platform.

:class:`RtmpServer` starts its own nginx (a temporary prefix with its own ``nginx.conf``, pid
file, logs and temp paths; ``nginx -p DIR -c nginx.conf -g 'daemon off;'`` as a subprocess in
its own process group), listening only on 127.0.0.1:

* RTMP on :attr:`RtmpServer.port`, application ``live`` (``live on``; viewers start at a keyframe);
* an HTTP port that answers nginx-rtmp's ``on_publish`` check the way platforms do: 200 for a
  configured stream key (``$arg_name``, thanks to ``notify_method get``), 403 for any other — a
  refused publisher is disconnected by nginx-rtmp;
* with ``tls=True``, RTMPS: nginx's ``stream`` module terminating TLS in front of the RTMP port,
  with a test CA made by openssl in the temporary directory (:attr:`ca_file`, to pass to the
  client) and three certificates: ``valid`` (signed by the test CA for ``localhost`` and
  127.0.0.1), ``self_signed`` (not from any CA a client knows) and ``wrong_name`` (signed by the
  test CA, but for another host name).

``kill()`` ends nginx at once (SIGKILL to its process group: every connection drops, as when a
server dies) and ``restart()`` brings it back on the same ports, for outage tests.  :meth:`pull`
reads a published stream back with PyAV and reports what a viewer gets (:class:`PullReport`).

``netns="NAME"`` runs nginx inside that network namespace (``ip netns exec``), on the
namespace's own 127.0.0.1: for a show whose publishers run there (the SFU tests' namespace, where
aioice finds a non-loopback interface).  Its readiness checks and :meth:`RtmpServer.pull` then
run from a thread inside the namespace too (:meth:`RtmpServer.call` does that for any function).

Install nginx, the modules and openssl with ``tools/setup_rtmp.sh`` (as root).  Traffic goes to
127.0.0.1 only.  Lives in ``bench/`` so benchmarks can use it (it imports nothing from ``tests``).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

HOST = "127.0.0.1"
TLS_HOST = "localhost"  # what the valid certificate names (plus the IP address 127.0.0.1)
APPLICATION = "live"
NGINX = "/usr/sbin/nginx"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"
CERTIFICATES = ("valid", "self_signed", "wrong_name")
SETUP_HINT = "run `sudo tools/setup_rtmp.sh` (installs nginx-light, libnginx-mod-rtmp, libnginx-mod-stream, openssl)"
START_TIMEOUT_S = 10.0
# Stream keys go into nginx's config verbatim: keep them to characters that need no quoting.
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")


class RtmpServerUnavailable(RuntimeError):
    """nginx or one of its modules is missing (the message says how to install them)."""


def missing_parts() -> list[str]:
    """What this machine lacks to run :class:`RtmpServer` (empty when everything is there)."""
    missing = [path for path in (NGINX, RTMP_MODULE, STREAM_MODULE) if not os.path.exists(path)]
    if shutil.which("openssl") is None:
        missing.append("openssl")
    return missing


def is_available() -> bool:
    return not missing_parts()


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# A test run that is killed (no ``__exit__``) takes nginx with it: util-linux's setpriv sets the
# parent-death signal and execs nginx.  Not a ``preexec_fn``: Python code between fork and exec in a
# busy multi-threaded test process can wait forever on a lock another thread held at the fork (CI
# hung there once, in ``_posixsubprocess.fork_exec``); without one, the child runs no Python at all.
_DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []


def _is_listening(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def _wait_closed(ports: list[int], timeout_s: float) -> None:
    """Until nothing listens on ``ports`` any more (or ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(_is_listening(port) for port in ports):
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Test certificates


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")


def make_test_certificates(directory: Path) -> dict[str, tuple[Path, Path]]:
    """A test CA (``ca.pem``) and the server certificates ``{name: (cert, key)}`` in ``directory``.

    ``valid``: signed by the CA for DNS ``localhost`` and IP 127.0.0.1; ``self_signed``: same
    names, signed by itself (no client trusts it); ``wrong_name``: signed by the CA for
    ``not-this-host.invalid``.  EC P-256 keys: quick to make.
    """
    directory.mkdir(parents=True, exist_ok=True)
    key_args = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *key_args, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Bridgecast test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    names = {"valid": ("localhost", "DNS:localhost,IP:127.0.0.1"),
             "wrong_name": ("not-this-host.invalid", "DNS:not-this-host.invalid")}
    certificates: dict[str, tuple[Path, Path]] = {}
    for name, (common_name, alt_names) in names.items():
        (directory / f"{name}.ext").write_text(
            f"subjectAltName={alt_names}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
            "extendedKeyUsage=serverAuth\n")
        _openssl("req", "-new", *key_args, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={common_name}", cwd=directory)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=directory)
        certificates[name] = (directory / f"{name}.pem", directory / f"{name}.key")
    _openssl("req", "-x509", *key_args, "-keyout", "self_signed.key", "-out", "self_signed.pem", "-days", "2",
             "-subj", f"/CN={TLS_HOST}", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=directory)
    certificates["self_signed"] = (directory / "self_signed.pem", directory / "self_signed.key")
    return certificates


# ---------------------------------------------------------------------------------------------
# What a viewer gets


@dataclass
class PullReport:
    """What pulling a live stream back showed (``None``: not seen).

    ``fps`` is measured from the video timestamps (frames − 1 over their span);
    ``keyframe_intervals_s`` are the gaps between consecutive keyframes.
    """

    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    video_frames: int = 0
    decoded_frames: int = 0
    keyframes: int = 0
    keyframe_intervals_s: list[float] = field(default_factory=list)
    video_span_s: float = 0.0
    audio_codec: str | None = None
    audio_profile: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    audio_packets: int = 0
    audio_span_s: float = 0.0
    first_video_s: float | None = None  # wall seconds from opening to the first packet
    first_audio_s: float | None = None
    last_video_pts_s: float | None = None  # stream timestamps of the last packets read
    last_audio_pts_s: float | None = None
    error: str | None = None

    @property
    def fps(self) -> float | None:
        if self.video_frames < 2 or self.video_span_s <= 0:
            return None
        return (self.video_frames - 1) / self.video_span_s

    @property
    def av_offset_s(self) -> float | None:
        """Last audio minus last video timestamp: about 0 when both arrive in sync."""
        if self.last_video_pts_s is None or self.last_audio_pts_s is None:
            return None
        return self.last_audio_pts_s - self.last_video_pts_s

    @property
    def max_keyframe_interval_s(self) -> float | None:
        return max(self.keyframe_intervals_s) if self.keyframe_intervals_s else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "video_codec": self.video_codec, "width": self.width, "height": self.height,
            "fps": round(self.fps, 2) if self.fps else None, "video_frames": self.video_frames,
            "decoded_frames": self.decoded_frames, "keyframes": self.keyframes,
            "max_keyframe_interval_s": self.max_keyframe_interval_s, "audio_codec": self.audio_codec,
            "audio_profile": self.audio_profile, "sample_rate": self.sample_rate, "channels": self.channels,
            "audio_packets": self.audio_packets,
            "av_offset_s": round(self.av_offset_s, 3) if self.av_offset_s is not None else None, "error": self.error,
        }


def pull(url: str, duration_s: float = 3.0, *, open_timeout_s: float = 10.0, decode: bool = True,
         options: dict[str, str] | None = None, on_video_frame: Any = None, on_audio_frame: Any = None) -> PullReport:
    """Read ``url`` (an RTMP stream being published) for ``duration_s`` of media time and report it.

    The first ``duration_s`` seconds of video after the viewer joins are read (at most
    ``duration_s + open_timeout_s`` of wall time); video packets are decoded when ``decode``
    (proof that a decoder can start where the server started us); ``on_video_frame(frame)`` /
    ``on_audio_frame(frame, packet)`` see every decoded frame (audio is decoded only for the
    hook), e.g. to read the time-code strip and the clicks (:mod:`bench.testbed.av_sync`).  Errors end up in
    :attr:`PullReport.error`, not raised, so a test can assert on the report.
    """
    import av

    report = PullReport()
    # rw_timeout (µs) bounds every read: a publisher that vanished must not hang the viewer.
    open_options = {"rw_timeout": str(int(open_timeout_s * 1_000_000)), "rtmp_live": "live"}
    open_options.update(options or {})
    started = time.monotonic()
    deadline = started + duration_s + open_timeout_s
    try:
        with av.open(url, options=open_options, timeout=open_timeout_s) as container:
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            if video is not None:
                report.video_codec = video.codec_context.name
                report.width, report.height = video.codec_context.width, video.codec_context.height
            if audio is not None:
                report.audio_codec = audio.codec_context.name
                report.audio_profile = audio.codec_context.profile
                report.sample_rate = audio.codec_context.sample_rate
                report.channels = audio.codec_context.channels
            streams = [stream for stream in (video, audio) if stream is not None]
            first_video: float | None = None
            last_keyframe: float | None = None
            first_audio: float | None = None
            for packet in container.demux(*streams):
                if packet.pts is None or packet.size == 0:
                    continue
                seconds = float(packet.pts * packet.time_base)
                if packet.stream is video:
                    if first_video is None:
                        first_video = seconds
                        report.first_video_s = time.monotonic() - started
                    report.video_frames += 1
                    report.video_span_s = seconds - first_video
                    report.last_video_pts_s = seconds
                    if packet.is_keyframe:
                        report.keyframes += 1
                        if last_keyframe is not None:
                            report.keyframe_intervals_s.append(round(seconds - last_keyframe, 3))
                        last_keyframe = seconds
                    if decode or on_video_frame is not None:
                        for frame in video.codec_context.decode(packet):
                            report.decoded_frames += 1
                            if on_video_frame is not None:
                                on_video_frame(frame)
                        report.width = video.codec_context.width or report.width
                        report.height = video.codec_context.height or report.height
                else:
                    if first_audio is None:
                        first_audio = seconds
                        report.first_audio_s = time.monotonic() - started
                    report.audio_packets += 1
                    report.audio_span_s = seconds - first_audio
                    report.last_audio_pts_s = seconds
                    if on_audio_frame is not None:
                        for frame in audio.codec_context.decode(packet):
                            on_audio_frame(frame, packet)
                if report.video_span_s >= duration_s or time.monotonic() > deadline:
                    break
    except (av.FFmpegError, OSError) as exc:
        report.error = f"{type(exc).__name__}: {exc}"
    return report


# ---------------------------------------------------------------------------------------------
# The server


class RtmpServer:
    """nginx as an RTMP ingest that accepts only ``keys``; optional RTMPS (``tls=True``).

    ::

        with RtmpServer(keys=["abc123"], tls=True) as server:
            publish_to(server.url("abc123"))                  # rtmp://127.0.0.1:PORT/live/abc123
            publish_to(server.url("abc123", tls=True), ca_file=server.ca_file)
            report = server.pull("abc123")                    # what a viewer gets

    Ports are chosen when :meth:`start` runs and kept by :meth:`restart`.  With ``netns``, nginx
    runs in that network namespace (its 127.0.0.1); call :meth:`start`/:meth:`restart` from a
    thread that outlives the server (nginx dies with the thread that started it).  ``startup_timeout_s``
    bounds the wait for nginx to listen.  :attr:`publish_checks` reads the keys nginx asked
    about (from the HTTP access log: ``[(key, status), ...]``, keys as sent).
    """

    def __init__(self, keys: Iterable[str] = ("test-key",), *, tls: bool = False,
                 startup_timeout_s: float = START_TIMEOUT_S, netns: str | None = None) -> None:
        self.keys = tuple(keys)
        self.netns = netns  # a network namespace to run in (None: this process's own)
        for key in self.keys:
            if not _KEY_PATTERN.match(key):
                raise ValueError("test stream keys use letters, digits and . _ ~ - only")
        self.has_tls = bool(tls)
        self.startup_timeout_s = float(startup_timeout_s)
        self.port = 0
        self.http_port = 0
        self.tls_ports: dict[str, int] = {}
        self.directory: Path | None = None
        self.ca_file: Path | None = None
        self._certificates: dict[str, tuple[Path, Path]] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._owns_directory = False

    # ------------------------------------------------------------------ addresses

    def url(self, key: str, tls: bool = False, *, certificate: str = "valid", host: str | None = None) -> str:
        """The publish (and play) URL for ``key``; ``tls`` gives the RTMPS address presenting
        ``certificate`` (``valid``, ``self_signed`` or ``wrong_name``)."""
        if not tls:
            return f"rtmp://{host or HOST}:{self.port}/{APPLICATION}/{key}"
        if not self.has_tls:
            raise ValueError("this RtmpServer was started without tls=True")
        if certificate not in self.tls_ports:
            raise ValueError(f"certificate must be one of {CERTIFICATES}")
        return f"rtmps://{host or TLS_HOST}:{self.tls_ports[certificate]}/{APPLICATION}/{key}"

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def call(self, fn: Any, *args: Any, timeout: float | None = 120.0, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` where this server is reachable: in a short-lived thread inside
        :attr:`netns` when there is one (see ``bench.testbed.harness.call_in_netns``), else here."""
        if self.netns is None:
            return fn(*args, **kwargs)
        from bench.testbed.harness import call_in_netns

        return call_in_netns(self.netns, fn, *args, timeout=timeout, **kwargs)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "RtmpServer":
        """Write the config (and certificates), start nginx and wait until every port listens."""
        missing = missing_parts()
        if missing:
            raise RtmpServerUnavailable(f"missing {', '.join(missing)}: {SETUP_HINT}")
        with self._lock:
            if self._process is not None:
                raise RuntimeError("this RtmpServer is already running")
            if self.directory is None:
                self.directory = Path(tempfile.mkdtemp(prefix="bridgecast-rtmp-"))
                self._owns_directory = True
                self.port, self.http_port = self.call(free_port), self.call(free_port)
                if self.has_tls:
                    self._certificates = make_test_certificates(self.directory / "tls")
                    self.ca_file = self.directory / "tls" / "ca.pem"
                    self.tls_ports = {name: self.call(free_port) for name in CERTIFICATES}
                (self.directory / "nginx.conf").write_text(self._config())
            self._spawn()
        return self

    def _spawn(self) -> None:
        assert self.directory is not None
        for sub in ("logs", "temp"):
            (self.directory / sub).mkdir(exist_ok=True)
        log = open(self.directory / "logs" / "stderr.log", "ab")
        command = [*_DIE_WITH_PARENT, NGINX, "-p", str(self.directory), "-c", str(self.directory / "nginx.conf"),
                   "-e", str(self.directory / "logs" / "error.log"), "-g", "daemon off;"]
        if self.netns is not None:
            command = ["ip", "netns", "exec", self.netns, *command]  # ip execs nginx: same pid
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        finally:
            log.close()
        ports = [self.port, self.http_port, *self.tls_ports.values()]
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self.call(lambda: all(_is_listening(port) for port in ports), timeout=10.0):
                return
            time.sleep(0.05)
        errors = self._read_log("error.log") + self._read_log("stderr.log")
        self._terminate(signal.SIGKILL)
        raise RuntimeError(f"nginx did not start listening on {ports}: {errors.strip()[-2000:]}")

    def kill(self) -> None:
        """End nginx at once (SIGKILL, its whole process group): connections drop like a crash."""
        with self._lock:
            self._terminate(signal.SIGKILL)

    def restart(self) -> None:
        """Start nginx again on the same ports (after :meth:`kill` or :meth:`stop`)."""
        with self._lock:
            if self.directory is None:
                raise RuntimeError("start() the server first")
            self._terminate(signal.SIGKILL)
            self._spawn()

    def stop(self) -> None:
        """Stop nginx (gracefully, then by force) and delete the temporary directory."""
        with self._lock:
            self._terminate(signal.SIGTERM)
            if self._owns_directory and self.directory is not None:
                shutil.rmtree(self.directory, ignore_errors=True)
                self.directory = None
                self._owns_directory = False

    def _terminate(self, how: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, how)  # the process group this server created
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        # The kernel closes the listening sockets with the process; make sure before a restart.
        self.call(_wait_closed, [self.port, self.http_port, *self.tls_ports.values()], 5.0, timeout=10.0)

    def __enter__(self) -> "RtmpServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ viewers and logs

    def pull(self, key: str, duration_s: float = 3.0, **kwargs: Any) -> PullReport:
        """What a viewer of ``key`` gets right now (plain RTMP; see :func:`pull`)."""
        return self.call(pull, self.url(key), duration_s, **kwargs)

    @property
    def publish_checks(self) -> list[tuple[str, int]]:
        """``(key, status)`` for every on_publish check nginx made, oldest first."""
        checks = []
        for line in self._read_log("publish_checks.log").splitlines():
            key, _sep, status = line.rpartition(" ")
            if key and status.isdigit():
                checks.append((key, int(status)))
        return checks

    def error_log(self) -> str:
        return self._read_log("error.log")

    def _read_log(self, name: str) -> str:
        if self.directory is None:
            return ""
        try:
            return (self.directory / "logs" / name).read_text(errors="replace")
        except OSError:
            return ""

    # ------------------------------------------------------------------ config

    def _config(self) -> str:
        directory = self.directory
        assert directory is not None
        allowed = "\n".join(f"        {key} 1;" for key in self.keys)
        tls_servers = ""
        if self.has_tls:
            servers = []
            for name, port in self.tls_ports.items():
                cert, key = self._certificates[name]
                servers.append(f"""
    server {{
        listen {HOST}:{port} ssl;
        proxy_pass {HOST}:{self.port};
        ssl_certificate {cert};
        ssl_certificate_key {key};
    }}""")
            tls_servers = "stream {" + "".join(servers) + "\n}\n"
        temp = directory / "temp"
        return f"""# Written by bench/testbed/rtmp_server.py for one test-bed instance.
load_module {RTMP_MODULE};
load_module {STREAM_MODULE};
# One process (no master/worker pair): killing it ends every connection at once and nothing is
# left behind to reap.
master_process off;
pid {directory}/nginx.pid;
error_log {directory}/logs/error.log info;
events {{ worker_connections 256; }}

rtmp {{
    server {{
        listen {HOST}:{self.port};
        chunk_size 4096;
        application {APPLICATION} {{
            live on;
            # Viewers start at a keyframe with its parameter sets: the first frame decodes.
            wait_key on;
            wait_video on;
            on_publish http://{HOST}:{self.http_port}/check;
            notify_method get;
        }}
    }}
}}

http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    map $arg_name $is_known_key {{
        default 0;
{allowed}
    }}
    log_format publish_check '$arg_name $status';
    server {{
        listen {HOST}:{self.http_port};
        location = /check {{
            access_log {directory}/logs/publish_checks.log publish_check;
            if ($is_known_key) {{
                return 200 "ok\\n";
            }}
            return 403 "unknown stream key\\n";
        }}
    }}
}}
{tls_servers}"""


@contextlib.contextmanager
def running_rtmp_server(keys: Iterable[str] = ("test-key",), *, tls: bool = False,
                        netns: str | None = None) -> Iterator[RtmpServer]:
    """``with running_rtmp_server(["k"]) as server:`` — the same as ``with RtmpServer(...)``."""
    with RtmpServer(keys, tls=tls, netns=netns) as server:
        yield server
