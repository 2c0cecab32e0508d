"""Enrichment speed against bare tokenization, and its scaling with the watchlist size."""

from __future__ import annotations

import tempfile
from pathlib import Path

from camel_tools.tokenizers.word import simple_word_tokenize
from mediawatch.enrich import Enricher, build_enricher, load_enricher
from mediawatch.enrich.learned import TRAINED_DIR, LearnedModels
from mediawatch.enrich.names import NameModel, RussianNames
from mediawatch.enrich.textnorm import Analyzer, RussianLemmatizer

from . import corpus, watchlist
from .report import Result, best_of

ARTICLES = 2000
ARTICLE_BYTES = 3000
ROUNDS = 3
# Enrichment may cost this many times camel-tools' tokenizer over the same texts (issue 7).
MAX_TOKENIZE_RATIO = 4.0
# Watchlist sizes compared, and the allowed time ratio between them (issue 7).
SMALL_WATCHLIST, LARGE_WATCHLIST = 150, 10_000
MAX_SCALING_RATIO = 1.3
# The learned models and name finders may add this much to the enricher's start-up (issue 12).
MAX_ADDED_STARTUP_S = 0.5


def enrich_all(enricher: Enricher, texts: list[tuple[str, str]]) -> None:
    for title, text in texts:
        enricher.enrich(title, text, language="ar")


def tokenize_all(texts: list[tuple[str, str]]) -> None:
    for title, text in texts:
        simple_word_tokenize(f"{title}\n{text}")


def _rate(seconds: float) -> str:
    return f"{ARTICLES / seconds:,.0f} art/s"


def bench_vs_tokenizer(texts: list[tuple[str, str]]) -> Result:
    enricher = load_enricher(corpus.SEEDS)
    enrich_all(enricher, texts[:50])  # warm the lazy parts (lemmatizer, regex caches)
    enriched, tokenized = best_of(ROUNDS, lambda: enrich_all(enricher, texts), lambda: tokenize_all(texts))
    size_kb = sum(len(t.encode()) for _, t in texts) / len(texts) / 1024
    return Result(f"enrichment, {ARTICLES} ar articles of {size_kb:.1f} KB", f"enrich {_rate(enriched)}",
                  f"simple_word_tokenize {_rate(tokenized)}", enriched / tokenized, f"<= {MAX_TOKENIZE_RATIO:g}",
                  note=f"CPU-time ratio enrich/tokenize; best of {ROUNDS} interleaved rounds")


def bench_scaling(texts: list[tuple[str, str]]) -> Result:
    with tempfile.TemporaryDirectory(prefix="mwbench-seeds-") as tmp:
        small = build_enricher(watchlist.seeds_with_entities(SMALL_WATCHLIST, Path(tmp) / "small"))
        large = build_enricher(watchlist.seeds_with_entities(LARGE_WATCHLIST, Path(tmp) / "large"))
    for enricher in (small, large):
        enrich_all(enricher, texts[:50])
    t_small, t_large = best_of(ROUNDS, lambda: enrich_all(small, texts), lambda: enrich_all(large, texts))
    return Result(f"enrichment scaling, watchlist {SMALL_WATCHLIST:,} -> {LARGE_WATCHLIST:,}",
                  f"{len(large.watchlist.entities):,} entities {_rate(t_large)}",
                  f"{len(small.watchlist.entities):,} entities {_rate(t_small)}", t_large / t_small,
                  f"<= {MAX_SCALING_RATIO:g}",
                  note=(f"CPU-time ratio large/small watchlist ({len(small.watchlist.index):,} vs "
                        f"{len(large.watchlist.index):,} alias forms); synthetic entities share the seeds' "
                        "first names and organization head words"))


def bench_startup() -> Result:
    """What the learned models and the name finders add to the enricher's start-up (issue 12)."""

    def added() -> None:
        analyzer = Analyzer(RussianLemmatizer())
        LearnedModels.load()
        RussianNames.load()
        for lang in ("ar", "ru", "en"):
            NameModel.load(TRAINED_DIR / f"names-{lang}.json", analyzer)

    def whole() -> None:
        build_enricher(corpus.SEEDS)

    t_added, t_whole = best_of(ROUNDS, added, whole)
    return Result("enricher start-up added by learned models and name finders (s)", f"added {t_added:.2f} s",
                  f"whole start-up {t_whole:.2f} s", t_added, f"<= {MAX_ADDED_STARTUP_S:g}",
                  note="CPU seconds to load the tone/sentiment/topic models, natasha's NER and the name gazetteers")


def run() -> list[Result]:
    texts = corpus.articles("ar", ARTICLES, ARTICLE_BYTES)
    return [bench_vs_tokenizer(texts), bench_scaling(texts), bench_startup()]
