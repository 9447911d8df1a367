"""``releasewatch serve``: Datasette on the live database, with the project's metadata.

The file is opened read-write, never immutable (``-i`` would hide rows that crawls add);
WAL lets crawls write while Datasette reads. A file that cannot be written (a read-only
copy, a read-only mount) is served immutable instead, as it is: no migration, no WAL
switch, and one line says so. The configuration is data shipped in
``crawler/web/datasette/``: ``metadata.yaml`` (descriptions, facets, sorting, hidden tables,
canned queries, Atom feeds and the dashboard), ``plugins/`` (the release diff page and
its bounded word diff, ``html_escape`` and ``search_terms`` SQL functions, highlighted
snippets and list cells, counted facets, the planned table search and its count from the
search index, memory-mapped reads)
and ``templates/`` (a release's page as a document, the search order, folded column
help). docs/browsing.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

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
    for query in metadata["databases"][database].get("queries", {}).values():
        query["sql"] = (query["sql"].replace("{database_url}", database_url)
                        .replace("{database}", quote(database, safe="")))
    for dashboard in metadata["plugins"].get("datasette-dashboards", {}).values():
        for part in (*dashboard.get("filters", {}).values(), *dashboard.get("charts", {}).values()):
            if part.get("db") == METADATA_DATABASE:
                part["db"] = database
            if "query" in part:
                part["query"] = part["query"].replace("{database_url}", database_url)
    return metadata


# Facet suggestions try a facet on every column of every page: two thirds of a search's
# time on 20,000 releases (bench/search.py). The useful facets are configured.
# Cells are cut at 160 characters in tables (a release is read on its own page).
SETTINGS = {"suggest_facets": False, "truncate_cells_html": 160, "facet_time_limit_ms": 50}


def datasette_options(db_path: str | os.PathLike) -> dict:
    """Keyword arguments for ``Datasette([db_path], **options)`` (as ``serve`` runs it)."""
    return {"metadata": load_metadata(database_name(db_path)), "plugins_dir": str(PLUGINS_DIR),
            "template_dir": str(TEMPLATES_DIR), "settings": dict(SETTINGS)}


def writable(db_path: str | os.PathLike) -> bool:
    """Whether the file and its folder (for the WAL files) can be written."""
    path = Path(db_path).resolve()
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def datasette_args(db_path: str | os.PathLike, metadata_file: str | os.PathLike, *,
                   host: str = "127.0.0.1", port: int = 8001, read_only: bool = False) -> list[str]:
    """``datasette serve`` arguments: the file read-write (no ``-i``) unless ``read_only``,
    our metadata and plugins."""
    settings = [arg for name, value in SETTINGS.items() for arg in ("--setting", name, str(value).lower())]
    files = ["-i", str(db_path)] if read_only else [str(db_path)]
    return ["serve", *files, "--host", host, "--port", str(port),
            "--metadata", str(metadata_file), "--plugins-dir", str(PLUGINS_DIR),
            "--template-dir", str(TEMPLATES_DIR), *settings]


def serve(db_path: str, *, host: str = "127.0.0.1", port: int = 8001,
          echo: Callable[[str], None] = print) -> int:
    """Create or migrate the database (search index included), then serve it until interrupted;
    a file that cannot be written is served read-only, unchanged."""
    from datasette.cli import cli as datasette_cli

    read_only = not writable(db_path)
    if read_only:
        echo(f"{db_path} is read-only: serving it immutable, as it is (no migration; "
             "crawls cannot add to it).")
    else:
        open_db(db_path).close()
    with tempfile.TemporaryDirectory(prefix="releasewatch-datasette-") as tmp:
        metadata_file = Path(tmp) / "metadata.json"
        metadata_file.write_text(json.dumps(datasette_options(db_path)["metadata"]), encoding="utf-8")
        echo(f"Datasette: http://{host}:{port}/  (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            datasette_cli.main(datasette_args(db_path, metadata_file, host=host, port=port,
                                              read_only=read_only),
                               prog_name="datasette", standalone_mode=False)
    return 0
