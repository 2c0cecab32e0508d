"""Features for the learned tone, sentiment and topic models, computed from an analysed article.

Training (``mediawatch.learn.train``) and enrichment call the same functions, so a model sees at
run time exactly the features it was trained on. Features are plain ``{name: value}`` dicts on
the analyser's folded (and, for Russian, lemmatized) keys:

- a sentence's tone toward a side sees its words with that side's mentions replaced by ``<T>``
  and the other side's by ``<O>``, word pairs, the words within ``NEAR`` tokens of a mention,
  and the lexicon score of the sentence;
- an article sees its words (title words apart), its lexicon score and what the tone model
  said of its sentences;
- topics add the keyword rules' weight per topic to the article's features.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mediawatch.enrich.entities import EntityMatches
from mediawatch.enrich.models import NerSpan
from mediawatch.enrich.textnorm import Doc

from .linear import top_label

TARGET, OTHER = "<T>", "<O>"
# Words this close to a mention of the side are its likely predicate ("strikes killed", "قصفت").
NEAR = 4
# Keys shorter than this carry no meaning on their own (clitic letters, punctuation remnants).
MIN_KEY_LENGTH = 2


@dataclass(frozen=True, slots=True)
class SideSentence:
    """One sentence that mentions a side: where it is and which of its words name which side."""

    number: int
    words: range
    target: frozenset[int]
    other: frozenset[int]


def side_sentences(doc: Doc, matches: EntityMatches, side: frozenset[str],
                   other: frozenset[str]) -> list[SideSentence]:
    """The sentences of ``doc`` that mention ``side``, in order, with the word positions of each side."""
    ranges = doc.sentence_ranges()
    target: dict[int, set[int]] = {}
    others: dict[int, set[int]] = {}
    for span in matches.spans:
        bucket = target if span.entity_id in side else others if span.entity_id in other else None
        if bucket is not None:
            bucket.setdefault(doc.sentence_of[span.start], set()).update(range(span.start, span.end))
    return [SideSentence(n, ranges[n], frozenset(words), frozenset(others.get(n, ())))
            for n, words in sorted(target.items())]


def side_sentence_features(doc: Doc, matches: EntityMatches, side: frozenset[str], other: frozenset[str],
                           lexicon_scores: Sequence[float]) -> list[tuple[SideSentence, dict[str, float]]]:
    """Each sentence mentioning ``side``, in order, with its tone features (training, enrichment and
    evaluation all read a side's sentences through this one function)."""
    return [(s, sentence_features(doc, s, lexicon_scores[s.number] if s.number < len(lexicon_scores) else 0.0,
                                  s.number < doc.title_sentences))
            for s in side_sentences(doc, matches, side, other)]


def sentence_features(doc: Doc, sentence: SideSentence, lexicon_score: float, title: bool) -> dict[str, float]:
    """Target-aware features of one sentence toward the side whose mentions are ``sentence.target``."""
    tokens: list[str] = []
    last = None
    for i in sentence.words:
        token = TARGET if i in sentence.target else OTHER if i in sentence.other else doc.keys[i]
        if token == last and token in (TARGET, OTHER):
            continue  # a multi-word name is one mention
        tokens.append(token)
        last = token
    features: dict[str, float] = {}
    for k, token in enumerate(tokens):
        if len(token) >= MIN_KEY_LENGTH:
            features[f"w:{token}"] = 1.0
        if k:
            features[f"b:{tokens[k - 1]}_{token}"] = 1.0
    marks = [k for k, t in enumerate(tokens) if t == TARGET]
    for k, token in enumerate(tokens):
        if token not in (TARGET, OTHER) and any(abs(k - m) <= NEAR for m in marks):
            features[f"n:{token}"] = 1.0
    features["lex"] = lexicon_score
    features["lex:neg" if lexicon_score < -0.05 else "lex:pos" if lexicon_score > 0.05 else "lex:0"] = 1.0
    if sentence.other:
        features["both_sides"] = 1.0
    if title:
        features["title"] = 1.0
    return features


def aggregate_features(probabilities: Sequence[Mapping[str, float]], in_title: bool,
                       sentence_count: int) -> dict[str, float]:
    """Article-level tone features from the tone model's class probabilities of each side sentence.

    ``shared:*`` weighs each mean by the share of the article's sentences that mention the side:
    one harsh line in a long report is not the report's tone, the same line as the whole item is."""
    count = len(probabilities)
    share = count / max(1, sentence_count)
    features: dict[str, float] = {"log_mentions": math.log1p(count), "share": share}
    if in_title:
        features["in_title"] = 1.0
    for label in ("negative", "neutral", "positive", "none"):
        values = [p.get(label, 0.0) for p in probabilities]
        features[f"mean:{label}"] = sum(values) / count if count else 0.0
        features[f"shared:{label}"] = features[f"mean:{label}"] * share
        features[f"max:{label}"] = max(values, default=0.0)
        features[f"share:{label}"] = (sum(1 for p in probabilities if top_label(p) == label) / count
                                      if count else 0.0)
    return features


def article_tone_features(summary: Mapping[str, float], language: str, side: str) -> dict[str, float]:
    """The article tone model's input: the sentence summary, the language and the side."""
    return {**summary, f"lang:{language}": 1.0, f"side:{side}": 1.0}


def document_features(doc: Doc, lexicon_score: float,
                      tone_features: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Bag of the article's words (title words marked apart), its lexicon score and its tone summary."""
    features: dict[str, float] = {}
    for i, key in enumerate(doc.keys):
        if len(key) >= MIN_KEY_LENGTH:
            features[f"w:{key}"] = 1.0
            if i < doc.title_words:
                features[f"t:{key}"] = 1.0
    features["lex"] = lexicon_score
    for side, summary in tone_features.items():
        for name in ("mean:negative", "mean:positive", "max:negative", "max:positive"):
            features[f"{side}:{name}"] = summary.get(name, 0.0)
    return features


def span_features(doc: Doc, span: NerSpan) -> dict[str, float]:
    """What the name filter sees of a proposed name: its words, its neighbours, its shape."""
    words = doc.words[span.start:span.end]
    sentence = doc.sentence_of[span.start]
    features: dict[str, float] = {f"w:{k}": 1.0 for k in doc.keys[span.start:span.end]}
    features[f"first:{doc.keys[span.start]}"] = 1.0
    features[f"type:{span.type}"] = 1.0
    features[f"len:{min(len(words), 4)}"] = 1.0
    if span.start > 0 and doc.sentence_of[span.start - 1] == sentence:
        features[f"prev:{doc.keys[span.start - 1]}"] = 1.0
    else:
        features["opens_sentence"] = 1.0
    if span.end < len(doc.words) and doc.sentence_of[span.end] == sentence:
        features[f"next:{doc.keys[span.end]}"] = 1.0
    if all(w.isupper() for w in words):
        features["all_capitals"] = 1.0
    if span.start < doc.title_words:
        features["in_title"] = 1.0
    return features


def topic_features(document: Mapping[str, float], rule_weights: Mapping[str, int],
                   min_hits: Mapping[str, int]) -> dict[str, float]:
    """The article's word features plus, per topic, the keyword rules' weight and whether they fire."""
    features = {k: v for k, v in document.items() if k.startswith(("w:", "t:"))}
    for topic, weight in rule_weights.items():
        if weight:
            features[f"rule:{topic}"] = math.log1p(weight)
            if weight >= min_hits.get(topic, 1):
                features[f"fires:{topic}"] = 1.0
    return features
