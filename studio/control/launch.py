"""One call for ``bridgecast live --control-port`` and the app: a LiveShow plus its ControlServer."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from studio.control.server import ControlServer, resolve_token
from studio.live.session import LiveShow
from studio.settings import config_dir


def default_show_db() -> Path:
    """Where the current show lives unless told otherwise; a restart after a crash reopens it."""
    return config_dir() / "live" / "show.db"


class LiveControl:
    """Owns a :class:`LiveShow` and (when ``port`` is not None) its :class:`ControlServer`.

    ``start()`` restores the journaled state onto ``studio`` and starts listening;
    ``stop()`` joins every thread.  ``pairing_url`` is what a QR code for a tablet encodes
    (the token rides in the URL fragment, which browsers never send to the server).
    """

    def __init__(self, studio: Any, db_path: str | Path | None = None, catalog: str | Path | None = None, port: int | None = 0,
                 host: str = "127.0.0.1", token: str | None = None, settings_token: str | None = None,
                 locale: str = "en_US") -> None:
        self.live = LiveShow(studio, db_path or default_show_db(), catalog=catalog, locale=locale)
        self.server = None if port is None else ControlServer(self.live, studio, host=host, port=port,
                                                              token=resolve_token(token, settings_token))

    def start(self) -> None:
        self.live.start()
        if self.server is not None:
            try:
                self.server.start()
            except Exception:
                self.live.stop()
                raise

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.live.stop()

    @property
    def url(self) -> str | None:
        return None if self.server is None else self.server.url

    @property
    def pairing_url(self) -> str | None:
        return None if self.server is None else f"{self.server.url}/#token={self.server.token}"

    def pairing_qr(self, box_px: int = 8) -> "np.ndarray | None":
        """The pairing URL as an RGBA QR code for the app to show (None without ``qrcode``/server)."""
        url = self.pairing_url
        if url is None:
            return None
        try:
            import qrcode
        except ImportError:
            return None
        import numpy as np

        picture = qrcode.make(url, box_size=box_px, border=2).get_image().convert("RGBA")
        return np.asarray(picture)
