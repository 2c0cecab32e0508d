"""Scores on the held-out split of the real-news corpus: ``python -m mediawatch evaluate --set real``.

Per language, the shipped enricher (learned models where training chose them) beside two
references that cannot flatter: the majority class of the train split, and the previous lexicon
method (the enricher without its learned models):

- tone toward Russia and Syria per article, over the (article, side) pairs whose gold label is a
  tone (an article that does not portray a side is not scored for it); a missing prediction is
  simply wrong;
- sentence tone, over the labelled side sentences of the test articles;
- document sentiment; topics (micro-F1; the reference predicts the train split's most frequent topic);
- named entities: every person, organization and place the annotators listed against every entity
  the enricher returns (linked or not), matched on folded words; and the watchlist core, the gold
  names the watchlist itself knows.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from mediawatch.enrich.entities import match_entities
from mediawatch.enrich.learned import LANGUAGES
from mediawatch.enrich.names import name_key, names_match
from mediawatch.enrich.pipeline import Enricher, Enrichment, _other
from mediawatch.evaluate import prf, sentiment_scores

from .corpus import CorpusArticle
from .features import side_sentence_features
from .linear import top_label

SIDES = ("Russia", "Syria")
TONE_LABELS = ("negative", "neutral", "positive")


def evaluate_real(articles: Sequence[CorpusArticle], learned: Enricher, lexicon: Enricher,
                  split: str = "test") -> dict[str, Any]:
    """Scores on ``split`` ("train" only to develop rules such as the name finders; models are
    judged on "test")."""
    test = [a for a in articles if a.split == split]
    train = [a for a in articles if a.split == "train"]
    runs = {"learned": _enrich_all(learned, test), "lexicon": _enrich_all(lexicon, test)}
    report: dict[str, Any] = {"enrichment_version": learned.version, "languages": {}}
    for language in LANGUAGES:
        mine = [a for a in test if a.language == language]
        base = [a for a in train if a.language == language]
        report["languages"][language] = {
            "articles": len(mine),
            "train_articles": len(base),
            "tone": _tone_section(mine, base, runs),
            "sentence_tone": _sentence_tone(learned, mine, base),
            "sentiment": _sentiment_section(mine, base, runs),
            "topics": _topic_section(mine, base, runs),
            "entities": _entity_section(learned, mine, runs["learned"]),
        }
    return report


def _enrich_all(enricher: Enricher, articles: Iterable[CorpusArticle]) -> dict[str, Enrichment]:
    return {a.id: enricher.enrich(a.title, a.body, language=a.language) for a in articles}


def _majority(values: Iterable[str]) -> str:
    counts = Counter(values)
    return max(sorted(counts), key=counts.__getitem__) if counts else "neutral"


def _tone_pairs(articles: Sequence[CorpusArticle]) -> list[tuple[CorpusArticle, str, str]]:
    return [(a, side, a.labels.tone[side]) for a in articles for side in SIDES if a.labels.tone[side] != "none"]


def _scores(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    scored = sentiment_scores(list(pairs))
    return {"n": scored["n"], "accuracy": scored["accuracy"], "macro_f1": scored["macro_f1"]}


def _tone_section(test, train, runs) -> dict[str, Any]:
    pairs = _tone_pairs(test)
    majority = _majority(label for _, _, label in _tone_pairs(train))
    out = {"majority": majority, "baseline": _scores([(g, majority) for _, _, g in pairs])}
    for name, results in runs.items():
        out[name] = _scores([(g, results[a.id].tone_labels.get(side) or "none") for a, side, g in pairs])
    return out


def _sentence_tone(enricher: Enricher, test, train) -> dict[str, Any]:
    """The sentence model alone, on the labelled side sentences of the test articles."""
    if enricher.learned is None:
        return {}
    gold_pairs, train_labels = [], []
    for a in train:
        train_labels += [getattr(s, side) for s in a.labels.sentences for side in SIDES if getattr(s, side)]
    sides = list(enricher.sides.items())
    for a in test:
        doc = enricher.analyzer.analyze(a.title, a.body)
        matches = match_entities(doc, enricher.watchlist)
        scores = enricher.sentiment.sentence_scores(doc, a.language)
        gold = {(side, s.n): getattr(s, side) for s in a.labels.sentences for side in SIDES if getattr(s, side)}
        for side, ids in sides:
            for s, features in side_sentence_features(doc, matches, ids, _other(sides, side), scores):
                label = gold.get((side, s.number))
                if label is not None:
                    gold_pairs.append((label, top_label(enricher.learned.sentence_probabilities(features, a.language))))
    majority = _majority(train_labels)
    scored = _four_way(gold_pairs)
    return {"majority": majority, "baseline": _four_way([(g, majority) for g, _ in gold_pairs]), "learned": scored}


def _four_way(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    labels = sorted({g for g, _ in pairs} | {p for _, p in pairs})
    f1s = []
    for label in labels:
        tp = sum(1 for g, p in pairs if g == p == label)
        fp = sum(1 for g, p in pairs if p == label != g)
        fn = sum(1 for g, p in pairs if g == label != p)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return {"n": len(pairs), "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4) if pairs else 0.0,
            "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0}


def _sentiment_section(test, train, runs) -> dict[str, Any]:
    majority = _majority(a.labels.sentiment for a in train)
    out = {"majority": majority, "baseline": _scores([(a.labels.sentiment, majority) for a in test])}
    for name, results in runs.items():
        out[name] = _scores([(a.labels.sentiment, results[a.id].sentiment.label) for a in test])
    return out


def _topic_section(test, train, runs) -> dict[str, Any]:
    common = _majority(t for a in train for t in a.labels.topics)
    out = {"majority": common, "baseline": _micro(test, lambda a: {common})}
    for name, results in runs.items():
        out[name] = _micro(test, _topics_of(results))
    return out


def _topics_of(results: dict[str, Enrichment]) -> Callable[[CorpusArticle], set[str]]:
    def topics(article: CorpusArticle) -> set[str]:
        return set(results[article.id].topics)

    return topics


def _micro(articles, predict: Callable[[CorpusArticle], set[str]]) -> dict[str, Any]:
    tp = fp = fn = 0
    for a in articles:
        gold, predicted = set(a.labels.topics), predict(a)
        tp, fp, fn = tp + len(gold & predicted), fp + len(predicted - gold), fn + len(gold - predicted)
    return prf(tp, fp, fn)


# --- named entities ---------------------------------------------------------------------------


def _entity_section(enricher: Enricher, test, results) -> dict[str, Any]:
    found = gold_total = correct = predicted_total = core_found = core_total = 0
    for a in test:
        gold = [(name_key(enricher.analyzer, e.text), _is_core(enricher, e.text)) for e in a.labels.entities]
        gold = [(k, core) for k, core in gold if k]
        predicted = [[name_key(enricher.analyzer, s) for s in hit.surfaces] for hit in results[a.id].entities]
        for key, core in gold:
            hit = any(names_match(key, p) for surfaces in predicted for p in surfaces)
            found += hit
            gold_total += 1
            if core:
                core_found += hit
                core_total += 1
        for surfaces in predicted:
            predicted_total += 1
            correct += any(names_match(key, p) for key, _ in gold for p in surfaces)
    return {
        "gold": gold_total, "predicted": predicted_total,
        "recall": round(found / gold_total, 4) if gold_total else 1.0,
        "precision": round(correct / predicted_total, 4) if predicted_total else 1.0,
        "core_recall": round(core_found / core_total, 4) if core_total else 1.0, "core": core_total,
    }


def _is_core(enricher: Enricher, text: str) -> bool:
    doc = enricher.analyzer.analyze("", text)
    return bool(match_entities(doc, enricher.watchlist).spans)


# --- report -----------------------------------------------------------------------------------


def format_real_report(report: dict[str, Any]) -> str:
    lines = [f"Real-news corpus, held-out split; enrichment {report['enrichment_version']}", ""]
    header = f"{'':<22}{'n':>5}{'majority':>11}{'lexicon':>10}{'shipped':>10}"
    for language, r in report["languages"].items():
        lines.append(f"[{language}] {r['articles']} test articles ({r['train_articles']} train)")
        lines.append(header + "   (accuracy / macro-F1)")
        for name in ("tone", "sentiment"):
            sec = r[name]
            for metric in ("accuracy", "macro_f1"):
                lines.append(f"{name + ' ' + metric:<22}{sec['learned']['n']:>5}{sec['baseline'][metric]:>11.3f}"
                             f"{sec['lexicon'][metric]:>10.3f}{sec['learned'][metric]:>10.3f}")
        st = r["sentence_tone"]
        if st:
            for metric in ("accuracy", "macro_f1"):
                lines.append(f"{'sentence tone ' + metric:<22}{st['learned']['n']:>5}{st['baseline'][metric]:>11.3f}"
                             f"{'':>10}{st['learned'][metric]:>10.3f}")
        tp = r["topics"]
        lines.append(f"{'topics micro-F1':<22}{'':>5}{tp['baseline']['f1']:>11.3f}{tp['lexicon']['f1']:>10.3f}"
                     f"{tp['learned']['f1']:>10.3f}")
        en = r["entities"]
        lines.append(f"entities: {en['gold']} gold, {en['predicted']} predicted; precision {en['precision']:.3f} "
                     f"recall {en['recall']:.3f}; watchlist core recall {en['core_recall']:.3f} ({en['core']})")
        lines.append("")
    return "\n".join(lines)


# --- ../shared/realtexts: an outside test set, with the project's own labels --------------------

REALTEXTS_LABELS = Path(__file__).resolve().parents[3] / "tests" / "data" / "realtexts_labels.json"


def evaluate_realtexts(folder: Path, enricher: Enricher, labels_path: Path = REALTEXTS_LABELS) -> dict[str, Any]:
    """Right labels on the evaluation texts in ``folder`` (never trained on): sentiment per article,
    tone per (article, side) whose gold is a tone. Files whose bytes changed are refused."""
    body = json.loads(labels_path.read_text(encoding="utf-8"))
    sentiment_right = tone_right = tone_total = 0
    by_language: dict[str, Counter] = {}
    for item in body["articles"]:
        raw = (folder / item["file"]).read_bytes()
        if hashlib.sha256(raw).hexdigest() != item["sha256"]:
            raise ValueError(f"{item['file']}: the text differs from the one labelled")
        title, _, text = raw.decode("utf-8").partition("\n")
        language = item["file"].removeprefix("neg_")[:2]
        result = enricher.enrich(title, text, language=language)
        counts = by_language.setdefault(language, Counter())
        right = result.sentiment.label == item["sentiment"]
        sentiment_right += right
        counts["sentiment_right"] += right
        counts["articles"] += 1
        for side in SIDES:
            if item["tone"][side] != "none":
                hit = (result.tone_labels.get(side) or "none") == item["tone"][side]
                tone_right += hit
                tone_total += 1
                counts["tone_right"] += hit
                counts["tone_pairs"] += 1
    return {"articles": len(body["articles"]), "sentiment_right": sentiment_right, "tone_right": tone_right,
            "tone_pairs": tone_total, "by_language": {k: dict(v) for k, v in sorted(by_language.items())},
            "enrichment_version": enricher.version}


def format_realtexts_report(report: dict[str, Any]) -> str:
    lines = [f"../shared/realtexts ({report['articles']} articles, not trained on); enrichment "
             f"{report['enrichment_version']}",
             f"sentiment right: {report['sentiment_right']} / {report['articles']}",
             f"tone right:      {report['tone_right']} / {report['tone_pairs']}"]
    for lang, c in report["by_language"].items():
        lines.append(f"  {lang}: sentiment {c['sentiment_right']}/{c['articles']}, "
                     f"tone {c.get('tone_right', 0)}/{c.get('tone_pairs', 0)}")
    return "\n".join(lines)
