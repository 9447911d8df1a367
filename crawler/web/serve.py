"""``releasewatch serve``: Datasette on the live database, with the project's metadata.

The file is opened read-write, never immutable (``-i`` would hide rows that crawls add);
WAL lets crawls write while Datasette reads. The configuration is data shipped in
``crawler/web/datasette/``: ``metadata.yaml`` (descriptions, facets, sorting, hidden tables,
canned queries, Atom feeds and the dashboard), ``plugins/`` (the ``word_diff`` and
``html_escape`` SQL functions, the release diff page) and
``templates/`` (a release's row page shows it as a document).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from datasette.utils import parse_metadata, tilde_encode

from storage import open_db

DATASETTE_DIR = Path(__file__).resolve().parent / "datasette"
METADATA_FILE = DATASETTE_DIR / "metadata.yaml"
PLUGINS_DIR = DATASETTE_DIR / "plugins"
TEMPLATES_DIR = DATASETTE_DIR / "templates"
METADATA_DATABASE = "releasewatch"  # the database's name in metadata.yaml


def database_name(db_path: str | os.PathLike) -> str:
    """The name Datasette gives the file (its stem): ``demo.db`` is served at ``/demo``."""
    return Path(db_path).stem


def load_metadata(database: str = METADATA_DATABASE) -> dict:
    """``metadata.yaml`` with its database section under ``database``."""
    metadata = parse_metadata(METADATA_FILE.read_text(encoding="utf-8"))
    metadata["databases"] = {database: metadata["databases"].pop(METADATA_DATABASE)}
    database_url = "/" + tilde_encode(database)
    metadata["description_html"] = metadata["description_html"].replace("{database_url}", database_url)
    for dashboard in metadata["plugins"].get("datasette-dashboards", {}).values():
        for part in (*dashboard.get("filters", {}).values(), *dashboard.get("charts", {}).values()):
            if part.get("db") == METADATA_DATABASE:
                part["db"] = database
            if "query" in part:
                part["query"] = part["query"].replace("{database_url}", database_url)
    return metadata


# Facet suggestions try a facet on every column of every page: two thirds of a search's
# time on 20,000 releases (bench/search.py). The useful facets are configured.
SETTINGS = {"suggest_facets": False}


def datasette_options(db_path: str | os.PathLike) -> dict:
    """Keyword arguments for ``Datasette([db_path], **options)`` (as ``serve`` runs it)."""
    return {"metadata": load_metadata(database_name(db_path)), "plugins_dir": str(PLUGINS_DIR),
            "template_dir": str(TEMPLATES_DIR), "settings": dict(SETTINGS)}


def datasette_args(db_path: str | os.PathLike, metadata_file: str | os.PathLike, *,
                   host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """``datasette serve`` arguments: the file read-write (no ``-i``), our metadata and plugins."""
    settings = [arg for name, value in SETTINGS.items() for arg in ("--setting", name, str(value).lower())]
    return ["serve", str(db_path), "--host", host, "--port", str(port),
            "--metadata", str(metadata_file), "--plugins-dir", str(PLUGINS_DIR),
            "--template-dir", str(TEMPLATES_DIR), *settings]


def serve(db_path: str, *, host: str = "127.0.0.1", port: int = 8001,
          echo: Callable[[str], None] = print) -> int:
    """Create or migrate the database (search index included), then serve it until interrupted."""
    from datasette.cli import cli as datasette_cli

    open_db(db_path).close()
    with tempfile.TemporaryDirectory(prefix="releasewatch-datasette-") as tmp:
        metadata_file = Path(tmp) / "metadata.json"
        metadata_file.write_text(json.dumps(datasette_options(db_path)["metadata"]), encoding="utf-8")
        echo(f"Datasette: http://{host}:{port}/  (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            datasette_cli.main(datasette_args(db_path, metadata_file, host=host, port=port),
                               prog_name="datasette", standalone_mode=False)
    return 0
