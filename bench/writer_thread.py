"""Would a writer thread overlap storage with the crawl? ``python -m bench.writer_thread``

A crawl could hand its items to one writer thread (SQLite releases the GIL inside each
statement) while the reactor thread goes on parsing pages. This measures what that
overlap is worth with the real write path: 600 formulaic releases stored through
``storage.write.store_item`` in batches of 100 (as ``StoragePipeline``), alone; a fixed
amount of pure-Python work (the reactor's share: parsing, middlewares) alone; then both
at once, storage in a thread. ``saved`` is the wall time the overlap saves, as a share
of the storage time (1.0: storage became free; below 0: slower than one after the other).
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from bench import corpus

ITEMS = 600
BATCH = 100


def _items() -> list[dict]:
    import random

    rng = random.Random(7)
    return [corpus.formulaic(n * 3, rng) for n in range(ITEMS)]


def store(path: Path, items: list[dict]) -> float:
    """Store ``items`` as the pipeline does; the wall seconds it took."""
    from storage import neardup, open_db
    from storage.write import RELEASE, store_item

    neardup.load()
    db = open_db(path)
    start = time.perf_counter()
    try:
        for number, item in enumerate(items):
            if not db.conn.in_transaction:
                db.conn.execute("BEGIN IMMEDIATE")
            store_item(db, RELEASE, item, run_id=None)
            if number % BATCH == BATCH - 1:
                db.conn.execute("COMMIT")
        if db.conn.in_transaction:
            db.conn.execute("COMMIT")
    finally:
        db.close()
    return time.perf_counter() - start


def python_work(loops: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(loops):
        total += i % 7
    return time.perf_counter() - start


def measure(rounds: int = 3) -> list[dict[str, float]]:
    items = _items()
    loops = 1_000_000
    while python_work(loops) < 0.2:  # calibrate: about as long as the storage
        loops *= 2
    out = []
    with tempfile.TemporaryDirectory(prefix="releasewatch-writer-") as tmp:
        for number in range(rounds):
            alone = store(Path(tmp, f"alone{number}.db"), items)
            scale = max(1, round(loops * alone / python_work(loops)))
            work = python_work(scale)
            writer = threading.Thread(target=store, args=(Path(tmp, f"thread{number}.db"), items))
            start = time.perf_counter()
            writer.start()
            python_work(scale)
            writer.join()
            both = time.perf_counter() - start
            out.append({"storage_s": alone, "python_s": work, "sequential_s": alone + work,
                        "overlapped_s": both, "saved": (alone + work - both) / alone})
    return out


def main() -> None:
    for row in measure():
        print(f"storage {row['storage_s']:.2f} s, Python work {row['python_s']:.2f} s, one after the other "
              f"{row['sequential_s']:.2f} s, storage in a thread {row['overlapped_s']:.2f} s: "
              f"saved {row['saved']:+.0%} of the storage time")


if __name__ == "__main__":
    main()
