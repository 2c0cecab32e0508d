"""Train the shipped tone, sentiment and topic models on the train split of the annotated corpus.

``make train`` runs ``python -m mediawatch.learn.train``; it needs scikit-learn (extra ``train``)
and the corpus texts (``python -m mediawatch.learn.corpus materialise``). Everything is
deterministic: fixed folds, fixed hyper-parameter grids, sorted features, rounded weights. So the
same corpus gives the same files byte for byte (``tests/test_learn.py`` checks it).

Models, all logistic regressions:

1. sentence tone per language: target-aware sentence features -> negative/neutral/positive/none;
2. article tone, shared by the languages: the sentence probabilities of a side, as the tone model
   gives them on articles it was not trained on (out-of-fold), -> the article's label for the side;
3. document sentiment, shared: article words, lexicon score, tone summaries -> 3 labels;
4. topics, shared: one yes/no row per topic over the words and the keyword rules' weights, with
   one decision threshold chosen out-of-fold.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediawatch.enrich.entities import EntityMatches, match_entities
from mediawatch.enrich.learned import LANGUAGES, TRAINED_DIR, combine
from mediawatch.enrich.pipeline import Enricher, _other, build_enricher
from mediawatch.enrich.textnorm import Doc
from mediawatch.settings import DEFAULT_SEEDS_DIR

from .corpus import CorpusArticle, load_corpus
from .features import (
    aggregate_features,
    article_tone_features,
    document_features,
    side_sentence_features,
    topic_features,
)
from .fitting import best_threshold, choose_c, export, fit, macro_f1, micro_f1, out_of_fold, out_of_fold_for, vocabulary
from .linear import LinearModel, from_rows, top_label
from .train_names import train_names

LOG = logging.getLogger(__name__)
SENTIMENTS = ("negative", "neutral", "positive")
SIDES = ("Russia", "Syria")


@dataclass
class Analysed:
    """One corpus article as the enricher sees it, with its gold labels."""

    article: CorpusArticle
    doc: Doc
    matches: EntityMatches
    scores: list[float]
    group: str
    sentence_gold: dict[tuple[str, int], str] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return self.article.language


def analyse(enricher: Enricher, article: CorpusArticle) -> Analysed:
    doc = enricher.analyzer.analyze(article.title, article.body)
    matches = match_entities(doc, enricher.watchlist)
    scores = enricher.sentiment.sentence_scores(doc, article.language)
    ranges = doc.sentence_ranges()
    gold: dict[tuple[str, int], str] = {}
    for sentence in article.labels.sentences:
        text = doc.text_of(ranges[sentence.n]) if sentence.n < len(ranges) else ""
        if hashlib.sha1(text.encode()).hexdigest()[:10] != sentence.sha1:
            raise ValueError(f"{article.id}: sentence {sentence.n} no longer matches its label (sentence "
                             "splitting changed?); relabel or re-align before training")
        for side in SIDES:
            label = getattr(sentence, side)
            if label is not None:
                gold[(side, sentence.n)] = label
    return Analysed(article, doc, matches, scores, f"{article.outlet}|{article.date}", gold)


def sentence_rows(item: Analysed, enricher: Enricher) -> list[tuple[str, dict[str, float], str | None]]:
    """(side, features, gold label or None) for each sentence of ``item`` that mentions a side."""
    sides = list(enricher.sides.items())
    rows = []
    for side, ids in sides:
        for s, features in side_sentence_features(item.doc, item.matches, ids, _other(sides, side), item.scores):
            rows.append((side, features, item.sentence_gold.get((side, s.number))))
    return rows


# --- scikit-learn at the edges ----------------------------------------------------------------


# --- the four models ------------------------------------------------------------------------


def train_all(articles: Sequence[CorpusArticle], seeds_dir: Path) -> dict[str, LinearModel]:
    enricher = build_enricher(seeds_dir, learned=False)
    items = [analyse(enricher, a) for a in articles if a.split == "train"]
    LOG.info("training on %d articles", len(items))
    models: dict[str, LinearModel] = {}
    sentence_probs: dict[tuple[str, str], list[dict[str, float]]] = {}

    for language in LANGUAGES:
        mine = [it for it in items if it.language == language]
        rows, labels, groups = [], [], []
        for it in mine:
            for _side, features, gold in sentence_rows(it, enricher):
                if gold is not None:
                    rows.append(features)
                    labels.append(gold)
                    groups.append(it.group)
        # two stages: is the mention the side's state at all (a place, refugees, the opposition
        # are "none"), and if so, how is the side portrayed. One four-way model confused "none"
        # with "negative": both are about war.
        mentions = ["none" if label == "none" else "side" for label in labels]
        c_mention = choose_c(rows, mentions, groups)
        toned = [i for i, label in enumerate(labels) if label != "none"]
        tone_rows, tone_labels, tone_groups = ([rows[i] for i in toned], [labels[i] for i in toned],
                                               [groups[i] for i in toned])
        c_tone = choose_c(tone_rows, tone_labels, tone_groups)
        models[f"mention-{language}"] = export(fit(rows, mentions, c_mention), meta={
            "C": c_mention, "sentences": len(rows), "labels": dict(sorted(Counter(mentions).items()))})
        models[f"tone-{language}"] = export(fit(tone_rows, tone_labels, c_tone), meta={
            "C": c_tone, "sentences": len(tone_rows), "labels": dict(sorted(Counter(tone_labels).items()))})
        # out-of-fold probabilities of every side sentence (labelled or not) for the article model
        all_rows, all_groups, keys = [], [], []
        for it in mine:
            for side, features, _gold in sentence_rows(it, enricher):
                all_rows.append(features)
                all_groups.append(it.group)
                keys.append((it.article.id, side))
        side_p = out_of_fold_for(rows, mentions, groups, all_rows, all_groups, c_mention)
        tone_p = out_of_fold_for(tone_rows, tone_labels, tone_groups, all_rows, all_groups, c_tone)
        for key, mention, portrayal in zip(keys, side_p, tone_p, strict=True):
            sentence_probs.setdefault(key, []).append(combine(mention, portrayal))
        LOG.info("%s: %d labelled sentences, mention C=%s, tone C=%s", language, len(rows), c_mention, c_tone)

    summaries = {}
    article_rows, article_labels, article_groups = [], [], []
    for it in items:
        for side, ids in enricher.sides.items():
            probs = sentence_probs.get((it.article.id, side), [])
            if not probs:
                continue
            in_title = any(it.doc.sentence_of[s.start] < it.doc.title_sentences
                           for s in it.matches.spans if s.entity_id in ids)
            summary = aggregate_features(probs, in_title, it.doc.sentence_count)
            summaries[(it.article.id, side)] = summary
            # "none" is decided from the sentences (see learned.NONE_SHARE); this model only says
            # how a side that is there is portrayed. Unweighted: the article labels are as skewed
            # as real coverage, and balancing cost accuracy out-of-fold.
            if it.article.labels.tone[side] != "none":
                article_rows.append(article_tone_features(summary, it.language, side))
                article_labels.append(it.article.labels.tone[side])
                article_groups.append(it.group)
    c = choose_c(article_rows, article_labels, article_groups, balanced=False)
    oof = out_of_fold(article_rows, article_labels, article_groups, c, balanced=False)
    cross_validated = {}
    for language in LANGUAGES:
        pairs = [(gold, top_label(p)) for gold, p, row in zip(article_labels, oof, article_rows, strict=True)
                 if row.get(f"lang:{language}") and p]
        cross_validated[language] = {"accuracy": round(sum(g == q for g, q in pairs) / len(pairs), 4),
                                     "macro_f1": round(macro_f1([g for g, _ in pairs], [q for _, q in pairs]), 4)}
    models["article-tone"] = export(fit(article_rows, article_labels, c, balanced=False),
                                     meta={"C": c, "pairs": len(article_rows), "out_of_fold": cross_validated,
                                           "labels": dict(sorted(Counter(article_labels).items()))})

    doc_rows = []
    for it in items:
        tones = {side: summaries.get((it.article.id, side), {}) for side in SIDES}
        features = document_features(it.doc, sum(it.scores) / len(it.scores) if it.scores else 0.0, tones)
        features[f"lang:{it.language}"] = 1.0
        doc_rows.append(features)
    sentiments = [it.article.labels.sentiment for it in items]
    groups = [it.group for it in items]
    c = choose_c(doc_rows, sentiments, groups)
    predicted = [top_label(p) if p else "" for p in out_of_fold(doc_rows, sentiments, groups, c)]
    lexicon = [enricher.sentiment.document(it.scores, it.language).label for it in items]
    choice = _per_language(items, sentiments, predicted, lexicon, macro_f1)
    models["sentiment"] = export(fit(doc_rows, sentiments, c),
                                  meta={"C": c, "articles": len(doc_rows), **choice,
                                        "labels": dict(sorted(Counter(sentiments).items()))})

    models["topics"] = _train_topics(items, doc_rows, groups, enricher)
    return models


def _train_topics(items: Sequence[Analysed], doc_rows, groups, enricher: Enricher) -> LinearModel:
    order = enricher.topics.order
    rows = [topic_features(d, enricher.topics.weights_of(it.doc, it.language), enricher.topics.min_hits)
            | {f"lang:{it.language}": 1.0} for it, d in zip(items, doc_rows, strict=True)]
    names = vocabulary(rows)
    coef, intercept, cs = [], [], {}
    oof_scores: list[tuple[float, bool]] = []
    oof_by_topic: dict[str, list[float]] = {}
    for topic in order:
        labels = ["yes" if topic in it.article.labels.topics else "no" for it in items]
        if labels.count("yes") < 3:
            coef.append([0.0] * len(names))
            intercept.append(-20.0)
            continue
        c = choose_c(rows, labels, groups)
        cs[topic] = c
        oof_by_topic[topic] = [p.get("yes", 0.0) for p in out_of_fold(rows, labels, groups, c)]
        oof_scores += [(p, gold == "yes") for p, gold in zip(oof_by_topic[topic], labels, strict=True)]
        model, used = fit(rows, labels, c)
        weights = dict(zip(used, model.coef_[0].tolist(), strict=True))
        sign = 1.0 if list(model.classes_) == ["no", "yes"] else -1.0
        coef.append([sign * weights.get(name, 0.0) for name in names])
        intercept.append(sign * float(model.intercept_[0]))
    threshold = best_threshold(oof_scores)
    gold = [set(it.article.labels.topics) for it in items]
    learned = [{t for t, probs in oof_by_topic.items() if probs[k] >= threshold} for k in range(len(items))]
    rules = [set(enricher.topics.topics_of(it.doc, it.language)) for it in items]
    choice = _per_language(items, gold, learned, rules, micro_f1)
    return from_rows("sigmoid", order, names, coef, intercept, thresholds=[threshold] * len(order),
                     meta={"C": cs, "articles": len(items), "threshold": threshold, **choice})


def _per_language(items, gold, learned, previous, score) -> dict[str, Any]:
    """Out-of-fold score of the learned model and score of the previous method on the train split,
    per language; the learned model is used only where it does better (``use_for``)."""
    compared, use_for = {}, []
    for language in LANGUAGES:
        mine = [k for k, it in enumerate(items) if it.language == language]
        ours = score([gold[k] for k in mine], [learned[k] for k in mine])
        theirs = score([gold[k] for k in mine], [previous[k] for k in mine])
        compared[language] = {"learned_out_of_fold": round(ours, 4), "previous": round(theirs, 4)}
        if ours > theirs:
            use_for.append(language)
    return {"train_split": compared, "use_for": use_for}


def write_models(models: Mapping[str, LinearModel | str], folder: Path = TRAINED_DIR) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for name, model in sorted(models.items()):
        text = model if isinstance(model, str) else model.to_json()
        (folder / f"{name}.json").write_text(text, encoding="utf-8")
        hashes[name] = hashlib.sha256(text.encode()).hexdigest()
    return hashes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mediawatch.learn.train", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TRAINED_DIR, help="where to write the model files")
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    corpus = load_corpus()
    hashes = write_models({**train_all(corpus, args.seeds), **train_names(corpus, args.seeds)}, args.out)
    print(json.dumps(hashes, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
