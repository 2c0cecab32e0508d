"""Scores the enricher against the hand-annotated articles in tests/data/annotated_articles.yaml.

Entity linking is scored on watchlist ids only (unlinked NER entities have no gold id):
precision, recall and F1 per entity type and micro-averaged overall. Sentiment is scored by
accuracy and macro-F1 over the three labels. Both are also broken down by language, because
a good English score must not hide a weak Arabic one. ``python -m mediawatch evaluate`` prints
:func:`format_report` of :func:`evaluate`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from mediawatch.constants import LANGUAGES, Language
from mediawatch.enrich.pipeline import Enricher, Enrichment
from mediawatch.seedfile import StrictModel, load_entries

# The annotated set lives with the tests; the CLI defaults to it.
DEFAULT_ARTICLES_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "annotated_articles.yaml"
ENTITY_TYPES = ("person", "organization", "location")
LABELS = ("positive", "neutral", "negative")
# Gold ids missing from the watchlist are scored as misses under this type.
UNKNOWN_TYPE = "unknown"


class AnnotatedArticle(StrictModel):
    id: str = Field(min_length=1)
    language: Language
    title: str = ""
    text: str
    entities: tuple[str, ...] = ()
    sentiment: Literal["positive", "neutral", "negative"]
    relevant: bool
    topics: tuple[str, ...] = ()
    note: str = ""


def load_articles(path: Path) -> list[AnnotatedArticle]:
    """Validated annotated articles; a bad entry raises SeedError with its line."""
    articles, _, _ = load_entries(Path(path), "articles", AnnotatedArticle)
    return articles


# --- Counting -----------------------------------------------------------------------------


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}


def _entity_counts(enricher: Enricher, gold: set[str], predicted: set[str]) -> Counter:
    """tp/fp/fn per entity type for one article, keyed ("tp", type)..."""
    counts: Counter = Counter()
    for eid in gold | predicted:
        kind = _type_of(enricher, eid)
        outcome = "tp" if eid in gold and eid in predicted else "fn" if eid in gold else "fp"
        counts[(outcome, kind)] += 1
    return counts


def _type_of(enricher: Enricher, entity_id: str) -> str:
    info = enricher.watchlist.entities.get(entity_id)
    return info.type if info else UNKNOWN_TYPE


def _prf_by_type(counts: Counter, types: Iterable[str]) -> dict[str, dict[str, float | int]]:
    table = {t: prf(counts[("tp", t)], counts[("fp", t)], counts[("fn", t)]) for t in types}
    table["micro"] = prf(*(sum(v for (o, _), v in counts.items() if o == outcome) for outcome in ("tp", "fp", "fn")))
    return table


def sentiment_scores(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Accuracy, per-label P/R/F1 and macro-F1 over (gold, predicted) label pairs."""
    if not pairs:
        return {"n": 0, "accuracy": 0.0, "macro_f1": 0.0, "per_label": {}, "confusion": {}}
    per_label = {}
    for label in LABELS:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        per_label[label] = prf(tp, fp, fn)
    present = [label for label in LABELS if any(g == label or p == label for g, p in pairs)]
    confusion = {g: {p: sum(1 for a, b in pairs if (a, b) == (g, p)) for p in LABELS} for g in LABELS}
    return {
        "n": len(pairs),
        "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4),
        "macro_f1": round(sum(per_label[label]["f1"] for label in present) / len(present), 4),
        "per_label": per_label,
        "confusion": confusion,
    }


# --- Evaluation ---------------------------------------------------------------------------


def evaluate(enricher: Enricher, articles_path: Path = DEFAULT_ARTICLES_PATH) -> dict[str, Any]:
    """Enrich every annotated article and compare with its gold annotation."""
    articles = load_articles(articles_path)
    results = [(a, enricher.enrich(a.title, a.text, prior=a.language)) for a in articles]
    report: dict[str, Any] = {"articles": len(articles), "enrichment_version": enricher.version}
    report["by_language"] = dict(Counter(a.language for a in articles))
    report["entities"] = _entity_report(enricher, results)
    report["entities_by_language"] = {
        lang: _entity_report(enricher, [r for r in results if r[0].language == lang])["micro"] for lang in LANGUAGES}
    report["sentiment"] = sentiment_scores([(a.sentiment, e.sentiment.label) for a, e in results])
    report["sentiment_by_language"] = {
        lang: sentiment_scores([(a.sentiment, e.sentiment.label) for a, e in results if a.language == lang])
        for lang in LANGUAGES}
    report["language_accuracy"] = round(sum(a.language == e.language for a, e in results) / max(1, len(results)), 4)
    report["relevance_accuracy"] = round(
        sum(a.relevant == e.relevance.relevant for a, e in results) / max(1, len(results)), 4)
    report["topics"] = _topic_report(results)
    report["errors"] = [err for a, e in results if (err := _article_errors(a, e))]
    return report


def _linked_ids(enrichment: Enrichment) -> set[str]:
    return {e.id for e in enrichment.entities if e.linked}


def _entity_report(enricher: Enricher, results: list[tuple[AnnotatedArticle, Enrichment]]) -> dict[str, Any]:
    counts: Counter = Counter()
    for article, enrichment in results:
        counts += _entity_counts(enricher, set(article.entities), _linked_ids(enrichment))
    types = [*ENTITY_TYPES, *([UNKNOWN_TYPE] if any(k == UNKNOWN_TYPE for _, k in counts) else [])]
    return _prf_by_type(counts, types)


def _topic_report(results: list[tuple[AnnotatedArticle, Enrichment]]) -> dict[str, float | int]:
    tp = fp = fn = 0
    for article, enrichment in results:
        gold, predicted = set(article.topics), set(enrichment.topics)
        tp, fp, fn = tp + len(gold & predicted), fp + len(predicted - gold), fn + len(gold - predicted)
    return prf(tp, fp, fn)


def _article_errors(article: AnnotatedArticle, enrichment: Enrichment) -> dict[str, Any] | None:
    """What one article got wrong, for the report's error list (empty when all is right)."""
    predicted, gold = _linked_ids(enrichment), set(article.entities)
    errors: dict[str, Any] = {}
    if gold - predicted:
        errors["missing"] = sorted(gold - predicted)
    if predicted - gold:
        errors["extra"] = sorted(predicted - gold)
    if article.sentiment != enrichment.sentiment.label:
        errors["sentiment"] = f"{article.sentiment} -> {enrichment.sentiment.label} ({enrichment.sentiment.score})"
    if article.relevant != enrichment.relevance.relevant:
        errors["relevant"] = f"{article.relevant} -> {enrichment.relevance.relevant} ({enrichment.relevance.score})"
    return {"id": article.id, "language": article.language, **errors} if errors else None


# --- Report -------------------------------------------------------------------------------


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table of the figures, for the terminal and the README."""
    languages = ", ".join(f"{k} {v}" for k, v in sorted(report["by_language"].items()))
    header = f"Annotated articles: {report['articles']} ({languages}); enrichment {report['enrichment_version']}"
    sections = [[header], _entity_section(report), _sentiment_section(report), _summary_section(report),
                _errors_section(report)]
    return "\n\n".join("\n".join(section) for section in sections if section)


def _entity_section(report: dict[str, Any]) -> list[str]:
    by_language = {f"lang {k}": v for k, v in report["entities_by_language"].items()}
    return ["Watchlist entities", *_prf_table({**report["entities"], **by_language})]


def _sentiment_section(report: dict[str, Any]) -> list[str]:
    rows = {"all": report["sentiment"], **{f"lang {k}": v for k, v in report["sentiment_by_language"].items()}}
    lines = ["Sentiment", f"{'':<14}{'n':>5}{'accuracy':>10}{'macro-F1':>10}"]
    lines += [f"{name:<14}{r['n']:>5}{r['accuracy']:>10.3f}{r['macro_f1']:>10.3f}" for name, r in rows.items()]
    confusion = report["sentiment"]["confusion"]
    lines += ["confusion (rows gold, columns predicted)", f"{'':<10}" + "".join(f"{p:>10}" for p in LABELS)]
    lines += [f"{g:<10}" + "".join(f"{confusion.get(g, {}).get(p, 0):>10}" for p in LABELS) for g in LABELS]
    return lines


def _summary_section(report: dict[str, Any]) -> list[str]:
    topics = report["topics"]
    return [f"Language accuracy {report['language_accuracy']:.3f}   "
            f"relevance accuracy {report['relevance_accuracy']:.3f}   "
            f"topics P {topics['precision']:.3f} R {topics['recall']:.3f} F1 {topics['f1']:.3f}"]


def _errors_section(report: dict[str, Any]) -> list[str]:
    if not report["errors"]:
        return []
    lines = [f"Articles with errors: {len(report['errors'])}"]
    for error in report["errors"]:
        details = "; ".join(f"{k}: {v}" for k, v in error.items() if k not in ("id", "language"))
        lines.append(f"  {error['id']} [{error['language']}] {details}")
    return lines


def _prf_table(rows: dict[str, dict[str, float | int]]) -> list[str]:
    out = [f"{'':<14}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}{'F1':>7}"]
    for name, r in rows.items():
        out.append(f"{name:<14}{r['tp']:>5}{r['fp']:>5}{r['fn']:>5}{r['precision']:>11.3f}"
                   f"{r['recall']:>8.3f}{r['f1']:>7.3f}")
    return out
