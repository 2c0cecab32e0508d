"""Near-duplicate detection for wire copies: MinHash over normalized words, with LSH bands.

Why MinHash and not SimHash: feed items are short (a title and a two-line summary), and on
20-word texts SimHash moved 11 of 64 bits when an outlet added four words to a wire story,
as far as it moves for unrelated texts. MinHash estimates the Jaccard overlap of the word
sets directly, which stays high (~0.8) for such copies. The 64-value signature is cut into
16 bands of 4; each band becomes a keyword (``fingerprint_bands``), so candidates come from
one ``terms`` lookup in Elasticsearch, and are then confirmed on the full signature.
Tokens are normalized across scripts first (case, Arabic diacritics and tatweel,
alef/ya/teh-marbuta variants, ё) so the same story re-typed by two outlets hashes alike.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np

PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
# Estimated Jaccard overlap from which two items count as the same story. Re-edited wire
# copies measured 0.7-0.9 on our samples; unrelated items sharing stop words stay under 0.3.
MIN_SIMILARITY = 0.6
_PRIME = 4_294_967_291  # largest prime below 2**32: signatures fit in uint32
_rng = np.random.default_rng(20261129)  # fixed: fingerprints must be stable across runs
_A = _rng.integers(1, 2**31, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, 2**31, PERMUTATIONS, dtype=np.uint64)

_TOKEN = re.compile(r"\w+", re.UNICODE)
_ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")
# Letter variants folded before hashing. Applied with str.replace: no target is also a source,
# so the chain equals one str.translate, which looks up every character of the text in a dict
# and cost more than the rest of the signature (benchmarks, bench/RESULTS.md).
_FOLD_PAIRS = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ى", "ي"), ("ة", "ه"), ("ё", "е"))
# Word digests kept: news vocabulary is Zipfian, so most words of an item were hashed before.
# 100k short strings and 4-byte digests stay within ~20 MB.
DIGEST_CACHE_SIZE = 100_000
_BAND_PREFIXES = tuple(f"{b}:" for b in range(BANDS))


def _fold(text: str) -> str:
    for variant, letter in _FOLD_PAIRS:
        text = text.replace(variant, letter)
    return text


def fingerprint_tokens(text: str) -> set[str]:
    """Script-agnostic normalized word set used for fingerprints."""
    folded = _fold(_ARABIC_MARKS.sub("", text.casefold()))
    return set(_TOKEN.findall(folded))


@lru_cache(maxsize=DIGEST_CACHE_SIZE)
def _token_digest(token: str) -> bytes:
    return hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest()


def signature(text: str) -> np.ndarray:
    """64 MinHash values (uint32); all-max for a text without words."""
    tokens = fingerprint_tokens(text)
    if not tokens:
        return np.full(PERMUTATIONS, _PRIME, dtype=np.uint32)
    digests = b"".join(map(_token_digest, tokens))
    values = np.frombuffer(digests, dtype=np.uint32).astype(np.uint64)
    hashed = (values[:, None] * _A[None, :] + _B[None, :]) % _PRIME
    return hashed.min(axis=0).astype(np.uint32)


def encode(sig: np.ndarray) -> str:
    return sig.astype(">u4").tobytes().hex()


def decode(value: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(value), dtype=">u4").astype(np.uint32)


def bands(sig: np.ndarray) -> list[str]:
    """LSH band keys ``"<band>:<hash>"``; similar signatures share at least one with high probability."""
    raw = sig.astype(">u4").tobytes()
    width = ROWS * 4
    return [prefix + hashlib.blake2b(raw[b * width:(b + 1) * width], digest_size=5).hexdigest()
            for b, prefix in enumerate(_BAND_PREFIXES)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard overlap of the two word sets."""
    return float(np.mean(a == b))


def is_near_duplicate(a: str, b: str) -> bool:
    """Both arguments are encoded signatures (the ``fingerprint`` field)."""
    if not a or not b:
        return False
    first, second = decode(a), decode(b)
    if (first == _PRIME).all() or (second == _PRIME).all():
        return False
    return similarity(first, second) >= MIN_SIMILARITY
