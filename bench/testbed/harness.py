"""A real SFU on one machine for WHIP/network tests: Janus VideoRoom + simple-whip-server.

Everything runs inside a private network namespace (``198.18.0.0/24``), because neither ICE
stack will use loopback: aioice drops 127.0.0.1 and libnice (Janus) ignores ``lo`` and any
interface named ``veth*``.  Install the binaries first with ``tools/setup_sfu.sh`` (as root).

Layout (``NetNamespace(split=False)``, the default)::

    netns <name>:  lo up, bca0 198.18.0.1/24 <-veth-> bcb0 198.18.0.2/24
                   janus (HTTP 8088 /janus, admin 7088 /admin, WebSocket 8188)
                   simple-whip-server (HTTP 7080 /whip)

Both addresses are local to one namespace, so the kernel delivers traffic between them over
``lo``: nothing crosses the veth and a qdisc on it shapes nothing.  ``split=True`` moves
``bcb0`` into a second namespace (``<name>-c``, :attr:`NetNamespace.client`) so a publisher
there reaches 198.18.0.1 really over the veth pair (where shaping can be applied).

Network namespaces are per *thread*: :func:`enter_netns_in_this_thread` moves only the calling
thread, so an asyncio loop thread (:class:`NetnsLoop`) can run aiortc inside the namespace while
pytest itself stays outside.  Threads started from such a thread inherit its namespace.
Subprocesses go in with ``ip netns exec`` (:func:`popen_in_netns`, :func:`run_in_netns`).
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import ctypes
import itertools
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

SERVER_IP = "198.18.0.1"
CLIENT_IP = "198.18.0.2"
PREFIX_LEN = 24
NETNS_PREFIX = "bcsfu-"
SERVER_IF = "bca0"
CLIENT_IF = "bcb0"

JANUS_HTTP_PORT = 8088
JANUS_ADMIN_PORT = 7088
JANUS_WS_PORT = 8188
WHIP_PORT = 7080
ADMIN_SECRET = "janusoverlord"
ROOM = 1234

SETUP_HINT = "run `sudo tools/setup_sfu.sh` (installs Janus, simple-whip-server, iproute2, Chromium)"

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_counter = itertools.count(1)


class SfuSetupError(RuntimeError):
    """The SFU test bed is not installed (or this process may not use network namespaces)."""


# --------------------------------------------------------------------------------------------
# Where things are
# --------------------------------------------------------------------------------------------
def sfu_dir() -> Path:
    env = os.environ.get("BRIDGECAST_SFU_DIR")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "bridgecast" / "sfu"


def whip_server_dir() -> Path:
    return sfu_dir() / "simple-whip-server"


def _janus_lib_dir() -> Path | None:
    for candidate in (
        Path("/usr/lib/x86_64-linux-gnu/janus"),
        Path("/usr/lib/aarch64-linux-gnu/janus"),
        Path("/usr/lib/janus"),
        Path("/opt/janus/lib/janus"),
    ):
        if (candidate / "plugins" / "libjanus_videoroom.so").exists():
            return candidate
    return None


def check_prerequisites() -> None:
    """Raise :class:`SfuSetupError` (saying to run tools/setup_sfu.sh) if anything is missing."""
    problems = []
    if os.geteuid() != 0:
        problems.append("network namespaces need root (tests run as root in CI)")
    for binary in ("ip", "janus", "node"):
        if shutil.which(binary) is None:
            problems.append(f"`{binary}` not found")
    lib = _janus_lib_dir()
    if lib is None:
        problems.append("Janus VideoRoom plugin (libjanus_videoroom.so) not found")
    else:
        for transport in ("libjanus_http.so", "libjanus_websockets.so"):
            if not (lib / "transports" / transport).exists():
                problems.append(f"Janus transport {transport} not found")
    wdir = whip_server_dir()
    if not (wdir / "src" / "server.js").exists() or not (wdir / "node_modules" / "websocket").exists():
        problems.append(f"simple-whip-server not installed in {wdir}")
    if problems:
        raise SfuSetupError("SFU test bed not ready: " + "; ".join(problems) + f" -- {SETUP_HINT}")


# --------------------------------------------------------------------------------------------
# Network namespaces
# --------------------------------------------------------------------------------------------
def enter_netns_in_this_thread(name: str) -> None:
    """Move the calling thread (only it) into network namespace ``name`` (setns(2))."""
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, _CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def _ns_cmd(name: str, cmd: list[str] | tuple[str, ...]) -> list[str]:
    return ["ip", "netns", "exec", name, *cmd]


def run_in_netns(name: str, cmd: list[str] | tuple[str, ...], *, check: bool = True,
                 timeout: float = 30.0, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run ``cmd`` inside the namespace and wait for it (captures text output by default)."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run(_ns_cmd(name, cmd), check=check, timeout=timeout, **kwargs)


def popen_in_netns(name: str, cmd: list[str] | tuple[str, ...], **kwargs: Any) -> subprocess.Popen:
    """Start ``cmd`` inside the namespace (``ip netns exec`` execs it: the pid is the command's)."""
    kwargs.setdefault("start_new_session", True)
    return subprocess.Popen(_ns_cmd(name, cmd), **kwargs)


def call_in_netns(name: str, fn: Callable[..., Any], *args: Any, timeout: float | None = 60.0,
                  **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)`` in a short-lived thread inside the namespace; return its result.

    The thread is joined before returning (no thread outlives the call unless it times out).
    """
    box: dict[str, Any] = {}

    def body() -> None:
        try:
            enter_netns_in_this_thread(name)
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=body, name=f"sfu-call-{name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"call_in_netns({name}, {getattr(fn, '__name__', fn)}) still running after {timeout}s")
    if "error" in box:
        raise box["error"]
    return box.get("result")


def run_async_in_netns(name: str, coro_fn: Callable[..., Any], *args: Any, timeout: float = 60.0) -> Any:
    """``asyncio.run(coro_fn(*args))`` in a short-lived thread inside the namespace."""
    return call_in_netns(name, lambda: asyncio.run(coro_fn(*args)), timeout=timeout + 5)


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True, timeout=30)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_netns_processes(name: str) -> None:
    out = _ip("netns", "pids", name, check=False).stdout.split()
    for pid in out:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


def cleanup_stale_namespaces() -> list[str]:
    """Delete ``bcsfu-<pid>-…`` namespaces whose creating process is gone (crashed runs)."""
    removed = []
    listing = _ip("netns", "list", check=False).stdout.splitlines()
    for line in listing:
        name = line.split()[0] if line.split() else ""
        if not name.startswith(NETNS_PREFIX):
            continue
        try:
            pid = int(name[len(NETNS_PREFIX):].split("-")[0])
        except ValueError:
            continue
        if pid == os.getpid() or _pid_alive(pid):
            continue
        _kill_netns_processes(name)
        _ip("netns", "del", name, check=False)
        removed.append(name)
    return removed


class NetNamespace:
    """A private network namespace with the veth pair ``bca0``/``bcb0`` in 198.18.0.0/24.

    ``split=False``: both ends in this namespace (198.18.0.1 and .2).  ``split=True``: ``bcb0``
    (198.18.0.2) lives in a second namespace :attr:`client`, so client↔server traffic really
    crosses the veth.  Names are ``bcsfu-<pid>-<n>`` so parallel runs never collide; stale
    namespaces of dead processes are removed on creation.  Use as a context manager.
    """

    def __init__(self, name: str | None = None, *, split: bool = False) -> None:
        self.name = name or f"{NETNS_PREFIX}{os.getpid()}-{next(_counter)}"
        self.split = split
        self.client = f"{self.name}-c" if split else self.name
        self.server_ip = SERVER_IP
        self.client_ip = CLIENT_IP
        self.server_if = SERVER_IF
        self.client_if = CLIENT_IF
        self._created: list[str] = []

    def create(self) -> "NetNamespace":
        cleanup_stale_namespaces()
        try:
            for ns in dict.fromkeys((self.name, self.client)):
                _ip("netns", "add", ns)
                self._created.append(ns)
                _ip("-n", ns, "link", "set", "lo", "up")
                # No IPv6 noise (tentative link-local addresses, extra candidates).
                run_in_netns(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"], check=False)
                run_in_netns(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"], check=False)
            # Create the pair directly inside the namespace: nothing appears in the root one.
            _ip("-n", self.name, "link", "add", SERVER_IF, "type", "veth", "peer", "name", CLIENT_IF)
            if self.split:
                _ip("-n", self.name, "link", "set", CLIENT_IF, "netns", self.client)
            _ip("-n", self.name, "addr", "add", f"{SERVER_IP}/{PREFIX_LEN}", "dev", SERVER_IF)
            _ip("-n", self.client, "addr", "add", f"{CLIENT_IP}/{PREFIX_LEN}", "dev", CLIENT_IF)
            _ip("-n", self.name, "link", "set", SERVER_IF, "up")
            _ip("-n", self.client, "link", "set", CLIENT_IF, "up")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        for ns in reversed(self._created):
            _kill_netns_processes(ns)
            _ip("netns", "del", ns, check=False)
        self._created.clear()

    def exists(self) -> bool:
        names = {line.split()[0] for line in _ip("netns", "list", check=False).stdout.splitlines() if line.split()}
        return self.name in names

    def link_stats(self, ifname: str = SERVER_IF) -> dict[str, int]:
        """rx/tx byte and packet counters of an interface (``bca0`` lives in the server ns)."""
        ns = self.name if ifname == SERVER_IF or not self.split else self.client
        data = json.loads(_ip("-n", ns, "-s", "-j", "link", "show", ifname).stdout)[0]["stats64"]
        return {
            "rx_bytes": data["rx"]["bytes"], "rx_packets": data["rx"]["packets"],
            "tx_bytes": data["tx"]["bytes"], "tx_packets": data["tx"]["packets"],
        }

    def __enter__(self) -> "NetNamespace":
        return self.create()

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# An asyncio loop in a thread inside a namespace
# --------------------------------------------------------------------------------------------
class NetnsLoop:
    """An asyncio event loop running in its own thread inside network namespace ``netns``.

    ``run(coro, timeout)`` executes a coroutine there and blocks for its result; ``submit``
    returns a concurrent Future.  ``close()`` cancels leftover tasks, shuts the default executor
    down and joins the thread.
    """

    def __init__(self, netns: str, name: str | None = None) -> None:
        self.netns = netns
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._main, name=name or f"sfu-loop-{next(_counter)}", daemon=True
        )
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error

    def _main(self) -> None:
        try:
            enter_netns_in_this_thread(self.netns)
        except BaseException as exc:  # noqa: BLE001
            self._error = exc
            self._ready.set()
            return
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            try:
                pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    self.loop.run_until_complete(asyncio.wait(pending, timeout=5))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
                self.loop.run_until_complete(self.loop.shutdown_default_executor())
            finally:
                self.loop.close()

    def submit(self, coro: Any) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Any, timeout: float | None = 30.0) -> Any:
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"coroutine did not finish within {timeout}s") from None

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive() and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)

    def __enter__(self) -> "NetnsLoop":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# A tiny asyncio HTTP/1.1 client (sockets are made in the calling loop's thread => its netns)
# --------------------------------------------------------------------------------------------
@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return bytes(out)


async def http_request(method: str, url: str, *, body: bytes | str | dict | list | None = None,
                       headers: dict[str, str] | None = None, timeout: float = 10.0) -> HttpResponse:
    """One HTTP request on a fresh connection (``Connection: close``).  ``dict``/``list`` bodies
    are sent as JSON.  Cancelling the task closes the socket (long-polls stop at once)."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    hdrs = {"Host": parts.netloc, "Connection": "close", "Accept": "*/*"}
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body or b""
    if data or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
        hdrs["Content-Length"] = str(len(data))
    hdrs.update(headers or {})
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(head.encode("latin-1") + data)
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
    header_blob, _, payload = raw.partition(b"\r\n\r\n")
    lines = header_blob.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        raise ConnectionError(f"{method} {url}: no HTTP response ({raw[:80]!r})")
    status = int(lines[0].split()[1])
    headers_out: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        key = key.strip().lower()
        value = value.strip()
        headers_out[key] = f"{headers_out[key]}, {value}" if key in headers_out else value
    if "chunked" in headers_out.get("transfer-encoding", "").lower():
        payload = _dechunk(payload)
    elif "content-length" in headers_out:
        payload = payload[: int(headers_out["content-length"])]
    return HttpResponse(status, headers_out, payload, url)


def http_request_in_netns(netns: str, method: str, url: str, **kwargs: Any) -> HttpResponse:
    """Blocking :func:`http_request` from a short-lived thread inside ``netns``."""
    timeout = kwargs.get("timeout", 10.0)
    return run_async_in_netns(netns, lambda: http_request(method, url, **kwargs), timeout=timeout)


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def _stop_process(proc: subprocess.Popen | None, grace: float = 5.0) -> int | None:
    if proc is None:
        return None
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    return proc.returncode


def _kill_process(proc: subprocess.Popen | None) -> int | None:
    if proc is None:
        return None
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    return proc.returncode


# --------------------------------------------------------------------------------------------
# Janus
# --------------------------------------------------------------------------------------------
def _jcfg_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))


def _jcfg(sections: dict[str, dict[str, Any]]) -> str:
    out = []
    for section, items in sections.items():
        out.append(f"{section}: {{")
        out.extend(f"\t{key} = {_jcfg_value(value)}" for key, value in items.items())
        out.append("}")
    return "\n".join(out) + "\n"


DEFAULT_ROOM: dict[str, Any] = {
    "description": "Bridgecast test room",
    "publishers": 6,
    "bitrate": 6_000_000,          # per-publisher cap Janus signals with REMB (bits/s)
    "bitrate_cap": False,
    "fir_freq": 10,                # Janus asks publishers for a keyframe every 10 s
    "audiocodec": "opus",
    "videocodec": "h264,vp8",      # first one the publisher offers wins
    "notify_joining": True,
    "transport_wide_cc_ext": True,
    "audiolevel_ext": True,
    "record": False,
    # No h264_profile: Janus then takes the publisher's H.264 payload whatever its
    # profile-level-id (42e01f = level 3.1 from aiortc, 42e028/640028 for 1080p).
    # Simulcast needs no room option: VideoRoom accepts rid/SSRC simulcast per publisher.
}


@dataclass
class JanusServer:
    """Janus (VideoRoom only; HTTP, admin and WebSocket transports) inside ``netns``.

    ``rooms`` maps room id -> settings (defaults: room 1234 with :data:`DEFAULT_ROOM`).
    """

    netns: NetNamespace
    workdir: Path
    rooms: dict[int, dict[str, Any]] = field(default_factory=lambda: {ROOM: dict(DEFAULT_ROOM)})
    debug_level: int = 3
    rtp_port_range: str = "20000-40000"
    proc: subprocess.Popen | None = None
    startup_s: float = 0.0

    @property
    def ip(self) -> str:
        return self.netns.server_ip

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{JANUS_HTTP_PORT}/janus"

    @property
    def admin_url(self) -> str:
        return f"http://{self.ip}:{JANUS_ADMIN_PORT}/admin"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.ip}:{JANUS_WS_PORT}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "janus.log"

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)

    def write_config(self) -> Path:
        lib = _janus_lib_dir()
        if lib is None:
            raise SfuSetupError(f"Janus is not installed -- {SETUP_HINT}")
        cfg = self.workdir / "janus-config"
        if cfg.exists():
            shutil.rmtree(cfg)
        for sub in ("plugins", "transports", "events", "loggers"):
            (cfg / sub).mkdir(parents=True)
        # Private plugin/transport folders holding only what we use: loads fast, nothing else binds.
        (cfg / "plugins" / "libjanus_videoroom.so").symlink_to(lib / "plugins" / "libjanus_videoroom.so")
        for transport in ("libjanus_http.so", "libjanus_websockets.so"):
            (cfg / "transports" / transport).symlink_to(lib / "transports" / transport)
        (cfg / "janus.jcfg").write_text(_jcfg({
            "general": {
                "configs_folder": str(cfg),
                "plugins_folder": str(cfg / "plugins"),
                "transports_folder": str(cfg / "transports"),
                "events_folder": str(cfg / "events"),
                "loggers_folder": str(cfg / "loggers"),
                "debug_level": self.debug_level,
                "debug_timestamps": True,
                "debug_colors": False,
                "admin_secret": ADMIN_SECRET,
                "server_name": "bridgecast-test-sfu",
                # The SDP c= address (no default route in the namespace to guess one from).
                "interface": self.ip,
                "session_timeout": 60,
            },
            "certificates": {},
            "media": {"rtp_port_range": self.rtp_port_range},
            "nat": {"nice_debug": False, "ice_ignore_list": "vmnet"},
            "plugins": {},
            "transports": {},
            "loggers": {},
            "events": {},
        }))
        (cfg / "janus.transport.http.jcfg").write_text(_jcfg({
            "general": {"json": "compact", "base_path": "/janus", "http": True, "port": JANUS_HTTP_PORT,
                        "https": False},
            "admin": {"admin_base_path": "/admin", "admin_http": True, "admin_port": JANUS_ADMIN_PORT,
                      "admin_https": False},
            "cors": {},
        }))
        (cfg / "janus.transport.websockets.jcfg").write_text(_jcfg({
            "general": {"json": "compact", "ws": True, "ws_port": JANUS_WS_PORT, "wss": False},
            "admin": {"admin_ws": False, "admin_wss": False},
            "cors": {},
        }))
        rooms = {"general": {}}
        for room_id, settings in self.rooms.items():
            rooms[f"room-{room_id}"] = settings
        (cfg / "janus.plugin.videoroom.jcfg").write_text(_jcfg(rooms))
        return cfg

    def start(self, timeout: float = 20.0) -> "JanusServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        cfg = self.write_config()
        t0 = time.monotonic()
        log = open(self.log_path, "ab")
        try:
            self.proc = popen_in_netns(
                self.netns.name,
                ["janus", "-C", str(cfg / "janus.jcfg"), "-F", str(cfg), "-o"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        finally:
            log.close()
        self._wait_ready(timeout)
        self.startup_s = time.monotonic() - t0
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout

        async def poll() -> None:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"janus exited with {self.proc.returncode}:\n{self.log_tail()}")
                with contextlib.suppress(OSError, ConnectionError, asyncio.TimeoutError):
                    info = await http_request("GET", f"{self.url}/info", timeout=1.0)
                    ws_ok = False
                    with contextlib.suppress(OSError):
                        _, w = await asyncio.open_connection(self.ip, JANUS_WS_PORT)
                        w.close()
                        ws_ok = True
                    if info.status == 200 and ws_ok:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"janus did not answer {self.url}/info within {timeout}s:\n{self.log_tail()}")
                await asyncio.sleep(0.05)

        run_async_in_netns(self.netns.name, poll, timeout=timeout + 5)

    def info(self) -> dict:
        resp = http_request_in_netns(self.netns.name, "GET", f"{self.url}/info")
        return resp.json()

    def api(self, plugin_body: dict, *, plugin: str = "janus.plugin.videoroom", timeout: float = 10.0) -> dict:
        """A synchronous plugin request (e.g. ``listparticipants``) on a throw-away session;
        returns the plugin's ``data``."""
        url = self.url

        async def go() -> dict:
            client = JanusHttpSession(url)
            await client.create()
            try:
                await client.attach(plugin)
                return await client.message_sync(plugin_body)
            finally:
                await client.destroy()

        return run_async_in_netns(self.netns.name, go, timeout=timeout)

    def list_participants(self, room: int = ROOM) -> list[dict]:
        return self.api({"request": "listparticipants", "room": room}).get("participants", [])

    def publishers(self, room: int = ROOM) -> list[dict]:
        return [p for p in self.list_participants(room) if p.get("publisher")]

    def admin(self, request: str, **fields: Any) -> dict:
        """An admin API request (``list_sessions``, ``list_handles``, ``handle_info``…)."""
        body = {"janus": request, "transaction": os.urandom(6).hex(), "admin_secret": ADMIN_SECRET, **fields}
        path = self.admin_url
        if "session_id" in fields:
            path += f"/{fields['session_id']}"
            body.pop("session_id")
            if "handle_id" in fields:
                path += f"/{fields['handle_id']}"
                body.pop("handle_id")
        return http_request_in_netns(self.netns.name, "POST", path, body=body).json()

    def selected_pairs(self) -> list[str]:
        """Every handle's ICE ``selected-pair`` as Janus reports it (admin ``handle_info``), e.g.
        ``"198.18.0.1:20001 [host,udp] <-> 198.18.0.1:49200 [prflx,udp]"``: where media really flows."""
        found: list[str] = []

        def collect(value: Any) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if key == "selected-pair" and isinstance(item, str):
                        found.append(item)
                    else:
                        collect(item)
            elif isinstance(value, list):
                for item in value:
                    collect(item)

        for session_id in self.admin("list_sessions").get("sessions", []):
            for handle_id in self.admin("list_handles", session_id=session_id).get("handles", []):
                collect(self.admin("handle_info", session_id=session_id, handle_id=handle_id).get("info", {}))
        return found

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        code = _stop_process(self.proc)
        return code

    def kill(self) -> int | None:
        """SIGKILL (no goodbye to any peer: a crash or a pulled plug)."""
        return _kill_process(self.proc)

    def restart(self, timeout: float = 20.0) -> "JanusServer":
        """Stop (if running) and start again with the same config: rooms come back empty."""
        self.stop()
        return self.start(timeout)

    def kick_publishers(self, room: int = ROOM) -> int:
        """Kick every publisher out of ``room`` (Janus hangs their PeerConnections up, as a
        moderator or the platform would); returns how many."""
        publishers = self.publishers(room)
        for publisher in publishers:
            self.api({"request": "kick", "room": room, "id": publisher["id"]})
        return len(publishers)


# --------------------------------------------------------------------------------------------
# simple-whip-server
# --------------------------------------------------------------------------------------------
@dataclass
class WhipServer:
    """simple-whip-server (node) inside the namespace, talking to Janus over WebSocket."""

    netns: NetNamespace
    janus: JanusServer
    workdir: Path | None = None
    port: int = WHIP_PORT
    proc: subprocess.Popen | None = None
    startup_s: float = 0.0

    @property
    def ip(self) -> str:
        return self.netns.server_ip

    @property
    def base_url(self) -> str:
        return f"http://{self.ip}:{self.port}/whip"

    @property
    def log_path(self) -> Path:
        return (self.workdir or self.janus.workdir) / "whip-server.log"

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)

    def endpoint_url(self, endpoint_id: str) -> str:
        return f"{self.base_url}/endpoint/{endpoint_id}"

    def start(self, timeout: float = 20.0) -> "WhipServer":
        wdir = whip_server_dir()
        if not (wdir / "src" / "server.js").exists():
            raise SfuSetupError(f"simple-whip-server not installed in {wdir} -- {SETUP_HINT}")
        workdir = self.workdir or self.janus.workdir
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "whip-config.json"
        # 127.0.0.1 works too (same namespace); the veth address also works in split mode.
        config.write_text(json.dumps({
            "janus": {"address": f"ws://127.0.0.1:{JANUS_WS_PORT}"},
            "port": self.port,
            "rest": "/whip",
            "allowTrickle": True,
            "strictETags": False,
            "iceServers": [],
        }))
        env = dict(os.environ, WHIP_CONFIG_JSON=str(config), DEBUG="whip:*,janus:*", NO_COLOR="1",
                   FORCE_COLOR="0", DEBUG_COLORS="0")
        t0 = time.monotonic()
        log = open(self.log_path, "ab")
        try:
            self.proc = popen_in_netns(self.netns.name, ["node", "src/server.js"], cwd=str(wdir), env=env,
                                       stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            log.close()
        deadline = time.monotonic() + timeout

        async def poll() -> None:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"simple-whip-server exited with {self.proc.returncode}:\n{self.log_tail()}")
                with contextlib.suppress(OSError, ConnectionError, asyncio.TimeoutError):
                    resp = await http_request("GET", f"{self.base_url}/endpoints", timeout=1.0)
                    if resp.status == 200:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"simple-whip-server not ready within {timeout}s:\n{self.log_tail()}")
                await asyncio.sleep(0.05)

        run_async_in_netns(self.netns.name, poll, timeout=timeout + 5)
        self.startup_s = time.monotonic() - t0
        return self

    def create_endpoint(self, endpoint_id: str, room: int = ROOM, token: str | None = None,
                        label: str | None = None, **extra: Any) -> str:
        """Create WHIP endpoint ``endpoint_id`` publishing into ``room``; return its WHIP URL.

        ``token`` makes the endpoint require ``Authorization: Bearer <token>`` (403 otherwise).
        ``label`` is the publisher's display name in the room (defaults to the id: the server
        keys its Janus sessions by label, so two endpoints must never share one).
        """
        body = {"id": endpoint_id, "room": room, "label": label or endpoint_id, **extra}
        if token is not None:
            body["token"] = token
        resp = http_request_in_netns(self.netns.name, "POST", f"{self.base_url}/create", body=body)
        if resp.status != 200:
            raise RuntimeError(f"/whip/create {endpoint_id}: {resp.status} {resp.text}")
        return self.endpoint_url(endpoint_id)

    def destroy_endpoint(self, endpoint_id: str, token: str | None = None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return http_request_in_netns(self.netns.name, "DELETE", self.endpoint_url(endpoint_id), headers=headers).status

    def endpoints(self) -> list[dict]:
        return http_request_in_netns(self.netns.name, "GET", f"{self.base_url}/endpoints").json()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        return _stop_process(self.proc, grace=3.0)

    def kill(self) -> int | None:
        """SIGKILL (no goodbye to any peer: a crash or a pulled plug)."""
        return _kill_process(self.proc)

    def restart(self, timeout: float = 20.0) -> "WhipServer":
        """Stop (if running) and start again: endpoints are in memory, recreate them after."""
        self.stop()
        return self.start(timeout)


# --------------------------------------------------------------------------------------------
# Janus HTTP API session (async; use inside a loop that lives in the namespace)
# --------------------------------------------------------------------------------------------
class JanusError(RuntimeError):
    pass


class JanusHttpSession:
    """Janus's REST API: create session, attach a plugin, messages, long-poll events."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.session_id: int | None = None
        self.handle_id: int | None = None
        self.events: list[dict] = []
        self._cond: asyncio.Condition | None = None
        self._poller: asyncio.Task | None = None

    @staticmethod
    def _tx() -> str:
        return os.urandom(8).hex()

    async def _post(self, path: str, body: dict, timeout: float = 10.0) -> dict:
        resp = await http_request("POST", self.url + path, body=body, timeout=timeout)
        data = resp.json()
        if data.get("janus") == "error":
            raise JanusError(f"{body.get('janus')} -> {data.get('error')}")
        return data

    async def create(self) -> int:
        data = await self._post("", {"janus": "create", "transaction": self._tx()})
        self.session_id = data["data"]["id"]
        return self.session_id

    async def attach(self, plugin: str = "janus.plugin.videoroom") -> int:
        data = await self._post(f"/{self.session_id}", {"janus": "attach", "plugin": plugin, "transaction": self._tx()})
        self.handle_id = data["data"]["id"]
        return self.handle_id

    async def message_sync(self, body: dict) -> dict:
        """A plugin request answered at once (``success`` + plugindata); returns plugin data."""
        data = await self._post(f"/{self.session_id}/{self.handle_id}",
                                {"janus": "message", "body": body, "transaction": self._tx()})
        plugin_data = data.get("plugindata", {}).get("data", {})
        if "error" in plugin_data:
            raise JanusError(f"{body.get('request')}: {plugin_data.get('error_code')} {plugin_data['error']}")
        return plugin_data

    def start_polling(self) -> None:
        self._cond = asyncio.Condition()
        self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        assert self._cond is not None
        while True:
            try:
                resp = await http_request("GET", f"{self.url}/{self.session_id}?maxev=10&rid={int(time.time()*1000)}",
                                          timeout=40.0)
                batch = resp.json()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - transient; Janus may be going away
                await asyncio.sleep(0.2)
                continue
            if isinstance(batch, dict):
                batch = [batch]
            if batch and all(ev.get("janus") == "keepalive" for ev in batch):
                continue
            async with self._cond:
                self.events.extend(ev for ev in batch if ev.get("janus") != "keepalive")
                self._cond.notify_all()

    async def wait_event(self, predicate: Callable[[dict], bool], timeout: float = 10.0) -> dict:
        assert self._cond is not None, "start_polling() first"
        async with asyncio.timeout(timeout):
            async with self._cond:
                while True:
                    for ev in self.events:
                        if predicate(ev):
                            self.events.remove(ev)
                            return ev
                    await self._cond.wait()

    async def message(self, body: dict, jsep: dict | None = None, timeout: float = 10.0) -> dict:
        """An asynchronous plugin request: ``ack`` now, the result as an event; returns the event."""
        tx = self._tx()
        req: dict[str, Any] = {"janus": "message", "body": body, "transaction": tx}
        if jsep is not None:
            req["jsep"] = jsep
        data = await self._post(f"/{self.session_id}/{self.handle_id}", req)
        if data.get("janus") == "success":  # answered synchronously after all
            return data
        event = await self.wait_event(lambda ev: ev.get("transaction") == tx and ev.get("janus") == "event", timeout)
        plugin_data = event.get("plugindata", {}).get("data", {})
        if "error" in plugin_data:
            raise JanusError(f"{body.get('request')}: {plugin_data.get('error_code')} {plugin_data['error']}")
        return event

    async def destroy(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
            self._poller = None
        if self.session_id is not None:
            with contextlib.suppress(Exception):
                await self._post(f"/{self.session_id}", {"janus": "destroy", "transaction": self._tx()}, timeout=3.0)
            self.session_id = None


# --------------------------------------------------------------------------------------------
# A subscriber (aiortc) through Janus's HTTP API
# --------------------------------------------------------------------------------------------
class ReceivedFrame(NamedTuple):
    width: int
    height: int
    recv_ms: int           # wall clock (time.time_ns() // 1e6) when aiortc handed the frame over
    image: Any             # numpy RGB (H, W, 3) uint8 when the subscriber keeps images, else None


class JanusSubscriber:
    """Subscribes to a VideoRoom publisher with aiortc and records decoded video frames.

    Blocking API for tests::

        with JanusSubscriber(stack.janus, keep_images=True) as sub:   # joins the first publisher
            frames = sub.wait_frames(10, timeout=10)                  # [(w, h, recv_ms, rgb), ...]
            sub.select_substream(0)                                   # simulcast layer 0/1/2
            sub.wait_for_size(320, 180, timeout=5)

    Runs its own :class:`NetnsLoop` thread inside ``netns`` (default: Janus's namespace); all
    threads end on :meth:`close`.  ``wait_frames`` consumes frames in arrival order; at most
    ``max_buffered`` undelivered frames are kept (oldest dropped).
    """

    def __init__(self, janus: JanusServer | str, netns: str | None = None, *, room: int = ROOM,
                 feed: int | None = None, display: str | None = None, substream: int | None = None,
                 keep_images: bool = False, max_buffered: int = 120, publisher_timeout: float = 10.0,
                 connect_timeout: float = 15.0, browser_like_recovery: bool = True) -> None:
        if isinstance(janus, JanusServer):
            self.url = janus.url
            self.netns = netns or janus.netns.name
        else:
            if netns is None:
                raise ValueError("netns is required with a plain Janus URL")
            self.url, self.netns = janus, netns
        self.room = room
        self.feed = feed
        self.display = display
        self.keep_images = keep_images
        self.events: list[dict] = []
        self.total_frames = 0
        self.audio_frames = 0
        self.last_size: tuple[int, int] | None = None
        self._initial_substream = substream
        self._publisher_timeout = publisher_timeout
        self._connect_timeout = connect_timeout
        self._frames: collections.deque[ReceivedFrame] = collections.deque(maxlen=max_buffered)
        self._cond = threading.Condition()
        self._loop: NetnsLoop | None = None
        self._janus: JanusHttpSession | None = None
        self._pc: Any = None
        self._tasks: list[asyncio.Task] = []
        self._video_mid: str | None = None
        self._closed = False
        # aiortc's own jitter buffer stalls ~16 s on one unrepaired packet loss; a viewer's
        # browser asks for a keyframe and decodes from it (bench/testbed/recovering_jitter.py).
        self.browser_like_recovery = browser_like_recovery
        self.jitter_buffers: list[Any] = []

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "JanusSubscriber":
        self._loop = NetnsLoop(self.netns, name=f"sfu-subscriber-{next(_counter)}")
        try:
            self._loop.run(self._connect(), timeout=self._connect_timeout + self._publisher_timeout)
            if self._initial_substream is not None:
                self.select_substream(self._initial_substream)
        except BaseException:
            self.close()
            raise
        return self

    def __enter__(self) -> "JanusSubscriber":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._loop is not None and self._loop.alive:
            with contextlib.suppress(Exception):
                self._loop.run(self._disconnect(), timeout=10)
        if self._loop is not None:
            self._loop.close()
        with self._cond:
            self._cond.notify_all()

    async def _disconnect(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._pc is not None:
            with contextlib.suppress(Exception):
                await self._pc.close()
        if self._janus is not None:
            await self._janus.destroy()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task

    # -- signalling -----------------------------------------------------------------------
    async def _find_feed(self, janus: JanusHttpSession) -> int:
        deadline = time.monotonic() + self._publisher_timeout
        while True:
            data = await janus.message_sync({"request": "listparticipants", "room": self.room})
            pubs = [p for p in data.get("participants", []) if p.get("publisher")]
            if self.display is not None:
                pubs = [p for p in pubs if p.get("display") == self.display]
            if pubs:
                return pubs[0]["id"]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no publisher in room {self.room} after {self._publisher_timeout}s")
            await asyncio.sleep(0.1)

    async def _connect(self) -> None:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        janus = self._janus = JanusHttpSession(self.url)
        await janus.create()
        await janus.attach("janus.plugin.videoroom")
        janus.start_polling()
        # Keep Janus's async events (webrtcup, media, slowlink, hangup...) for diagnostics.
        self.events = janus.events
        if self.feed is None:
            self.feed = await self._find_feed(janus)
        event = await janus.message({"request": "join", "ptype": "subscriber", "room": self.room,
                                     "streams": [{"feed": self.feed}]})
        jsep = event.get("jsep")
        if not jsep:
            raise JanusError(f"join gave no offer: {event}")
        streams = event.get("plugindata", {}).get("data", {}).get("streams", [])
        for stream in streams:
            if stream.get("type") == "video" and self._video_mid is None:
                self._video_mid = stream.get("mid")
        self._on_streams(streams)

        pc = self._pc = RTCPeerConnection()

        @pc.on("track")
        def on_track(track: Any) -> None:
            consume = self._consume_video if track.kind == "video" else self._consume_audio
            self._tasks.append(asyncio.get_running_loop().create_task(consume(track)))

        self._on_peer_connection(pc)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"]))
        if self.browser_like_recovery:
            from bench.testbed.recovering_jitter import install

            for transceiver in pc.getTransceivers():
                if transceiver.kind == "video":
                    self.jitter_buffers.append(install(transceiver.receiver))
        self._before_answer(pc)
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        await janus.message({"request": "start", "room": self.room},
                            jsep={"type": "answer", "sdp": pc.localDescription.sdp})

    # Hooks for subclasses (e.g. bench/testbed/data_subscriber.py): the streams Janus offers, the
    # fresh peer connection (register handlers), and the moment before the answer is made.
    def _on_streams(self, streams: list[dict]) -> None:
        pass

    def _on_peer_connection(self, pc: Any) -> None:
        pass

    def _before_answer(self, pc: Any) -> None:
        pass

    async def _consume_video(self, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            now_ms = time.time_ns() // 1_000_000
            image = frame.to_ndarray(format="rgb24") if self.keep_images else None
            item = ReceivedFrame(frame.width, frame.height, now_ms, image)
            with self._cond:
                self._frames.append(item)
                self.total_frames += 1
                self.last_size = (frame.width, frame.height)
                self._cond.notify_all()

    async def _consume_audio(self, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.audio_frames += 1

    # -- test API -------------------------------------------------------------------------
    @property
    def connection_state(self) -> str:
        return getattr(self._pc, "connectionState", "new") if self._pc is not None else "new"

    def _diagnostics(self) -> str:
        kinds = [ev.get("plugindata", {}).get("data", {}) or ev.get("janus") for ev in list(self.events)[-8:]]
        return (f"feed={self.feed} pc={self.connection_state} total_frames={self.total_frames} "
                f"last_size={self.last_size} recent janus events={kinds}")

    def wait_frames(self, n: int = 1, timeout: float = 10.0) -> list[ReceivedFrame]:
        """Block until ``n`` not-yet-returned frames are there; return (and consume) them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._frames) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise TimeoutError(f"got {len(self._frames)}/{n} frames in {timeout}s: {self._diagnostics()}")
                self._cond.wait(remaining)
            return [self._frames.popleft() for _ in range(n)]

    def drain(self) -> int:
        """Drop buffered frames (e.g. after switching layers); return how many."""
        with self._cond:
            count = len(self._frames)
            self._frames.clear()
            return count

    def wait_for_size(self, width: int, height: int, timeout: float = 10.0) -> ReceivedFrame:
        """Consume frames until one of ``width``×``height`` arrives; return it."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {width}x{height} frame in {timeout}s: {self._diagnostics()}")
            frame = self.wait_frames(1, remaining)[0]
            if (frame.width, frame.height) == (width, height):
                return frame

    def select_substream(self, substream: int, temporal: int | None = None, timeout: float = 5.0) -> dict:
        """Ask Janus for simulcast layer ``substream`` (0 = lowest ... 2 = highest)."""
        options: dict[str, Any] = {"substream": substream}
        if temporal is not None:
            options["temporal"] = temporal
        if self._video_mid is not None:
            body = {"request": "configure", "streams": [{"mid": self._video_mid, **options}]}
        else:
            body = {"request": "configure", **options}
        assert self._loop is not None and self._janus is not None
        return self._loop.run(self._janus.message(body, timeout=timeout), timeout=timeout + 2)

    def recovery_stats(self) -> dict[str, int]:
        """Keyframe recoveries of the browser-like jitter buffer(s): PLIs sent, skips done."""
        return {"plis": sum(b.plis for b in self.jitter_buffers), "skips": sum(b.skips for b in self.jitter_buffers),
                "skipped_packets": sum(b.skipped_packets for b in self.jitter_buffers)}

    def stats(self) -> dict:
        """aiortc getStats() flattened to {id: stats-object}."""
        assert self._loop is not None and self._pc is not None
        report = self._loop.run(self._pc.getStats(), timeout=5)
        return dict(report)


# --------------------------------------------------------------------------------------------
# The whole stack
# --------------------------------------------------------------------------------------------
@dataclass
class SfuStack:
    netns: NetNamespace
    janus: JanusServer
    whip: WhipServer
    startup_s: float = 0.0

    @property
    def ns(self) -> str:
        """Server namespace name (Janus, WHIP server)."""
        return self.netns.name

    @property
    def client_ns(self) -> str:
        """Where publishers should run (== ns unless split)."""
        return self.netns.client

    def logs(self, lines: int = 40) -> str:
        return (f"--- janus ({self.janus.log_path}) ---\n{self.janus.log_tail(lines)}\n"
                f"--- simple-whip-server ({self.whip.log_path}) ---\n{self.whip.log_tail(lines)}")

    def check_alive(self) -> None:
        if not self.janus.running or not self.whip.running:
            raise RuntimeError(f"SFU stack died:\n{self.logs()}")

    def turn_server(self, workdir: Path) -> "Any":
        """coturn beside Janus (server namespace, :data:`SERVER_IP`), started: a
        :class:`bench.testbed.turn.TurnServer` (UDP/TCP 3478, TLS 5349); ``stop()`` it, or use
        it as a context manager.  ``bench.testbed.turn.block_udp`` makes the client side drop UDP."""
        from bench.testbed.turn import TurnServer

        return TurnServer(self.ns, self.netns.server_ip, Path(workdir)).start()

    def shaper(self, direction: str = "up") -> "Any":
        """A link shaper (netem stand-in) on the publisher→Janus ("up") or Janus→publisher
        ("down") side.  Needs ``sfu_stack(..., split=True)``: unsplit, traffic uses ``lo``."""
        from bench.testbed.shaper import LinkShaper

        if self.client_ns == self.ns:
            raise RuntimeError("shaping needs sfu_stack(split=True); in one namespace the traffic never crosses the veth")
        if direction == "up":
            return LinkShaper(self.client_ns, CLIENT_IF)
        if direction == "down":
            return LinkShaper(self.ns, SERVER_IF)
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")


@contextlib.contextmanager
def sfu_stack(workdir: Path, *, split: bool = False, rooms: dict[int, dict[str, Any]] | None = None,
              janus_debug_level: int = 3) -> Iterator[SfuStack]:
    """netns + Janus + simple-whip-server, torn down (processes, namespaces) on exit."""
    check_prerequisites()
    t0 = time.monotonic()
    netns = NetNamespace(split=split).create()
    janus: JanusServer | None = None
    whip: WhipServer | None = None
    try:
        janus = JanusServer(netns, Path(workdir), debug_level=janus_debug_level)
        if rooms is not None:
            janus.rooms = rooms
        janus.start()
        whip = WhipServer(netns, janus).start()
        yield SfuStack(netns, janus, whip, time.monotonic() - t0)
    finally:
        if whip is not None:
            whip.stop()
        if janus is not None:
            janus.stop()
        netns.close()
