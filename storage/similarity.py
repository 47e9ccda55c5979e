"""Near-duplicate fingerprints: character shingles, MinHash signatures and LSH band hashes.

Syndicated copies of one story rarely share a byte-identical body: portals add their own
source lines, editors fix a typo or cut the last paragraphs. Character shingles of the folded
body (the same folding as ``content_hash``) survive all of that, and suit Chinese, which has
no spaces to split words on.

Per article we store a MinHash signature (``NUM_PERMUTATIONS`` 64-bit minima) and
``BANDS`` band hashes, each a hash of ``ROWS`` consecutive minima. Two bodies with shingle
Jaccard similarity ``J`` share at least one band hash with probability ``1 - (1 - J**ROWS) **
BANDS``: about 0.99 at J = 0.5 and 0.1 at J = 0.15, so a lookup is one indexed SELECT of the
articles sharing a band, and only those few candidates are checked exactly.

The exact check compares the shingle sets of the two bodies. A copy matches when its Jaccard
similarity is high, or when one body is (nearly) contained in the other and is not tiny next to
it: a truncated or extended copy of a story has a low Jaccard similarity but a high containment.

Everything is vectorised with numpy: a signature costs about a millisecond for a long article,
which matters because the store computes it on its writer thread for every new article.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SHINGLE_CHARS = 4
NUM_PERMUTATIONS = 96
BANDS = 32
ROWS = NUM_PERMUTATIONS // BANDS
# Bodies with fewer distinct shingles than this (about 30 characters of text) are too short
# to call near-duplicates: only exact copies (content_hash) are recognised for them.
MIN_SHINGLES = 30
# A candidate whose estimated Jaccard similarity is below this is not worth loading.
SIGNATURE_FLOOR = 0.2
# The exact decision (see is_near_duplicate).
JACCARD_THRESHOLD = 0.5
CONTAINMENT_THRESHOLD = 0.8
MIN_SIZE_RATIO = 0.3

_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
# Fixed seeds: signatures are stored, so they must be the same in every process and release.
_RANDOM = np.random.Generator(np.random.PCG64(20190116))
_MULTIPLIERS = _RANDOM.integers(1, 2**63, size=NUM_PERMUTATIONS, dtype=np.uint64) * np.uint64(
    2
) + np.uint64(1)
_OFFSETS = _RANDOM.integers(0, 2**63, size=NUM_PERMUTATIONS, dtype=np.uint64)
_SHINGLE_BASE = np.uint64(0x100000001B3)


def fold(text: str) -> str:
    """Width, case, whitespace and punctuation folded away, as for ``content_hash``."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text).casefold())


def _mix(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: spreads the polynomial shingle codes over all 64 bits."""
    with np.errstate(over="ignore"):
        values = values ^ (values >> np.uint64(30))
        values = values * np.uint64(0xBF58476D1CE4E5B9)
        values = values ^ (values >> np.uint64(27))
        values = values * np.uint64(0x94D049BB133111EB)
        return values ^ (values >> np.uint64(31))


def shingles(body: str) -> npt.NDArray[np.uint64]:
    """Sorted distinct 64-bit hashes of the folded body's ``SHINGLE_CHARS``-character runs."""
    folded = fold(body)
    if len(folded) < SHINGLE_CHARS:
        return np.empty(0, dtype=np.uint64)
    points = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(points) - SHINGLE_CHARS + 1
    codes = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(SHINGLE_CHARS):
            codes = codes * _SHINGLE_BASE + points[offset : offset + count]
    return np.unique(_mix(codes))


def minhash(shingle_set: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The MinHash signature: per permutation ``x -> a*x + b (mod 2**64)``, the minimum."""
    signature = np.full(NUM_PERMUTATIONS, _MASK64, dtype=np.uint64)
    # Chunks keep the permutations x shingles matrix small for very long bodies.
    with np.errstate(over="ignore"):
        for start in range(0, len(shingle_set), 4096):
            chunk = shingle_set[start : start + 4096]
            # multiply.outer with an in-place add is several times faster than broadcasting
            # the same expression (fewer temporaries).
            permuted = np.multiply.outer(_MULTIPLIERS, chunk)
            permuted += _OFFSETS[:, None]
            np.minimum(signature, permuted.min(axis=1), out=signature)
    return signature


def band_hashes(signature: npt.NDArray[np.uint64]) -> list[int]:
    """One signed 64-bit hash per band (BIGINT columns are signed), band number included so
    equal minima in different bands do not collide."""
    hashes = []
    for band in range(BANDS):
        rows = signature[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(
            band.to_bytes(2, "little") + rows.astype("<u8").tobytes(), digest_size=8
        ).digest()
        hashes.append(int.from_bytes(digest, "little", signed=True))
    return hashes


def signature_to_bytes(signature: npt.NDArray[np.uint64]) -> bytes:
    return signature.astype("<u8").tobytes()


def signature_from_bytes(data: bytes) -> npt.NDArray[np.uint64]:
    return np.frombuffer(data, dtype="<u8").astype(np.uint64)


def estimated_jaccard(left: npt.NDArray[np.uint64], right: npt.NDArray[np.uint64]) -> float:
    return float(np.count_nonzero(left == right)) / NUM_PERMUTATIONS


@dataclass(frozen=True)
class Fingerprint:
    """What the store keeps to find an article's near-duplicates later."""

    shingles: npt.NDArray[np.uint64]
    signature: npt.NDArray[np.uint64]
    bands: list[int]

    @property
    def indexable(self) -> bool:
        """Too short a body gives no meaningful similarity; such articles get no bands."""
        return len(self.shingles) >= MIN_SHINGLES


def fingerprint(body: str) -> Fingerprint:
    shingle_set = shingles(body)
    signature = minhash(shingle_set)
    bands = band_hashes(signature) if len(shingle_set) >= MIN_SHINGLES else []
    return Fingerprint(shingle_set, signature, bands)


@dataclass(frozen=True)
class Similarity:
    jaccard: float
    containment: float  # the share of the smaller set found in the larger one
    size_ratio: float  # smaller set size / larger set size


def similarity(left: npt.NDArray[np.uint64], right: npt.NDArray[np.uint64]) -> Similarity:
    """Exact set similarity of two sorted distinct shingle arrays."""
    if len(left) == 0 or len(right) == 0:
        return Similarity(0.0, 0.0, 0.0)
    common = len(np.intersect1d(left, right, assume_unique=True))
    smaller, larger = sorted((len(left), len(right)))
    return Similarity(
        jaccard=common / (len(left) + len(right) - common),
        containment=common / smaller,
        size_ratio=smaller / larger,
    )


def is_near_duplicate(left: npt.NDArray[np.uint64], right: npt.NDArray[np.uint64]) -> bool:
    """The same story: mostly the same text, or one a truncated/extended copy of the other."""
    if len(left) < MIN_SHINGLES or len(right) < MIN_SHINGLES:
        return False
    measured = similarity(left, right)
    if measured.jaccard >= JACCARD_THRESHOLD:
        return True
    return measured.containment >= CONTAINMENT_THRESHOLD and measured.size_ratio >= MIN_SIZE_RATIO
