"""A userspace link emulator ("netem" without sch_netem) for one veth end in a namespace.

This kernel has no ``sch_netem``; ``clsact``, ``u32``, ``mirred`` and ``tun`` are present (no
``cls_fw``/``cls_basic``, no ``act_skbedit``, so skb marks cannot be used to break loops).

Egress recipe (the default; shapes what IF sends)::

    # inside the namespace that holds IF (e.g. bcb0 in <name>-c)
    open /dev/net/tun, TUNSETIFF name=bcs-IF flags=IFF_TAP|IFF_NO_PI   (fd made inside the netns)
    ip link set bcs-IF up
    tc qdisc add dev IF clsact
    tc filter add dev IF egress prio 1 protocol all u32 match u32 0 0 \
        action mirred egress redirect dev bcs-IF
    out: AF_PACKET SOCK_RAW socket (protocol 0) bound to IF with PACKET_QDISC_BYPASS=1

* Every frame IF transmits (ARP included) is redirected to the TAP; the TAP's "transmit" hands
  it to our fd as a full Ethernet frame.  The TAP has no checksum/TSO offloads, so the kernel
  segments GSO skbs and fills in checksums before they reach us.
* A shaping thread applies loss -> rate/queue (drop-tail) -> delay(+jitter) and writes each
  frame back out of IF through the packet socket.  ``PACKET_QDISC_BYPASS`` sends go straight to
  the driver (``__dev_direct_xmit``) and skip the qdisc layer *including the clsact egress
  hook*: no redirect loop.

Ingress recipe (``direction="ingress"``; shapes what IF receives)::

    TAP bcsi-IF with IF's MAC address, rp_filter=0, up
    tc filter add dev IF ingress prio 1 protocol ip u32 match u32 0 0 \
        action mirred egress redirect dev bcsi-IF
    out: write(tap_fd, frame)  -> received on bcsi-IF, delivered to IF's local address

  Only IPv4 is redirected (ARP stays on IF so the kernel answers it there).  Packets written
  to the TAP enter through the TAP, not IF's ingress hook: no loop.  Sockets bound to a device
  (SO_BINDTODEVICE IF) would not see them.  The other direction can equally be shaped on the
  peer's egress (``bca0`` in the server namespace).

``stop()`` deletes its filter (and the clsact qdisc when no filter is left) first, flushes what
is still queued, joins the thread and closes the TAP fd (the non-persistent device goes with it).
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import heapq
import json
import os
import random
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, asdict
from typing import Any

from bench.testbed.harness import call_in_netns, run_in_netns

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
PACKET_QDISC_BYPASS = 20
SOL_PACKET = 263


@dataclass(frozen=True)
class ShapeConfig:
    rate_kbps: float | None = None
    loss: float = 0.0          # percent
    delay_ms: float = 0.0
    queue_ms: float = 200.0    # drop-tail bound on the rate queue's backlog (time to drain it)
    jitter_ms: float = 0.0     # uniform +-jitter_ms on top of delay_ms (no reordering)
    # Bursty loss, Gilbert-Elliott: from "good" a packet turns the link "bad" with probability
    # burst_enter (and is lost); in "bad" every packet is lost and the link turns good again
    # after each with probability burst_leave, so bursts last 1/burst_leave packets on average
    # and the average loss is about enter/leave / (1 + enter/leave).  0 = off.
    burst_enter: float = 0.0
    burst_leave: float = 0.0

    @property
    def passthrough(self) -> bool:
        return (not self.rate_kbps and not self.loss and not self.delay_ms and not self.jitter_ms
                and not self.burst_enter)


@dataclass
class ShaperStats:
    packets_in: int = 0
    packets_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    dropped_loss: int = 0
    dropped_burst: int = 0
    bursts: int = 0
    dropped_queue: int = 0
    send_errors: int = 0
    queued: int = 0
    max_backlog_ms: float = 0.0


class LinkShaper:
    """Userspace loss/rate/queue/delay emulation on ``interface`` inside ``netns_name``.

    ``direction="egress"`` shapes what the interface sends, ``"ingress"`` what it receives
    (IPv4 only); one of each may run on the same interface.  ``start()``/``stop()`` (or a
    ``with`` block) install and remove everything; ``stats()`` counts packets in/out and drops.
    ``set(rate_kbps=None, loss=0.0, delay_ms=0, queue_ms=200, jitter_ms=0, burst_enter=0,
    burst_leave=0)`` changes the emulation at once (packets already scheduled keep their times); ``clear()`` = pass-through.
    Rates count whole Ethernet frames (14 + IP bytes), like a qdisc on the veth would.
    """

    def __init__(self, netns_name: str, interface: str, *, direction: str = "egress",
                 tap_name: str | None = None, seed: int | None = None) -> None:
        if direction not in ("egress", "ingress"):
            raise ValueError("direction is 'egress' or 'ingress'")
        self.netns = netns_name
        self.interface = interface
        self.direction = direction
        self.tap_name = (tap_name or f"{'bcs' if direction == 'egress' else 'bcsi'}-{interface}")[:15]
        self._rng = random.Random(seed)
        self._cfg = ShapeConfig()
        self._is_bad = False  # the Gilbert-Elliott state
        self._lock = threading.Lock()
        self._stats = ShaperStats()
        self._heap: list[tuple[float, int, bytes]] = []
        self._seq = 0
        self._busy_until = 0.0
        self._last_due = 0.0
        self._tap_fd: int | None = None
        self._sock: socket.socket | None = None
        self._wake_r: int | None = None
        self._wake_w: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tc_installed = False
        self.error: BaseException | None = None  # set if the shaping thread died

    # ------------------------------------------------------------------ lifecycle
    def _open_in_netns(self) -> tuple[int, socket.socket | None]:
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
        try:
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", self.tap_name.encode(), IFF_TAP | IFF_NO_PI))
            os.set_blocking(fd, False)
            if self.direction == "ingress":
                return fd, None
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # protocol 0: receives nothing
            try:
                sock.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
                sock.bind((self.interface, 0))
            except BaseException:
                sock.close()
                raise
        except BaseException:
            os.close(fd)
            raise
        return fd, sock

    def _tc(self, *args: str, check: bool = True) -> Any:
        return run_in_netns(self.netns, ["tc", *args], check=check)

    def start(self) -> "LinkShaper":
        if self._thread is not None:
            return self
        try:
            self._tap_fd, self._sock = call_in_netns(self.netns, self._open_in_netns, timeout=10)
            if self.direction == "ingress":
                # Frames written to the TAP are *received* on it: give it IF's MAC so they are
                # PACKET_HOST, and the IP stack delivers them to IF's local address.
                info = json.loads(run_in_netns(self.netns, ["ip", "-j", "link", "show", self.interface]).stdout)
                run_in_netns(self.netns, ["ip", "link", "set", self.tap_name, "address", info[0]["address"]])
                run_in_netns(self.netns, ["sysctl", "-q", "-w", f"net.ipv4.conf.{self.tap_name}.rp_filter=0"],
                             check=False)
            # No IPv6 noise from the TAP itself: it has no address and the harness disables IPv6.
            run_in_netns(self.netns, ["ip", "link", "set", self.tap_name, "up"])
            # One clsact per interface, shared by an egress and an ingress shaper.
            if "clsact" not in self._tc("qdisc", "show", "dev", self.interface).stdout:
                self._tc("qdisc", "add", "dev", self.interface, "clsact")
            self._tc_installed = True
            # Ingress: IPv4 only, ARP stays on IF (the kernel must answer it there).
            protocol = "all" if self.direction == "egress" else "ip"
            self._tc("filter", "add", "dev", self.interface, self.direction, "prio", "1", "protocol", protocol,
                     "u32", "match", "u32", "0", "0",
                     "action", "mirred", "egress", "redirect", "dev", self.tap_name)
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_r, False)
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"linkshaper-{self.interface}", daemon=True)
            self._thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Remove the tc config first (traffic flows unshaped again), then flush, join, close."""
        if self._tc_installed:
            self._tc("filter", "del", "dev", self.interface, self.direction, "pref", "1", check=False)
            remaining = "".join(self._tc("filter", "show", "dev", self.interface, hook, check=False).stdout
                                for hook in ("ingress", "egress"))
            if not remaining.strip():
                self._tc("qdisc", "del", "dev", self.interface, "clsact", check=False)
            self._tc_installed = False
        if self._thread is not None:
            self._stop.set()
            self._wake()
            self._thread.join(10)
            if self._thread.is_alive():
                raise RuntimeError("LinkShaper thread did not stop")
            self._thread = None
        for fd_name in ("_wake_r", "_wake_w", "_tap_fd"):
            fd = getattr(self, fd_name)
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
                setattr(self, fd_name, None)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self.error is not None:
            error, self.error = self.error, None
            raise RuntimeError(f"LinkShaper thread failed: {error!r}") from error

    def __enter__(self) -> "LinkShaper":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ control
    def set(self, rate_kbps: float | None = None, loss: float = 0.0, delay_ms: float = 0,
            queue_ms: float = 200, jitter_ms: float = 0, burst_enter: float = 0.0, burst_leave: float = 0.0) -> None:
        if not 0.0 <= loss <= 100.0:
            raise ValueError("loss is a percentage 0..100")
        if not (0.0 <= burst_enter <= 1.0 and 0.0 <= burst_leave <= 1.0) or (burst_enter and not burst_leave):
            raise ValueError("burst_enter/burst_leave are probabilities 0..1 (a burst must be able to end)")
        if rate_kbps is not None and rate_kbps <= 0:
            raise ValueError("rate_kbps must be > 0 (None = unlimited)")
        if delay_ms < 0 or jitter_ms < 0 or queue_ms <= 0:
            raise ValueError("delay_ms/jitter_ms must be >= 0 and queue_ms > 0")
        with self._lock:
            self._cfg = ShapeConfig(rate_kbps, float(loss), float(delay_ms), float(queue_ms), float(jitter_ms),
                                    float(burst_enter), float(burst_leave))
            self._is_bad = False
            self._busy_until = 0.0
        self._wake()

    def clear(self) -> None:
        self.set()

    @property
    def config(self) -> ShapeConfig:
        return self._cfg

    def stats(self) -> dict[str, Any]:
        with self._lock:
            self._stats.queued = len(self._heap)
            return asdict(self._stats)

    def tap_drops(self) -> int:
        """Frames the kernel dropped because the TAP's queue (txqueuelen 1000) was full, i.e. the
        shaping thread fell behind; 0 in every measured case (it keeps up with ~8000 pps)."""
        info = json.loads(run_in_netns(self.netns, ["ip", "-s", "-j", "link", "show", self.tap_name]).stdout)
        return int(info[0]["stats64"]["tx"]["dropped"])

    def reset_stats(self) -> None:
        with self._lock:
            self._stats = ShaperStats()

    # ------------------------------------------------------------------ data path
    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")

    def _enqueue(self, frame: bytes, now: float) -> None:
        cfg = self._cfg
        st = self._stats
        st.packets_in += 1
        st.bytes_in += len(frame)
        if cfg.loss and self._rng.random() * 100.0 < cfg.loss:
            st.dropped_loss += 1
            return
        if cfg.burst_enter:
            if not self._is_bad and self._rng.random() < cfg.burst_enter:
                self._is_bad = True
                st.bursts += 1
            if self._is_bad:
                st.dropped_burst += 1
                if self._rng.random() < cfg.burst_leave:
                    self._is_bad = False
                return
        due = now
        if cfg.rate_kbps:
            start = max(now, self._busy_until)
            backlog = start - now
            if backlog * 1000.0 > cfg.queue_ms:
                st.dropped_queue += 1
                return
            st.max_backlog_ms = max(st.max_backlog_ms, backlog * 1000.0)
            self._busy_until = start + len(frame) * 8.0 / (cfg.rate_kbps * 1000.0)
            due = self._busy_until
        delay = cfg.delay_ms
        if cfg.jitter_ms:
            delay = max(0.0, delay + self._rng.uniform(-cfg.jitter_ms, cfg.jitter_ms))
        due += delay / 1000.0
        due = max(due, self._last_due)  # a link does not reorder
        self._last_due = due
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, frame))

    def _send(self, frame: bytes) -> None:
        try:
            if self._sock is not None:
                self._sock.send(frame)  # egress: out of IF, qdisc (and clsact) bypassed
            else:
                os.write(self._tap_fd, frame)  # type: ignore[arg-type]  # ingress: received on the TAP
            self._stats.packets_out += 1
            self._stats.bytes_out += len(frame)
        except OSError:
            self._stats.send_errors += 1

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # noqa: BLE001 - re-raised by stop()
            self.error = exc

    def _loop(self) -> None:
        tap, wake = self._tap_fd, self._wake_r
        assert tap is not None and wake is not None
        poller = select.poll()
        poller.register(tap, select.POLLIN)
        poller.register(wake, select.POLLIN)
        while not self._stop.is_set():
            with self._lock:
                timeout_ms = 50.0
                if self._heap:
                    timeout_ms = max(0.0, (self._heap[0][0] - time.monotonic()) * 1000.0)
            events = poller.poll(timeout_ms) if timeout_ms > 0 else poller.poll(0)
            for fd, _ in events:
                if fd == wake:
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake, 4096)
            with self._lock:
                for _ in range(512):
                    try:
                        frame = os.read(tap, 65536)
                    except BlockingIOError:
                        break
                    except OSError as exc:
                        if exc.errno in (errno.EAGAIN, errno.EINTR):
                            break
                        raise
                    self._enqueue(frame, time.monotonic())
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    self._send(heapq.heappop(self._heap)[2])
        # Flush what is still scheduled (the filter is gone by now: nothing new arrives).
        with self._lock:
            while self._heap:
                self._send(heapq.heappop(self._heap)[2])
