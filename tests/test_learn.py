"""The annotated real-news corpus, the learned models and their evaluation (mediawatch.learn).

Three layers:
- the corpus files themselves (manifest, labels, split, agreement): always checked;
- the shipped models on chosen sentences, and the linear-model plumbing: always checked;
- retraining bit-for-bit and the held-out targets: need the corpus texts, which are rebuilt from
  the source corpora (data/corpus/README.md) and are not in the repository; skipped where absent.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from pathlib import Path

import pytest
from mediawatch.enrich import Enricher
from mediawatch.enrich.learned import TRAINED_DIR, LearnedModels
from mediawatch.enrich.pipeline import build_enricher
from mediawatch.learn import corpus
from mediawatch.learn.features import sentence_features, side_sentences
from mediawatch.learn.linear import LinearModel, from_rows
from mediawatch.settings import DEFAULT_SEEDS_DIR

LANGUAGES = ("ar", "ru", "en")
TOPIC_IDS = {"diplomacy", "military", "security", "terrorism", "bases", "economy", "trade", "debt", "energy",
             "grain", "humanitarian", "refugees", "reconstruction", "sanctions", "culture"}
needs_texts = pytest.mark.skipif(not corpus.texts_available(),
                                 reason="corpus texts not materialised here (make corpus SNAPSHOTS=...)")


# --- the corpus files -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifest() -> list[dict[str, str]]:
    return corpus.read_manifest()


@pytest.fixture(scope="module")
def labels() -> dict[str, corpus.ArticleLabels]:
    return corpus.read_labels()


def test_corpus_size_and_labels_per_language(manifest, labels) -> None:
    by_language = Counter(row["language"] for row in manifest)
    assert all(by_language[lang] >= 150 for lang in LANGUAGES), by_language
    assert set(labels) == {row["id"] for row in manifest}
    for lang in LANGUAGES:
        mine = [labels[row["id"]] for row in manifest if row["language"] == lang]
        tones = [getattr(s, side) for a in mine for s in a.sentences for side in ("Russia", "Syria")
                 if getattr(s, side) not in (None, "none")]
        assert len(tones) >= 1000, (lang, len(tones))
        assert sum(a.relevant for a in mine) >= 25 and sum(not a.relevant for a in mine) >= 10
        assert all(set(a.topics) <= TOPIC_IDS for a in mine)


def test_manifest_names_every_source_and_keeps_realtexts_out(manifest) -> None:
    for row in manifest:
        assert row["source_repo"] and row["source_path"] and len(row["source_commit"]) == 40 and row["licence"]
        assert len(row["sha256"]) == 64 and row["split"] in ("train", "test")
    realtexts = Path(__file__).resolve().parents[2] / "shared" / "realtexts" / "MANIFEST.tsv"
    if realtexts.is_file():
        lines = realtexts.read_text(encoding="utf-8").splitlines()[1:]
        evaluation = {tuple(line.split("\t")[2:4]) for line in lines}
        assert not evaluation & {(row["source_repo"], row["source_path"]) for row in manifest}


def test_split_never_puts_one_outlet_day_on_both_sides(manifest) -> None:
    sides: dict[tuple[str, str], set[str]] = {}
    for row in manifest:
        sides.setdefault((row["outlet"], row["date"]), set()).add(row["split"])
    assert all(len(parts) == 1 for parts in sides.values())
    for lang in LANGUAGES:
        mine = [row for row in manifest if row["language"] == lang]
        share = sum(row["split"] == "test" for row in mine) / len(mine)
        assert 0.25 <= share <= 0.4, (lang, share)


def test_second_labelling_covers_100_sentences_per_language_with_kappa() -> None:
    report = corpus.agreement()
    for lang in LANGUAGES:
        assert report[lang]["pairs"] >= 100
        assert -1 <= report[lang]["kappa"] <= 1


def test_cohen_kappa_on_known_tables() -> None:
    assert corpus.cohen_kappa([("a", "a"), ("b", "b")] * 5) == 1.0
    # 50 % observed, 50 % expected by chance -> 0
    assert corpus.cohen_kappa([("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")]) == 0.0


# --- linear models ----------------------------------------------------------------------------------


def test_linear_model_round_trips_and_drops_zero_features() -> None:
    model = from_rows("softmax", ["negative", "positive"], ["w:bad", "w:good", "w:the"],
                      [[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0]], [0.0, 0.0])
    assert set(model.vocabulary) == {"w:bad", "w:good"}
    again = LinearModel.from_json(model.to_json())
    assert again.to_json() == model.to_json()
    probs = again.probabilities({"w:good": 1.0, "w:unknown": 1.0})
    assert probs["positive"] == pytest.approx(1 / (1 + math.exp(-2)))
    assert again.predict({"w:bad": 1.0}) == "negative"


def test_sigmoid_model_gives_every_label_over_its_threshold() -> None:
    model = from_rows("sigmoid", ["military", "diplomacy"], ["w:strike", "w:talks"], [[3.0, 0.0], [0.0, 3.0]],
                      [-1.0, -1.0], thresholds=[0.5, 0.5])
    assert model.predict_labels({"w:strike": 1.0}) == ["military"]
    assert model.predict_labels({"w:strike": 1.0, "w:talks": 1.0}) == ["military", "diplomacy"]


# --- the shipped models -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def learned_enricher() -> Enricher:
    enricher = build_enricher(DEFAULT_SEEDS_DIR)
    assert enricher.learned is not None, "shipped models missing: run make train"
    return enricher


def test_sentence_features_mark_the_side_and_the_other_side(learned_enricher: Enricher) -> None:
    from mediawatch.enrich.entities import match_entities

    doc = learned_enricher.analyzer.analyze("", "Russian jets bombed Syrian army positions near Idlib.")
    matches = match_entities(doc, learned_enricher.watchlist)
    russia, syria = learned_enricher.sides["Russia"], learned_enricher.sides["Syria"]
    [sentence] = side_sentences(doc, matches, russia, syria)
    features = sentence_features(doc, sentence, -0.4, title=False)
    assert "w:<T>" in features and "w:<O>" in features and "n:bombed" in features
    assert features["both_sides"] == 1.0 and features["lex"] == -0.4


SENTENCES = {
    "en": ("Russian airstrikes killed civilians in Idlib, rights groups said.",
           "Russia and Syria signed a cooperation agreement in Moscow, and both sides praised the deal."),
    "ru": ("Российские авиаудары убили мирных жителей в Идлибе, заявили правозащитники.",
           "Россия и Сирия подписали в Москве соглашение о сотрудничестве, и обе стороны высоко оценили его."),
    "ar": ("قتلت غارات جوية روسية مدنيين في إدلب، بحسب منظمات حقوقية.",
           "وقعت روسيا وسوريا في موسكو اتفاقية تعاون، وأشاد الجانبان بالاتفاق."),
}


CHOSEN_UNMET = ("the learned tone models miss this chosen sentence (issue 12 stays open); strict: passes the "
                "day they get it right")


def _unmet(languages: tuple[str, ...], reason: str) -> list:
    return [pytest.param(lang, marks=pytest.mark.xfail(strict=True, reason=reason)) for lang in languages]


@pytest.mark.parametrize("language", LANGUAGES)
def test_airstrikes_killing_civilians_are_negative_toward_russia(learned_enricher: Enricher, language: str) -> None:
    result = learned_enricher.enrich("", SENTENCES[language][0], language=language)
    assert result.tone_labels["Russia"] == "negative"
    assert result.tone["Russia"] < 0


@pytest.mark.parametrize("language", ["ru", *_unmet(("ar", "en"), CHOSEN_UNMET)])
def test_a_praised_cooperation_agreement_is_positive_toward_both(learned_enricher: Enricher, language: str) -> None:
    result = learned_enricher.enrich("", SENTENCES[language][1], language=language)
    assert result.tone_labels == {"Russia": "positive", "Syria": "positive"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_method_and_model_version_are_recorded(learned_enricher: Enricher, language: str) -> None:
    """Sentiment is the learned model's where it beat the lexicon out-of-fold on the train split
    (``use_for`` in its file), the lexicon's elsewhere; the document says which."""
    result = learned_enricher.enrich("", SENTENCES[language][0], language=language).to_dict()
    learned = learned_enricher.learned
    expected = (f"learned-v1-sentiment-{language}" if language in learned.sentiment.meta["use_for"]
                else learned_enricher.sentiment.method_for(language))
    assert result["sentiment"]["method"] == expected
    assert result["enrichment_version"].endswith("+" + learned.fingerprint)


def test_a_short_item_takes_its_sentences_tone_and_a_long_article_its_model(learned_enricher: Enricher) -> None:
    """Feed items are often a title and a sentence: they follow their sentences, while in a long
    report one harsh line does not set the tone (the article model, trained on whole articles)."""
    from mediawatch.enrich import learned

    short = learned_enricher.enrich("", SENTENCES["en"][0], language="en")
    assert short.tone_labels["Russia"] == "negative"
    filler = " ".join(f"Officials met in Geneva on day {k} to discuss the agenda." for k in range(12))
    long = learned_enricher.enrich("", f"{filler} {SENTENCES['en'][0]}", language="en")
    assert learned.SHORT_ITEM_SENTENCES < 13 and long.tone_labels["Russia"] != "negative"


def test_missing_model_files_fall_back_to_the_lexicon(tmp_path: Path) -> None:
    assert LearnedModels.load(tmp_path) is None
    enricher = build_enricher(DEFAULT_SEEDS_DIR, learned=False)
    result = enricher.enrich("", SENTENCES["en"][0], language="en")
    assert result.sentiment.method == "vader+lexicon-en-v1" and result.tone_labels["Russia"] == "negative"
    assert enricher.version.endswith("+lexicon")


# --- retraining and the held-out targets (need the texts) ------------------------------------------


@needs_texts
def test_make_train_rebuilds_the_shipped_models_bit_for_bit(tmp_path: Path) -> None:
    from mediawatch.learn.train import main

    assert main(["--out", str(tmp_path)]) == 0
    shipped = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in TRAINED_DIR.glob("*.json")}
    rebuilt = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.glob("*.json")}
    assert rebuilt == shipped


@pytest.fixture(scope="module")
def real_report(learned_enricher: Enricher) -> dict:
    from mediawatch.learn.evaluation import evaluate_real

    return evaluate_real(corpus.load_corpus(), learned_enricher, build_enricher(DEFAULT_SEEDS_DIR, learned=False))


UNMET = "issue 12's target is not reached yet (README, 'Where this stands'); strict: passes the day it is"


@needs_texts
@pytest.mark.parametrize("language", LANGUAGES)
def test_held_out_figures_reached(real_report: dict, language: str) -> None:
    """What the shipped models do reach on the held-out split, so that it cannot slip back."""
    r = real_report["languages"][language]
    print(language, json.dumps({k: r[k] for k in ("tone", "sentence_tone", "sentiment", "topics", "entities")}))
    assert r["tone"]["learned"]["accuracy"] > r["tone"]["lexicon"]["accuracy"]
    assert r["sentence_tone"]["learned"]["accuracy"] >= r["sentence_tone"]["baseline"]["accuracy"] + 0.10
    assert r["sentence_tone"]["learned"]["macro_f1"] >= r["sentence_tone"]["baseline"]["macro_f1"] + 0.25
    assert r["sentiment"]["learned"]["accuracy"] >= r["sentiment"]["baseline"]["accuracy"] - 0.25
    assert r["topics"]["learned"]["f1"] >= r["topics"]["baseline"]["f1"] + 0.15
    assert r["entities"]["core_recall"] >= 0.95 and r["entities"]["recall"] >= 0.75
    assert r["entities"]["precision"] >= 0.79


@needs_texts
@pytest.mark.parametrize("language", _unmet(LANGUAGES, UNMET))
def test_held_out_targets_of_issue_12(real_report: dict, language: str) -> None:
    r = real_report["languages"][language]
    tone, sentiment, topics = r["tone"]["learned"], r["sentiment"]["learned"], r["topics"]["learned"]
    assert tone["accuracy"] >= 0.70 and tone["macro_f1"] >= 0.65
    assert tone["accuracy"] >= r["tone"]["baseline"]["accuracy"] + 0.15
    assert sentiment["macro_f1"] >= 0.65 and sentiment["macro_f1"] >= r["sentiment"]["baseline"]["macro_f1"] + 0.15
    assert topics["f1"] >= 0.75 and topics["f1"] >= r["topics"]["baseline"]["f1"] + 0.15


@needs_texts
@pytest.mark.parametrize("language", ["ru", *_unmet(("ar", "en"), UNMET)])
def test_names_target_recall_080_at_precision_085(real_report: dict, language: str) -> None:
    entities = real_report["languages"][language]["entities"]
    assert entities["recall"] >= 0.80 and entities["precision"] >= 0.85


# --- ../shared/realtexts: outside texts, never trained on --------------------------------------------

REALTEXTS = Path(__file__).resolve().parents[2] / "shared" / "realtexts"
needs_realtexts = pytest.mark.skipif(not REALTEXTS.is_dir(), reason="../shared/realtexts not beside the checkout")


@pytest.fixture(scope="module")
def realtexts_report(learned_enricher: Enricher) -> dict:
    from mediawatch.learn.evaluation import evaluate_realtexts

    return evaluate_realtexts(REALTEXTS, learned_enricher)


@needs_realtexts
def test_realtexts_sentiment_right_on_34_of_48(realtexts_report: dict) -> None:
    print(json.dumps(realtexts_report))
    assert realtexts_report["articles"] == 48 and realtexts_report["sentiment_right"] >= 34


@needs_realtexts
def test_realtexts_tone_beats_the_lexicon(realtexts_report: dict) -> None:
    from mediawatch.learn.evaluation import evaluate_realtexts

    lexicon = evaluate_realtexts(REALTEXTS, build_enricher(DEFAULT_SEEDS_DIR, learned=False))
    assert realtexts_report["tone_right"] > lexicon["tone_right"]


@needs_realtexts
@pytest.mark.xfail(strict=True, reason=UNMET)
def test_realtexts_tone_right_on_60_of_85(realtexts_report: dict) -> None:
    # our labels give 75 (article, side) pairs with a tone; 60 / 85 of the issue is the share asked
    assert realtexts_report["tone_right"] / realtexts_report["tone_pairs"] >= 60 / 85
