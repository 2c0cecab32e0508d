"""Optional camel-tools models: absent -> said once and skipped; present -> merged with the watchlist."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest
from mediawatch.enrich import models
from mediawatch.enrich.entities import Watchlist, match_entities
from mediawatch.enrich.models import (
    NerSpan,
    bio_spans,
    load_ner_model,
    load_sentiment_model,
    tag_entities,
    unlinked_hits,
)
from mediawatch.enrich.seeds import EntitySeed, Names
from mediawatch.enrich.textnorm import Analyzer

# camel_tools.ner.NERecognizer.labels(): the label set its models are trained with.
CAMEL_NER_LABELS = ["B-LOC", "B-ORG", "B-PERS", "B-MISC", "I-LOC", "I-ORG", "I-PERS", "I-MISC", "O"]


@pytest.fixture(autouse=True)
def fresh_log_memory() -> None:
    models._already_said.clear()


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


def test_missing_ner_model_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mediawatch.enrich.models")
    assert load_ner_model(tmp_path) is None
    assert load_ner_model(tmp_path) is None
    assert messages(caplog, "NER model not installed") == [models.NER_MISSING]


def test_missing_sentiment_model_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mediawatch.enrich.models")
    assert load_sentiment_model(tmp_path) is None and load_sentiment_model(tmp_path) is None
    assert messages(caplog, "sentiment model not installed") == [models.SENTIMENT_MISSING]


def test_data_dir_follows_camel_tools_convention(tmp_path: Path) -> None:
    assert models.camel_data_dir({"CAMELTOOLS_DATA": str(tmp_path)}) == tmp_path
    assert models.camel_data_dir({}) == Path.home() / ".camel_tools"


def test_unusable_model_directory_falls_back_with_a_warning(tmp_path: Path, caplog, monkeypatch) -> None:
    """Model files present but camel_tools.ner cannot load (no torch / no catalogue): warn, go on."""
    model_dir = tmp_path / models.NER_MODEL_SUBDIR
    model_dir.mkdir(parents=True)
    (model_dir / "config.json").write_text("{}")
    (model_dir / "vocab.txt").write_text("[PAD]\n")
    monkeypatch.setitem(sys.modules, "camel_tools.ner", None)  # makes the import fail
    caplog.set_level(logging.INFO, logger="mediawatch.enrich.models")
    assert load_ner_model(tmp_path) is None
    assert len(messages(caplog, "not usable")) == 1


def test_bio_labels_to_spans() -> None:
    labels = ["B-PERS", "I-PERS", "O", "B-LOC", "B-LOC", "I-ORG", "I-ORG", "B-MISC", "I-MISC", "B-ORG"]
    assert bio_spans(labels, offset=10) == [
        NerSpan(10, 12, "person"), NerSpan(13, 14, "location"), NerSpan(14, 15, "location"),
        NerSpan(15, 17, "organization"), NerSpan(19, 20, "organization")]


class FakeTagger:
    """Stands in for NERecognizer: tags the words it is told about."""

    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = tags
        self.calls: list[list[list[str]]] = []

    def predict(self, sentences: list[list[str]], batch_size: int = 32) -> list[list[str]]:
        self.calls.append(sentences)
        return [[self.tags.get(w, "O") for w in sentence] for sentence in sentences]


def test_ner_only_spans_become_unlinked_entities_and_watchlist_keeps_its_ids() -> None:
    analyzer = Analyzer()
    watchlist = Watchlist.build([EntitySeed(id="Q7747", name="Vladimir Putin", type="person",
                                            aliases=Names(ar=("بوتين",)))], analyzer)
    doc = analyzer.analyze("", "التقى بوتين مع ميخائيل بوغدانوف. وزار بوغدانوف مدينة اللاذقية")
    tagger = FakeTagger({"بوتين": "B-PERS", "ميخائيل": "B-PERS", "بوغدانوف": "I-PERS",
                         "اللاذقية": "B-LOC", "مدينة": "B-MISC"})
    spans = tag_entities(doc, tagger)
    assert len(tagger.calls[0]) == 2  # one list of words per sentence
    hits = unlinked_hits(doc, match_entities(doc, watchlist), spans)
    assert [(h.id, h.type, h.count, h.surfaces, h.linked) for h in hits] == [
        ("ner:person:ميخائيل بوغدانوف", "person", 1, ("ميخائيل بوغدانوف",), False),
        ("ner:person:بوغدانوف", "person", 1, ("بوغدانوف",), False),
        ("ner:location:اللاذقيه", "location", 1, ("اللاذقية",), False),
    ]
    assert "coords" not in hits[0].to_dict() and hits[0].to_dict()["linked"] is False


def build_tiny_bert(path: Path, labels: list[str]) -> None:
    """A randomly initialised 1-layer BERT token classifier with camel-tools' label map."""
    transformers = pytest.importorskip("transformers")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "بوتين", "في", "موسكو", "##ي"]
    path.mkdir(parents=True)
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
        intermediate_size=8, max_position_embeddings=300, num_labels=len(labels),
        id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
    )
    transformers.BertForTokenClassification(config).save_pretrained(path)
    transformers.BertTokenizer(str(path / "vocab.txt"), do_lower_case=False).save_pretrained(path)


def test_tiny_bert_model_loads_through_camel_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real loading path: model dir on disk -> camel_tools.ner.NERecognizer -> merged spans."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    # camel_tools.data loads its catalogue at import: give it an empty local one, no download.
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    (tmp_path / "catalogue.json").write_text(json.dumps({"version": "1.6", "packages": {}, "components": {}}))
    build_tiny_bert(tmp_path / models.NER_MODEL_SUBDIR, CAMEL_NER_LABELS)
    tagger = load_ner_model(tmp_path)
    assert tagger is not None and type(tagger).__name__ == "NERecognizer"
    doc = Analyzer().analyze("", "بوتين في موسكو. في موسكو")
    spans = models.tag_entities(doc, tagger)
    assert all(0 <= s.start < s.end <= len(doc.words) and s.type in models.NER_TYPES.values() for s in spans)
