"""One call for ``bridgecast live --control-port`` and the app: a LiveShow plus its ControlServer."""
from __future__ import annotations

import logging
import secrets
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from studio.control.edge import token_warning
from studio.control.errors import PORT_IN_USE, ControlUnavailableError
from studio.control.server import ControlServer, resolve_token
from studio.core.events import Signal
from studio.core.i18n import _
from studio.live.delivery import WebhookDelivery, validate_webhook_url
from studio.live.session import LiveShow
from studio.core.paths import config_dir

log = logging.getLogger(__name__)

# Names in ``studio.secrets_store`` (the values never reach settings.json or a log).
CONTROL_TOKEN_SECRET = "control-api-token"
WEBHOOK_SECRET_NAME = "live-webhook-secret"

# ``LiveControl.status`` states.
CONTROL_OFF = "off"
CONTROL_LISTENING = "listening"
CONTROL_UNAVAILABLE = "unavailable"

# The app's first choice of control port (saved in settings once bound, so a paired tablet's
# address survives restarts); taken by another program, any free port instead.
DEFAULT_CONTROL_PORT = 8765
LAN_HOST = "0.0.0.0"


def default_show_db() -> Path:
    """Where the current show lives unless told otherwise; a restart after a crash reopens it."""
    return config_dir() / "live" / "show.db"


def stored_control_token() -> str:
    """The app's control-API token from the secrets store (created on first use), so a paired
    tablet stays paired across restarts."""
    from studio.secrets_store import get_secret, set_secret

    token = get_secret(CONTROL_TOKEN_SECRET)
    if not token:
        token = secrets.token_urlsafe(24)
        set_secret(CONTROL_TOKEN_SECRET, token)
    return token


def new_control_token() -> str:
    """Replace the stored control token with a fresh one (every paired device must pair again)."""
    from studio.secrets_store import set_secret

    token = secrets.token_urlsafe(24)
    set_secret(CONTROL_TOKEN_SECRET, token)
    return token


def lan_address() -> str | None:
    """This computer's address on the local network (the interface of the default route), or None.

    A UDP "connect" only picks the route; no packet leaves the machine.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def lan_addresses() -> list[tuple[str, str]]:
    """This computer's non-loopback IPv4 addresses as (address, interface name), the one of the
    default route first (the likeliest to reach a tablet on the same Wi-Fi).  Link-local
    (169.254.x.x) addresses are left out: a tablet cannot be sent there."""
    import psutil

    preferred = lan_address()
    found: dict[str, str] = {}
    try:
        interfaces = psutil.net_if_addrs()
    except OSError:
        interfaces = {}
    for name, addresses in interfaces.items():
        for entry in addresses:
            address = entry.address
            if entry.family == socket.AF_INET and not address.startswith(("127.", "169.254.")) and address != "0.0.0.0":
                found.setdefault(address, name)
    if preferred is not None:
        found.setdefault(preferred, "")
    return sorted(found.items(), key=lambda item: (item[0] != preferred, item[1], item[0]))


def webhook_from_settings(settings: Any) -> tuple[str | None, str | None]:
    """(URL, signing secret) as the settings name them; the secret comes from the secrets store."""
    url = (getattr(settings, "webhook_url", None) or "").strip() or None
    ref = getattr(settings, "webhook_secret_ref", None)
    if url is None or not ref:
        return url, None
    from studio.secrets_store import get_secret

    return url, get_secret(ref)


class LiveControl:
    """Owns a :class:`LiveShow`, (when ``port`` is not None) its :class:`ControlServer` and
    (when a webhook is set) a :class:`WebhookDelivery`.

    ``start()`` restores the journaled state onto ``studio`` and starts listening.  When the
    port cannot be bound the show still runs: ``control_error`` holds the typed reason
    (:class:`ControlUnavailableError`, in words) and ``status`` reports it.  ``stop()`` joins
    every thread.  ``pairing_url`` is what a QR code for a tablet encodes (the token rides in
    the URL fragment, which browsers never send to the server).
    """

    def __init__(self, studio: Any, db_path: str | Path | None = None, catalog: str | Path | None = None, port: int | None = 0,
                 host: str = "127.0.0.1", token: str | None = None, settings_token: str | None = None,
                 locale: str = "en_US", webhook_url: str | None = None, webhook_secret: str | None = None,
                 region: str | None = None, may_change_port: bool = False) -> None:
        if webhook_url:
            webhook_url = validate_webhook_url(webhook_url)  # before anything opens
        self.studio = studio
        self.live = LiveShow(studio, db_path or default_show_db(), locale=locale, region=region)
        self.host = host
        self.port = port
        self._token = resolve_token(token, settings_token)
        self.server: ControlServer | None = None if port is None else self._new_server(host, port)
        self.control_error: ControlUnavailableError | None = None
        # The app keeps one port across launches; when it is taken, another is chosen (and said
        # in ``port_notice``) rather than leaving the tablet nothing to connect to.
        self.may_change_port = may_change_port
        self.port_notice: str | None = None
        self.webhook: WebhookDelivery | None = None
        self._lock = threading.RLock()
        # emit(state="off"|"listening"|"unavailable", url=str|None, error=ControlUnavailableError|None);
        # on the thread that started or reconfigured the server.
        self.status = Signal()
        # emit(host=str, port=int) each time the API listens (the port actually bound): the app saves it.
        self.address_changed = Signal()
        if webhook_url:
            self.set_webhook(webhook_url, webhook_secret)
        if catalog is not None:  # after the webhook, so the platform hears "catalog.loaded" too
            try:
                self.live.shelf.load(catalog)
            except Exception:
                self.stop()
                raise

    def __repr__(self) -> str:  # never show the token
        return f"LiveControl(url={self.url!r}, state={self.state!r})"

    def _new_server(self, host: str, port: int) -> ControlServer:
        return ControlServer(self.live, self.studio, host=host, port=port, token=self._token)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the show, then the control API; a control API that cannot listen never stops the show."""
        self.live.start()
        self._start_server()

    def _start_server(self) -> None:
        with self._lock:
            server = self.server
            self.port_notice = None
            if server is None:
                self.control_error = None
            else:
                try:
                    self._listen(server)
                    self.control_error = None
                except ControlUnavailableError as err:
                    self.control_error = err
                    log.warning("%s", err.message)  # host and port only; never the token
            is_listening = self.server is not None and self.control_error is None
            if is_listening:
                self.port = self.server.port
        if is_listening:
            self.address_changed.emit(host=self.host, port=self.port)
        self.status.emit(state=self.state, url=self.url, error=self.control_error)

    def _listen(self, server: ControlServer) -> None:
        try:
            server.start()
        except ControlUnavailableError as err:
            if not (self.may_change_port and err.reason == PORT_IN_USE and server.port):
                raise
            self.server = self._new_server(self.host, 0)
            self.server.start()
            self.port_notice = _("Port {old} is used by another program, so the control API now listens on port {new}. "
                                 "A tablet paired before has to pair again (scan the new code).").format(
                old=err.port, new=self.server.port)
            log.warning("control port %d in use; listening on %d instead", err.port, self.server.port)

    def stop(self) -> None:
        with self._lock:
            if self.webhook is not None:
                self.webhook.stop()
                self.webhook = None
            if self.server is not None:
                self.server.stop()
        self.live.stop()

    def reconfigure(self, host: str | None = None, port: int | None | str = "keep", token: str | None = None) -> ControlUnavailableError | None:
        """Restart the control API with a new address, port or token; the show keeps running.

        ``port=None`` turns the control API off.  Devices connected with the old token or
        address are disconnected.  Returns the new ``control_error`` (None when listening).
        """
        with self._lock:
            if self.server is not None:
                self.server.stop()
            self.host = host or self.host
            if port != "keep":
                self.port = port  # type: ignore[assignment]
            if token:
                self._token = token
            self.server = None if self.port is None else self._new_server(self.host, int(self.port))
            self.control_error = None
        self._start_server()
        return self.control_error

    # -- webhook -------------------------------------------------------------------------------------
    def set_webhook(self, url: str | None, secret: str | None = None) -> None:
        """Send every show event to ``url`` (signed with ``secret`` when given); None/"" stops sending.

        Raises :class:`~studio.live.errors.LiveError` for an address that is not http(s).
        """
        url = (url or "").strip()
        if url:
            url = validate_webhook_url(url)
        with self._lock:
            if self.webhook is not None:
                self.webhook.stop(drain_timeout_s=0.5)
                self.webhook = None
            if url:
                self.webhook = WebhookDelivery(url, secret=secret or None).attach(self.live)

    def apply_webhook_settings(self, settings: Any) -> None:
        """Use ``settings.webhook_url`` and the secret stored under ``settings.webhook_secret_ref``.

        Reads the secrets store (the keyring may wait on D-Bus): call it off the GUI thread.
        """
        url, secret = webhook_from_settings(settings)
        self.set_webhook(url, secret)

    # -- what the views show -------------------------------------------------------------------------
    @property
    def state(self) -> str:
        if self.server is None:
            return CONTROL_OFF
        return CONTROL_UNAVAILABLE if self.control_error is not None else CONTROL_LISTENING

    @property
    def token(self) -> str:
        return self._token

    @property
    def token_warning(self) -> str | None:
        """A ``warning: …`` line when the token in use could be guessed (it is still accepted)."""
        return token_warning(self._token)

    @property
    def url(self) -> str | None:
        return None if self.server is None or self.control_error is not None else self.server.url

    @property
    def is_lan(self) -> bool:
        return self.host in ("0.0.0.0", "", "::")

    def lan_url_for(self, address: str | None = None) -> str | None:
        """The address a tablet on the network uses: ``address`` (one of :func:`lan_addresses`) or the
        default route's (None unless LAN access is on and listening)."""
        if self.url is None or not self.is_lan or self.server is None:
            return None
        address = address or lan_address()
        return None if address is None else f"http://{address}:{self.server.port}"

    @property
    def lan_url(self) -> str | None:
        return self.lan_url_for()

    def pairing_url_for(self, address: str | None = None) -> str | None:
        """What the tablet opens: the page, with the token in the fragment (never sent to the server)."""
        url = self.lan_url_for(address) or self.url
        return None if url is None else f"{url}/#token={self._token}"

    @property
    def pairing_url(self) -> str | None:
        return self.pairing_url_for()

    def pairing_qr(self, box_px: int = 8, address: str | None = None) -> "np.ndarray | None":
        """The pairing URL as an RGBA QR code for the app to show (None without ``qrcode``/server)."""
        url = self.pairing_url_for(address)
        if url is None:
            return None
        try:
            import qrcode
        except ImportError:
            return None
        import numpy as np

        picture = qrcode.make(url, box_size=box_px, border=2).get_image().convert("RGBA")
        return np.asarray(picture)
