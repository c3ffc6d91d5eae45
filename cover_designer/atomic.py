"""Writing a file atomically (temp file next to it, then rename) with the permissions any other
program would give it: new files get 0666 less the user's umask (usually 0644), a file being
replaced keeps its own mode.  ``tempfile.mkstemp`` always creates 0600, which left exported covers
and saved designs unreadable to the upload tool, the web server or a colleague's account."""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so it is never seen half-written; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # The kernel applies the umask to 0o666 here, exactly as for a file any program creates.
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))  # replacing a file: keep its permissions
        except FileNotFoundError:
            pass
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path
