"""A real TURN server for the test bed (Debian ``coturn``), and a firewall that drops UDP.

:class:`TurnServer` runs ``turnserver`` inside a network namespace (the SFU's, on
198.18.0.1) with long-term credentials (RFC 8489 §9.2: a static user, one realm), listening on
UDP and TCP 3478 and TLS 5349 with a test certificate made here (its own CA, an IP SAN for the
listening address: point ``BRIDGECAST_TURN_CA_FILE`` at :attr:`TurnServer.ca_path` to trust it).  Relay
ports come from a small range on the same address.  Install it with ``tools/setup_sfu.sh``.

:func:`block_udp` makes the publisher's side of the veth behave like a firewall that lets only
TCP through, the case TURN over TCP/TLS exists for.  This kernel has no ``gact``/``prio``/
nftables (see docs: TESTBED.md), so the ``clsact`` hook redirects every UDP packet, both ways,
into a TUN device that nobody reads: the kernel drops them there, silently, as a firewall
would (a sender sees no error).  It uses the interface's ``clsact`` qdisc: do not combine it with
:class:`bench.testbed.shaper.LinkShaper` on the same interface.
"""
from __future__ import annotations

import contextlib
import datetime
import ipaddress
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from bench.testbed.harness import SETUP_HINT, SfuSetupError, _stop_process, _tail, call_in_netns, popen_in_netns, run_in_netns

TURN_PORT = 3478
TURNS_PORT = 5349
RELAY_PORTS = range(49160, 49401)  # the addresses coturn relays from (min-port..max-port)
REALM = "bridgecast.test"
UDP_BLACKHOLE_IF = "bcudpnull0"


def self_signed_pem(ip: str, common_name: str, days: float = 2.0) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM): a self-signed certificate (its own CA) for ``ip``, valid ``days``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def write_test_certificate(directory: Path, ip: str) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for ``ip`` and its key: (cert_path, key_path)."""
    certificate_pem, key_pem = self_signed_pem(ip, "Bridgecast test TURN")
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "turn-cert.pem", directory / "turn-key.pem"
    cert_path.write_bytes(certificate_pem)
    key_path.write_bytes(key_pem)
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class TurnServer:
    """coturn in namespace ``netns`` on ``ip``: ``turn:`` UDP/TCP 3478, ``turns:`` 5349."""

    netns: str
    ip: str
    workdir: Path
    username: str = "bridgecast"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12), repr=False)
    proc: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "turnserver.log"

    @property
    def ca_path(self) -> Path:
        return self.workdir / "turn-cert.pem"

    def url(self, kind: str) -> str:
        """``udp``, ``tcp`` or ``tls``: the TURN URL (RFC 7065) reaching this server that way."""
        if kind == "udp":
            return f"turn:{self.ip}:{TURN_PORT}?transport=udp"
        if kind == "tcp":
            return f"turn:{self.ip}:{TURN_PORT}?transport=tcp"
        if kind == "tls":
            return f"turns:{self.ip}:{TURNS_PORT}?transport=tcp"
        raise ValueError(f"kind must be udp, tcp or tls, not {kind!r}")

    def ice_server(self, *kinds: str) -> dict:
        """An ``RTCIceServer``-shaped dict (``urls``, ``username``, ``credential``)."""
        return {"urls": [self.url(kind) for kind in kinds], "username": self.username, "credential": self.password}

    def link_servers(self, *kinds: str) -> list[dict]:
        """simple-whip-server's ``iceServers`` for ``/whip/create``: one Link header each."""
        return [{"uri": self.url(kind), "username": self.username, "credential": self.password} for kind in kinds]

    def write_config(self) -> Path:
        cert, key = write_test_certificate(self.workdir, self.ip)
        config = self.workdir / "turnserver.conf"
        config.write_text("\n".join([
            f"listening-ip={self.ip}",
            f"relay-ip={self.ip}",
            f"listening-port={TURN_PORT}",
            f"tls-listening-port={TURNS_PORT}",
            f"min-port={RELAY_PORTS.start}",
            f"max-port={RELAY_PORTS.stop - 1}",
            "fingerprint",
            "lt-cred-mech",
            f"user={self.username}:{self.password}",
            f"realm={REALM}",
            f"cert={cert}",
            f"pkey={key}",
            "no-dtls",
            "no-cli",
            "no-software-attribute",
            f"log-file={self.log_path}",
            "simple-log",
            "verbose",
            f"pidfile={self.workdir / 'turnserver.pid'}",
            "",
        ]))
        return config

    def start(self, timeout_s: float = 10.0) -> "TurnServer":
        if self.running:
            raise RuntimeError("this TurnServer is running already")
        if shutil.which("turnserver") is None:
            raise SfuSetupError(f"coturn's turnserver not found -- {SETUP_HINT}")
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.write_config()
        self.proc = popen_in_netns(self.netns, ["turnserver", "-c", str(config)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while not all(self._accepts(port) for port in (TURN_PORT, TURNS_PORT)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log_tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"turnserver did not start on {self.ip}:\n{log_tail}")
            time.sleep(0.1)
        return self

    def _accepts(self, port: int) -> bool:
        def connect() -> bool:
            with contextlib.suppress(OSError), socket.create_connection((self.ip, port), timeout=0.5):
                return True
            return False

        return bool(call_in_netns(self.netns, connect, timeout=5))

    def stop(self) -> None:
        _stop_process(self.proc)
        self.proc = None

    def log_tail(self, lines: int = 40) -> str:
        # coturn names its log file <log-file> or <name>_<date>.log depending on the version.
        logs = sorted(self.workdir.glob("turnserver*.log"), key=lambda path: path.stat().st_mtime)
        return _tail(logs[-1] if logs else self.log_path, lines)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> "TurnServer":
        # Started already (SfuStack.turn_server): a second turnserver would share the ports
        # (SO_REUSEPORT) with a new certificate, and half the TLS handshakes would fail.
        return self if self.running else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


IP_PROTOCOLS = {"tcp": 6, "udp": 17}


class Firewall:
    """Drops the chosen IP protocols, both ways, on ``ifname`` in ``netns``: ``tc`` ``clsact``
    filters redirect them into a TUN device nobody reads, where the kernel drops them (no
    error for the sender, as behind a real firewall).  ``block("udp")``/``unblock("udp")``
    any time between :meth:`start` and :meth:`stop`."""

    def __init__(self, netns: str, ifname: str) -> None:
        self.netns = netns
        self.ifname = ifname
        self.blocked: set[str] = set()

    def start(self) -> "Firewall":
        run_in_netns(self.netns, ["ip", "tuntap", "add", "dev", UDP_BLACKHOLE_IF, "mode", "tun"])
        try:
            run_in_netns(self.netns, ["ip", "link", "set", UDP_BLACKHOLE_IF, "up"])
            run_in_netns(self.netns, ["tc", "qdisc", "add", "dev", self.ifname, "clsact"])
        except BaseException:
            self.stop()
            raise
        return self

    def block(self, protocol: str) -> None:
        number = IP_PROTOCOLS[protocol]
        for direction in ("egress", "ingress"):
            run_in_netns(self.netns, [
                "tc", "filter", "add", "dev", self.ifname, direction, "protocol", "ip", "prio", str(number),
                "u32", "match", "ip", "protocol", str(number), "0xff",
                "action", "mirred", "egress", "redirect", "dev", UDP_BLACKHOLE_IF,
            ])
        self.blocked.add(protocol)

    def unblock(self, protocol: str) -> None:
        for direction in ("egress", "ingress"):
            run_in_netns(self.netns, ["tc", "filter", "del", "dev", self.ifname, direction, "protocol", "ip",
                                      "prio", str(IP_PROTOCOLS[protocol])], check=False)
        self.blocked.discard(protocol)

    def stop(self) -> None:
        run_in_netns(self.netns, ["tc", "qdisc", "del", "dev", self.ifname, "clsact"], check=False)
        run_in_netns(self.netns, ["ip", "link", "del", UDP_BLACKHOLE_IF], check=False)
        self.blocked.clear()


@contextlib.contextmanager
def block_udp(netns: str, ifname: str) -> Iterator[Firewall]:
    """Drop every UDP packet leaving or reaching ``ifname`` in ``netns`` (TCP still passes,
    until the yielded :class:`Firewall` blocks it too)."""
    firewall = Firewall(netns, ifname).start()
    try:
        firewall.block("udp")
        yield firewall
    finally:
        firewall.stop()


def udp_dropped(netns: str, ifname: str) -> int:
    """Packets the firewall dropped so far on ``ifname`` (both directions), from tc's counters."""
    total = 0
    for direction in ("egress", "ingress"):
        out = run_in_netns(netns, ["tc", "-s", "filter", "show", "dev", ifname, direction], check=False).stdout
        total += sum(int(n) for n in re.findall(r"Sent \d+ bytes (\d+) pkt", out))
    return total


__all__ = ["Firewall", "IP_PROTOCOLS", "REALM", "RELAY_PORTS", "TURNS_PORT", "TURN_PORT", "TurnServer", "block_udp", "self_signed_pem", "udp_dropped", "write_test_certificate"]
