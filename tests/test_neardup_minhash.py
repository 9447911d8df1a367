"""storage.neardup computes its MinHash itself (vectorised, without importing datasketch
and scipy): its signatures must be datasketch's, bit for bit, or every signature stored
by an earlier version would stop matching new ones."""

from __future__ import annotations

import random
import subprocess
import sys
import zlib

import numpy as np
import pytest
from datasketch import MinHash

from storage import neardup
from storage.normalize import normalize_for_hash, strip_dateline

TEXT = ("security council condemns attack peacekeepers members expressed deepest condolences "
        "families victims government Mali OSCE Vienna Permanent statement international day "
        "Secretary-General message élection Türkiye “quoted” – dash 2024 17 of the and in")
WORDS = TEXT.split(" ")


def datasketch_signature(body: str) -> np.ndarray | None:
    words = normalize_for_hash(strip_dateline(body)).split()
    if len(words) < neardup.MIN_WORDS:
        return None
    shingles = {" ".join(words[i:i + 3]).encode() for i in range(len(words) - 2)}
    minhash = MinHash(num_perm=neardup.NUM_PERM, seed=1, hashfunc=zlib.crc32)
    minhash.update_batch(list(shingles))
    return minhash.hashvalues.astype(np.uint64)


@pytest.mark.parametrize("seed", range(40))
def test_signatures_are_datasketchs_bit_for_bit(seed):
    rng = random.Random(seed)
    body = "VIENNA, 5 March 2024 - " + " ".join(rng.choices(WORDS, k=rng.randint(30, 900)))
    expected = datasketch_signature(body)
    got = neardup.signature(body)
    if expected is None:
        assert got is None
    else:
        assert got is not None and got.dtype == np.uint64 and got.tobytes() == expected.tobytes()


def test_a_repeated_shingle_counts_once_as_in_a_set():
    body = " ".join(["the council condemns the attack"] * 20)
    assert neardup.signature(body).tobytes() == datasketch_signature(body).tobytes()


def test_computing_a_signature_does_not_import_datasketch_or_scipy():
    code = ("import sys; from storage import neardup; neardup.signature('word ' * 50 + 'end'); "
            "print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
