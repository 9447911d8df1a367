"""``tests/files`` is generated (``python -m crawler.localsite.export tests/files``): it must
be exactly what the generator makes now, so fixtures and local sites never drift apart."""

from __future__ import annotations

from pathlib import Path

from crawler.localsite.export import export
from tests.conftest import ROOT

FILES = ROOT / "tests" / "files"


def test_tests_files_are_what_the_generator_makes(tmp_path: Path):
    written = {path.relative_to(tmp_path).as_posix(): path.read_bytes() for path in export(tmp_path)}
    saved = {path.relative_to(FILES).as_posix(): path.read_bytes() for path in FILES.rglob("*") if path.is_file()}
    assert sorted(saved) == sorted(written), "regenerate: python -m crawler.localsite.export tests/files"
    stale = [name for name, body in written.items() if saved[name] != body]
    assert stale == [], f"stale fixtures {stale}: python -m crawler.localsite.export tests/files"
