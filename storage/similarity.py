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

Everything is vectorised with numpy, and ``fingerprints`` does the numpy work for a whole batch
at once: the store computes fingerprints on its writer thread for every new article, and per-call
overhead, not arithmetic, was most of the cost of one article at a time.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
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
# Shingles per minhash step: bounds the permutations x shingles matrix (96 x 8192 x 8 bytes).
_MINHASH_COLUMNS = 8192
# Characters hashed per shingling step: bounds its temporaries (several uint64 per character).
_SHINGLE_CHARS_PER_STEP = 1_000_000
_BAND_PREFIXES = [band.to_bytes(2, "little") for band in range(BANDS)]
_BAND_BYTES = ROWS * 8


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
    return _shingle_sets([fold(body)])[0]


def _shingle_sets(folded_texts: Sequence[str]) -> list[npt.NDArray[np.uint64]]:
    """``shingles`` of many folded texts, hashing all their code points in one pass.

    The texts are concatenated; a window that crosses from one text into the next is computed
    too but never used, each text keeping only the windows that start and end inside it.
    """
    empty = np.empty(0, dtype=np.uint64)
    if not folded_texts:
        return []
    points = np.frombuffer("".join(folded_texts).encode("utf-32-le"), dtype=np.uint32).astype(
        np.uint64
    )
    count = len(points) - SHINGLE_CHARS + 1
    if count <= 0:
        return [empty for _ in folded_texts]
    codes = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(SHINGLE_CHARS):
            codes = codes * _SHINGLE_BASE + points[offset : offset + count]
    mixed = _mix(codes)
    sets = []
    start = 0
    for text in folded_texts:
        windows = len(text) - SHINGLE_CHARS + 1
        sets.append(np.unique(mixed[start : start + windows]) if windows > 0 else empty)
        start += len(text)
    return sets


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


def _minhash_many(shingle_sets: Sequence[npt.NDArray[np.uint64]]) -> list[npt.NDArray[np.uint64]]:
    """``minhash`` of many shingle sets, several sets per numpy step (``minimum.reduceat``
    over each set's columns), so a batch of short articles costs a few calls, not hundreds."""
    signatures: list[npt.NDArray[np.uint64]] = [np.empty(0, dtype=np.uint64)] * len(shingle_sets)
    group: list[int] = []
    group_size = 0

    def flush() -> None:
        if not group:
            return
        columns = np.concatenate([shingle_sets[index] for index in group])
        starts = np.cumsum([0] + [len(shingle_sets[index]) for index in group[:-1]])
        with np.errstate(over="ignore"):
            permuted = np.multiply.outer(_MULTIPLIERS, columns)
            permuted += _OFFSETS[:, None]
        minima = np.minimum.reduceat(permuted, starts, axis=1)
        for position, index in enumerate(group):
            signatures[index] = np.ascontiguousarray(minima[:, position])
        group.clear()

    for index, shingle_set in enumerate(shingle_sets):
        if len(shingle_set) == 0 or len(shingle_set) > _MINHASH_COLUMNS:
            signatures[index] = minhash(shingle_set)  # empty, or big enough on its own
            continue
        if group_size + len(shingle_set) > _MINHASH_COLUMNS:
            flush()
            group_size = 0
        group.append(index)
        group_size += len(shingle_set)
    flush()
    return signatures


def band_hashes(signature: npt.NDArray[np.uint64]) -> list[int]:
    """One signed 64-bit hash per band (BIGINT columns are signed), band number included so
    equal minima in different bands do not collide."""
    raw = signature.astype("<u8").tobytes()
    return [
        int.from_bytes(
            hashlib.blake2b(
                _BAND_PREFIXES[band] + raw[band * _BAND_BYTES : (band + 1) * _BAND_BYTES],
                digest_size=8,
            ).digest(),
            "little",
            signed=True,
        )
        for band in range(BANDS)
    ]


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
    return fingerprints([body])[0]


def fingerprints(bodies: Sequence[str]) -> list[Fingerprint]:
    """The fingerprint of each body; the same values as one ``fingerprint`` call per body."""
    shingle_sets: list[npt.NDArray[np.uint64]] = []
    group: list[str] = []
    group_chars = 0
    for folded in (fold(body) for body in bodies):
        if group and group_chars + len(folded) > _SHINGLE_CHARS_PER_STEP:
            shingle_sets.extend(_shingle_sets(group))
            group, group_chars = [], 0
        group.append(folded)
        group_chars += len(folded)
    shingle_sets.extend(_shingle_sets(group))
    signatures = _minhash_many(shingle_sets)
    return [
        Fingerprint(
            shingle_set,
            signature,
            band_hashes(signature) if len(shingle_set) >= MIN_SHINGLES else [],
        )
        for shingle_set, signature in zip(shingle_sets, signatures, strict=True)
    ]


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
