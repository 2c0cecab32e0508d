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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mediawatch.enrich.entities import EntityMatches, match_entities
from mediawatch.enrich.learned import LANGUAGES, TRAINED_DIR, combine
from mediawatch.enrich.names import NameModel, bare_key, name_key, names_match, same_name
from mediawatch.enrich.pipeline import Enricher, _other, build_enricher
from mediawatch.enrich.textnorm import Doc
from mediawatch.settings import DEFAULT_SEEDS_DIR

from .corpus import CorpusArticle, load_corpus
from .features import (
    aggregate_features,
    article_tone_features,
    document_features,
    sentence_features,
    side_sentences,
    span_features,
    topic_features,
)
from .linear import LinearModel, from_rows, top_label

LOG = logging.getLogger(__name__)
SENTIMENTS = ("negative", "neutral", "positive")
SIDES = ("Russia", "Syria")
FOLDS = 5
MIN_FEATURE_COUNT = 2
C_GRID = (0.1, 0.3, 1.0, 3.0)
# A word seen in this many train articles and never in a name is "common" for the name finders.
COMMON_MIN_ARTICLES = 3


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
        for s in side_sentences(item.doc, item.matches, ids, _other(sides, side)):
            features = sentence_features(item.doc, s, _at(item.scores, s.number), s.number < item.doc.title_sentences)
            rows.append((side, features, item.sentence_gold.get((side, s.number))))
    return rows


# --- scikit-learn at the edges ----------------------------------------------------------------


def _vocabulary(rows: Iterable[Mapping[str, float]]) -> list[str]:
    counts: Counter = Counter()
    for row in rows:
        counts.update(row.keys())
    return sorted(name for name, count in counts.items() if count >= MIN_FEATURE_COUNT)


def _matrix(rows: Sequence[Mapping[str, float]], names: Sequence[str]):
    from scipy.sparse import csr_matrix

    index = {name: i for i, name in enumerate(names)}
    data, cols, indptr = [], [], [0]
    for row in rows:
        for name in sorted(row):
            col = index.get(name)
            if col is not None and row[name]:
                cols.append(col)
                data.append(float(row[name]))
        indptr.append(len(cols))
    return csr_matrix((data, cols, indptr), shape=(len(rows), len(names)))


def _fit(rows: Sequence[Mapping[str, float]], labels: Sequence[str], c: float, balanced: bool = True):
    from sklearn.linear_model import LogisticRegression

    names = _vocabulary(rows)
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced" if balanced else None)
    model.fit(_matrix(rows, names), list(labels))
    return model, names


def _proba(fitted, rows: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
    model, names = fitted
    probs = model.predict_proba(_matrix(rows, names))
    return [dict(zip(model.classes_, map(float, p), strict=True)) for p in probs]


def _folds(groups: Sequence[str]) -> list[list[int]]:
    """Indices of each fold: whole outlet-day groups, assigned by a hash so the folds never change."""
    folds: list[list[int]] = [[] for _ in range(FOLDS)]
    for i, group in enumerate(groups):
        folds[int(hashlib.sha256(group.encode()).hexdigest(), 16) % FOLDS].append(i)
    return [f for f in folds if f]


def _out_of_fold(rows, labels, groups, c, balanced=True) -> list[dict[str, float]]:
    out: list[dict[str, float]] = [{} for _ in rows]
    for held in _folds(groups):
        held_set = set(held)
        train = [i for i in range(len(rows)) if i not in held_set]
        if len(set(labels[i] for i in train)) < 2:
            continue
        fitted = _fit([rows[i] for i in train], [labels[i] for i in train], c, balanced)
        for i, p in zip(held, _proba(fitted, [rows[i] for i in held]), strict=True):
            out[i] = p
    return out


def _macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def _choose_c(rows, labels, groups, balanced=True) -> float:
    """The C of the grid with the best out-of-fold macro-F1 (ties: the smaller, more regular C)."""
    best, best_c = -1.0, C_GRID[0]
    for c in C_GRID:
        probs = _out_of_fold(rows, labels, groups, c, balanced)
        predicted = [top_label(p) if p else "" for p in probs]
        score = _macro_f1(labels, predicted)
        if score > best + 1e-9:
            best, best_c = score, c
    return best_c


def _export(fitted, kind: str = "softmax", meta: Mapping[str, Any] | None = None) -> LinearModel:
    model, names = fitted
    classes = [str(c) for c in model.classes_]
    coef = model.coef_.tolist()
    intercept = model.intercept_.tolist()
    if len(classes) == 2:  # scikit-learn keeps one row for two classes: P(second) = sigmoid(row)
        coef = [[-w for w in coef[0]], coef[0]]
        intercept = [-intercept[0] / 2, intercept[0] / 2]
        coef = [[w / 2 for w in row] for row in coef]
    return from_rows(kind, classes, names, coef, intercept, meta=meta)


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
        c_mention = _choose_c(rows, mentions, groups)
        toned = [i for i, label in enumerate(labels) if label != "none"]
        tone_rows, tone_labels, tone_groups = ([rows[i] for i in toned], [labels[i] for i in toned],
                                               [groups[i] for i in toned])
        c_tone = _choose_c(tone_rows, tone_labels, tone_groups)
        models[f"mention-{language}"] = _export(_fit(rows, mentions, c_mention), meta={
            "C": c_mention, "sentences": len(rows), "labels": dict(sorted(Counter(mentions).items()))})
        models[f"tone-{language}"] = _export(_fit(tone_rows, tone_labels, c_tone), meta={
            "C": c_tone, "sentences": len(tone_rows), "labels": dict(sorted(Counter(tone_labels).items()))})
        # out-of-fold probabilities of every side sentence (labelled or not) for the article model
        all_rows, all_groups, keys = [], [], []
        for it in mine:
            for side, features, _gold in sentence_rows(it, enricher):
                all_rows.append(features)
                all_groups.append(it.group)
                keys.append((it.article.id, side))
        side_p = _oof_for(rows, mentions, groups, all_rows, all_groups, c_mention)
        tone_p = _oof_for(tone_rows, tone_labels, tone_groups, all_rows, all_groups, c_tone)
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
    c = _choose_c(article_rows, article_labels, article_groups, balanced=False)
    oof = _out_of_fold(article_rows, article_labels, article_groups, c, balanced=False)
    cross_validated = {}
    for language in LANGUAGES:
        pairs = [(gold, top_label(p)) for gold, p, row in zip(article_labels, oof, article_rows, strict=True)
                 if row.get(f"lang:{language}") and p]
        cross_validated[language] = {"accuracy": round(sum(g == q for g, q in pairs) / len(pairs), 4),
                                     "macro_f1": round(_macro_f1([g for g, _ in pairs], [q for _, q in pairs]), 4)}
    models["article-tone"] = _export(_fit(article_rows, article_labels, c, balanced=False),
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
    c = _choose_c(doc_rows, sentiments, groups)
    predicted = [top_label(p) if p else "" for p in _out_of_fold(doc_rows, sentiments, groups, c)]
    lexicon = [enricher.sentiment.document(it.scores, it.language).label for it in items]
    choice = _per_language(items, sentiments, predicted, lexicon, _macro_f1)
    models["sentiment"] = _export(_fit(doc_rows, sentiments, c),
                                  meta={"C": c, "articles": len(doc_rows), **choice,
                                        "labels": dict(sorted(Counter(sentiments).items()))})

    models["topics"] = _train_topics(items, doc_rows, groups, enricher)
    return models


def train_names(articles: Sequence[CorpusArticle], seeds_dir: Path) -> dict[str, str]:
    """Per language, the gazetteer and common words of :class:`mediawatch.enrich.names.NameModel`."""
    enricher = build_enricher(seeds_dir, learned=False)
    analyzer = enricher.analyzer
    out = {}
    for language in LANGUAGES:
        mine = [a for a in articles if a.split == "train" and a.language == language]
        docs = [analyzer.analyze(a.title, a.body) for a in mine]
        # every form of every word of a document, to skip documents that cannot hold a name
        vocabularies = [set(d.keys) | {bare_key(k) for k in d.keys} for d in docs]
        named_words: set[str] = set()
        candidates: dict[tuple[str, ...], Counter] = {}
        for article in mine:
            for entity in article.labels.entities:
                key = name_key(analyzer, entity.text)
                if key:
                    named_words.update(key)
                    candidates.setdefault(key, Counter())[entity.type] += 1
        # a name is kept when, in every train article whose text holds it, the annotators marked it
        gazetteer = []
        for key, kinds in sorted(candidates.items()):
            forms = [{k, bare_key(k)} for k in key]
            holding = [a for a, d, v in zip(mine, docs, vocabularies, strict=True)
                       if all(f & v for f in forms) and names_match(key, tuple(d.keys))]
            marked = [a for a in holding if any(same_name(name_key(analyzer, e.text), key) for e in a.labels.entities)]
            if holding and len(marked) == len(holding):
                text = next(e.text for a in marked for e in a.labels.entities
                            if same_name(name_key(analyzer, e.text), key))
                gazetteer.append((text, max(sorted(kinds), key=kinds.__getitem__)))
        gazetteer += [(name, "LOC") for name in _country_names(language)]
        spread: Counter = Counter()
        for doc in docs:
            words = ({w.lower() for w in doc.words if w.islower()} if language == "en"
                     else set(doc.keys))
            spread.update(words)
        common = sorted(w for w, c in spread.items() if c >= COMMON_MIN_ARTICLES and w not in named_words)
        finder = NameModel(sorted(set(gazetteer)), frozenset(common), analyzer)
        span_filter, filter_meta = _train_span_filter(enricher, finder, language, mine, docs)
        body = {"gazetteer": finder.names, "common": common, "filter": json.loads(span_filter.to_json()),
                "meta": {"articles": len(mine), "names": len(gazetteer), "common": len(common), **filter_meta}}
        out[f"names-{language}"] = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    return out


def _train_span_filter(enricher: Enricher, finder: NameModel, language: str, mine: Sequence[CorpusArticle],
                       docs: Sequence[Doc]) -> tuple[LinearModel, dict[str, Any]]:
    """A yes/no model over the spans the finders propose in the train split: is it a name the
    annotators listed? Its threshold is the one with the best out-of-fold F1."""
    enricher.name_models[language] = finder
    rows, labels, groups = [], [], []
    for article, doc in zip(mine, docs, strict=True):
        gold = [name_key(enricher.analyzer, e.text) for e in article.labels.entities]
        for span in enricher.candidate_name_spans(doc, language):
            key = name_key(enricher.analyzer, doc.surface(span.start, span.end))
            rows.append(span_features(doc, span))
            labels.append("keep" if any(names_match(g, key) for g in gold) else "drop")
            groups.append(f"{article.outlet}|{article.date}")
    c = _choose_c(rows, labels, groups)
    oof = [(p.get("keep", 0.0), label == "keep") for p, label in zip(_out_of_fold(rows, labels, groups, c), labels,
                                                                       strict=True)]
    threshold = _best_threshold(oof)
    # kept only where it beats taking every proposed span, out-of-fold (threshold 0 keeps all)
    filtered, everything = round(_f1_at(oof, threshold), 4), round(_f1_at(oof, 0.0), 4)
    if filtered <= everything:
        threshold = 0.0
    model = _export(_fit(rows, labels, c))
    model = replace(model, thresholds=tuple(threshold if name == "keep" else 2.0 for name in model.classes))
    return model, {"filter_C": c, "filter_threshold": threshold, "filter_spans": dict(sorted(Counter(labels).items())),
                   "filter_f1_out_of_fold": filtered, "keep_all_f1_out_of_fold": everything}


def _country_names(language: str) -> list[str]:
    """The world's country names in ``language`` (pycountry's ISO 3166 translations)."""
    import gettext

    import pycountry

    names = [c.name for c in pycountry.countries]
    if language == "en":
        return names
    translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    return [translation.gettext(name) for name in names]


def _oof_for(rows, labels, groups, all_rows, all_groups, c) -> list[dict[str, float]]:
    """Probabilities for ``all_rows`` from models that never saw their outlet-day group."""
    out: list[dict[str, float]] = [{} for _ in all_rows]
    for held in _folds(all_groups):
        held_groups = {all_groups[i] for i in held}
        train = [i for i, g in enumerate(groups) if g not in held_groups]
        fitted = _fit([rows[i] for i in train], [labels[i] for i in train], c)
        for i, p in zip(held, _proba(fitted, [all_rows[i] for i in held]), strict=True):
            out[i] = p
    return out


def _train_topics(items: Sequence[Analysed], doc_rows, groups, enricher: Enricher) -> LinearModel:
    order = enricher.topics.order
    rows = [topic_features(d, enricher.topics.weights_of(it.doc, it.language), enricher.topics.min_hits)
            | {f"lang:{it.language}": 1.0} for it, d in zip(items, doc_rows, strict=True)]
    names = _vocabulary(rows)
    coef, intercept, cs = [], [], {}
    oof_scores: list[tuple[float, bool]] = []
    oof_by_topic: dict[str, list[float]] = {}
    for topic in order:
        labels = ["yes" if topic in it.article.labels.topics else "no" for it in items]
        if labels.count("yes") < 3:
            coef.append([0.0] * len(names))
            intercept.append(-20.0)
            continue
        c = _choose_c(rows, labels, groups)
        cs[topic] = c
        oof_by_topic[topic] = [p.get("yes", 0.0) for p in _out_of_fold(rows, labels, groups, c)]
        oof_scores += [(p, gold == "yes") for p, gold in zip(oof_by_topic[topic], labels, strict=True)]
        model, used = _fit(rows, labels, c)
        weights = dict(zip(used, model.coef_[0].tolist(), strict=True))
        sign = 1.0 if list(model.classes_) == ["no", "yes"] else -1.0
        coef.append([sign * weights.get(name, 0.0) for name in names])
        intercept.append(sign * float(model.intercept_[0]))
    threshold = _best_threshold(oof_scores)
    gold = [set(it.article.labels.topics) for it in items]
    learned = [{t for t, probs in oof_by_topic.items() if probs[k] >= threshold} for k in range(len(items))]
    rules = [set(enricher.topics.topics_of(it.doc, it.language)) for it in items]
    choice = _per_language(items, gold, learned, rules, _micro_f1)
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


def _micro_f1(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> float:
    tp = sum(len(g & p) for g, p in zip(gold, predicted, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, predicted, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, predicted, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _best_threshold(scores: Sequence[tuple[float, bool]]) -> float:
    """The probability cut with the best F1 over out-of-fold yes/no decisions."""
    best, best_t = -1.0, 0.5
    for step in range(10, 91, 5):
        f1 = _f1_at(scores, step / 100)
        if f1 > best + 1e-9:
            best, best_t = f1, step / 100
    return best_t


def _f1_at(scores: Sequence[tuple[float, bool]], threshold: float) -> float:
    tp = sum(1 for p, g in scores if p >= threshold and g)
    fp = sum(1 for p, g in scores if p >= threshold and not g)
    fn = sum(1 for p, g in scores if p < threshold and g)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _at(values: Sequence[float], index: int) -> float:
    return values[index] if index < len(values) else 0.0


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
