"""``releasewatch serve``: Datasette on the live database (never immutable mode)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def datasette_command(db_path: str, *, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The Datasette command line: the file opened read-write (``-i`` would hide new rows)."""
    return [sys.executable, "-m", "datasette", "serve", str(Path(db_path)), "--host", host,
            "--port", str(port)]


def serve(db_path: str, *, host: str = "127.0.0.1", port: int = 8001,
          echo: Callable[[str], None] = print) -> int:
    """Serve the database until interrupted."""
    echo(f"Datasette: http://{host}:{port}/  (Ctrl-C to stop)")
    try:
        return subprocess.call(datasette_command(db_path, host=host, port=port))
    except KeyboardInterrupt:
        return 0
