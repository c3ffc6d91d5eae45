"""The control API (HTTP + WebSocket) and the assistant web page."""
from studio.control.launch import LiveControl, default_show_db
from studio.control.server import ControlServer, resolve_token

__all__ = ["ControlServer", "LiveControl", "default_show_db", "resolve_token"]
