"""Train what the name finders learn (``enrich/trained/names-<lang>.json``, see
:class:`mediawatch.enrich.names.NameModel`): the gazetteer, the common words and the span filter."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mediawatch.enrich.learned import LANGUAGES
from mediawatch.enrich.names import NameModel, bare_key, name_key, names_match, same_name
from mediawatch.enrich.pipeline import Enricher, build_enricher
from mediawatch.enrich.textnorm import Doc

from .corpus import CorpusArticle
from .features import span_features
from .fitting import best_threshold, choose_c, export, f1_at, fit, out_of_fold
from .linear import LinearModel

# A word seen in this many train articles and never in a name is "common" for the name finders.
COMMON_MIN_ARTICLES = 3


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
    c = choose_c(rows, labels, groups)
    oof = [(p.get("keep", 0.0), label == "keep") for p, label in zip(out_of_fold(rows, labels, groups, c), labels,
                                                                       strict=True)]
    threshold = best_threshold(oof)
    # kept only where it beats taking every proposed span, out-of-fold (threshold 0 keeps all)
    filtered, everything = round(f1_at(oof, threshold), 4), round(f1_at(oof, 0.0), 4)
    if filtered <= everything:
        threshold = 0.0
    model = export(fit(rows, labels, c))
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
