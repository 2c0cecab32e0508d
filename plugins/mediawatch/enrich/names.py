"""Names that are not on the watchlist: found, typed and indexed as unlinked entities.

- Russian: Natasha's NER model (slovnet) with its navec embeddings, both shipped as files inside
  the ``natasha`` wheel. ``import natasha`` needs pymorphy2, which fails on Python 3.11, so the
  files are located without importing natasha and loaded with slovnet and navec directly.
  Names are shown in the nominative (pymorphy3): Башаром Асадом -> Башар Асад.
- English: runs of capitalised words inside a sentence (a sentence's first word only when the
  same word is capitalised elsewhere in the article), typed by the words around them.
- Arabic (no capitals): the words after a title or office (الرئيس، وزير الخارجية، المتحدث باسم …).
- camel-tools' Arabic NER, when installed, is merged by the enricher as before.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

from mediawatch.learn.linear import LinearModel

from .models import NerSpan, say_once
from .phrases import PhraseIndex, PhraseTable
from .textnorm import Analyzer, Doc

LOG = logging.getLogger(__name__)
NATASHA_EMBEDDINGS = Path("data", "emb", "navec_news_v1_1B_250K_300d_100q.tar")
NATASHA_NER = Path("data", "model", "slovnet_ner_news_v1.tar")
NATASHA_TYPES = {"PER": "person", "ORG": "organization", "LOC": "location"}

# English words that start sentences or headings capitalised without naming anything.
_EN_NOT_NAMES = frozenset([
    "a", "an", "the", "this", "that", "these", "those", "he", "she", "it", "we", "they", "i", "you", "his", "her",
    "its", "our", "their", "my", "your", "in", "on", "at", "of", "for", "to", "from", "by", "with", "as", "but",
    "and", "or", "if", "when", "while", "after", "before", "during", "since", "until", "there", "here", "what",
    "which", "who", "whom", "whose", "why", "how", "where", "mr", "mrs", "ms", "dr", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may",
    "june", "july", "august", "september", "october", "november", "december"
])
_EN_GROUP_RE = re.compile(r"(ish|ian|ians|ese|ic|ics|an|ans|ern|ist|ists|ite|ites|ats|is|ds|ms|bs)$")
_EN_CONNECTORS = frozenset({"of", "al", "el", "bin", "ibn", "de", "the", "for", "and"})
_EN_ORG_WORDS = frozenset([
    "ministry", "council", "party", "army", "forces", "force", "agency", "organization", "organisation",
    "committee", "news", "times", "post", "group", "front", "union", "nations", "department", "office", "court",
    "parliament", "assembly", "commission", "bank", "company", "corp", "inc", "institute", "university",
    "administration", "government", "coalition", "brigade", "brigades", "guard", "guards", "navy", "fund",
    "movement", "network", "service", "services", "observatory", "watch"
])
_EN_PERSON_TITLES = frozenset([
    "president", "minister", "spokesman", "spokeswoman", "spokesperson", "secretary", "ambassador", "envoy",
    "general", "gen", "senator", "sen", "rep", "king", "prince", "sheikh", "chancellor", "leader", "commander",
    "chief", "mr", "mrs", "ms", "dr", "col", "lt"
])

# Arabic titles and offices after which a personal name follows (folded forms: ة->ه, أ->ا).
_AR_TITLES = frozenset([
    "الرئيس", "رئيس", "وزير", "وزيره", "المتحدث", "المتحدثه", "الناطق", "السفير", "المبعوث", "الجنرال", "اللواء",
    "العميد", "العقيد", "الملك", "الامير", "الشيخ", "المستشار", "زعيم", "قائد", "مدير", "نائب", "الامين",
    "المندوب"
])
# Words that may stand between a title and the name: the office's complement, nationality.
_AR_BETWEEN = frozenset([
    "باسم", "وزاره", "الوزراء", "العام", "الخاص", "الاممي", "الامم", "المتحده", "الدولي", "الاعلى"
])
_AR_STOP = frozenset([
    "قال", "قالت", "اكد", "اكدت", "ان", "إن", "أن", "في", "على", "من", "الى", "إلى", "عن", "مع", "خلال", "يوم",
    "الذي", "التي", "بعد", "قبل", "او", "أو", "ثم", "كما", "لدى", "حول", "عبر", "منذ", "حيث", "بين", "امس",
    "اليوم", "وقال", "وقالت", "واكد", "واضاف", "واضافت", "اضاف", "اضافت", "هو", "هي"
])
_AR_MAX_NAME_WORDS = 3
_AR_MAX_BETWEEN = 4


def find_natasha_dir() -> Path | None:
    """Where the natasha wheel keeps its data, found without importing natasha."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class RussianNames:
    """Natasha's slovnet NER on navec embeddings, from the files inside the natasha wheel.

    The model (0.3 s to load) is loaded on the first Russian article, not at start-up: a process
    that never sees Russian text never pays for it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._tagger: Any = None
        self._failed = False
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: Path | None = None) -> RussianNames | None:
        folder = folder or find_natasha_dir()
        if folder is None or not (folder / NATASHA_NER).is_file() or not (folder / NATASHA_EMBEDDINGS).is_file():
            say_once("natasha's NER model files not installed; Russian names off the watchlist are not found")
            return None
        return cls(folder)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (the enricher cache) without the lock and without the model: loading it stays
        lazy in the process that reads the cache."""
        return {"folder": self.folder}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["folder"])  # type: ignore[misc]

    def _loaded(self) -> Any:
        with self._lock:
            if self._tagger is None and not self._failed:
                try:
                    from navec import Navec
                    from slovnet import NER

                    tagger = NER.load(str(self.folder / NATASHA_NER))
                    tagger.navec(Navec.load(str(self.folder / NATASHA_EMBEDDINGS)))
                    self._tagger = tagger
                except Exception as exc:  # ImportError, a broken archive
                    self._failed = True
                    say_once(f"natasha's NER model at {self.folder} not usable ({exc!r}); Russian names off "
                             "the watchlist are not found", logging.WARNING)
            return self._tagger

    def spans(self, doc: Doc) -> list[NerSpan]:
        tagger = self._loaded()
        if tagger is None:
            return []
        text, starts = _text_with_offsets(doc)
        found = []
        for span in tagger(text).spans:
            first = _first_word_at_or_after(starts, span.start)
            last = _first_word_at_or_after(starts, span.stop)
            if first < last and span.type in NATASHA_TYPES:
                found.append(NerSpan(first, last, NATASHA_TYPES[span.type]))
        return found


def english_spans(doc: Doc, common: frozenset[str] = frozenset()) -> list[NerSpan]:
    """Runs of capitalised words in the body (a headline capitalises every word), typed by their
    last word and the word before them."""
    words = doc.words
    capitalised_inside = {w for i, w in enumerate(words)
                          if i and _is_cap(w) and doc.sentence_of[i - 1] == doc.sentence_of[i]}
    spans: list[NerSpan] = []
    i, n = 0, len(words)
    while i < n:
        if not _is_cap(words[i]) or words[i].lower() in _EN_NOT_NAMES:
            i += 1
            continue
        start = i
        end = i + 1
        while end < n and doc.sentence_of[end] == doc.sentence_of[start] and _joins(doc, end):
            if _is_cap(words[end]):
                end += 1
            elif (words[end].lower() in _EN_CONNECTORS and end + 1 < n and _is_cap(words[end + 1])
                  and doc.sentence_of[end + 1] == doc.sentence_of[start] and _joins(doc, end + 1)):
                end += 2
            else:
                break
        sentence_start = start == 0 or doc.sentence_of[start - 1] != doc.sentence_of[start]
        lone_opening = sentence_start and end - start == 1 and words[start] not in capitalised_inside
        titled = [k for k in range(start, end) if words[k].lower() in _EN_PERSON_TITLES]
        if titled and titled[-1] + 1 < end:  # "British Foreign Secretary Boris Johnson" -> Boris Johnson
            start = titled[-1] + 1
        if start >= doc.title_words and not lone_opening and not (end - start == 1 and _is_group_word(words[start])):
            spans.append(NerSpan(start, end, _english_type(doc, start, end)))
        i = end
    return [s for s in spans if not (s.end - s.start == 1 and words[s.start].lower() in _EN_PERSON_TITLES)
            and not all(words[k].lower() in common for k in range(s.start, s.end))]


def _joins(doc: Doc, i: int) -> bool:
    """Word ``i`` continues the name before it: only spaces, a hyphen or an initial's dot between."""
    gap = doc.gaps[i].strip()
    return gap in ("", "-") or (gap == "." and len(doc.words[i - 1]) == 1)


def _is_group_word(word: str) -> bool:
    """A lone adjective or name of a group of people (Kurdish, Muslims, Democrats), or a letter."""
    return len(word) < 2 or bool(_EN_GROUP_RE.search(word)) and not word.isupper()


def _is_cap(word: str) -> bool:
    return bool(word) and word[0].isupper() and word[0].isalpha()


def _english_type(doc: Doc, start: int, end: int) -> str:
    last = doc.words[end - 1].lower()
    if last in _EN_ORG_WORDS or doc.words[start].lower() in _EN_ORG_WORDS or doc.words[start].isupper():
        return "organization"
    before = doc.words[start - 1].lower() if start else ""
    if before in _EN_PERSON_TITLES or end - start >= 2:
        return "person"
    if before in ("in", "at", "from", "to", "near"):
        return "location"
    return "other"


def arabic_spans(doc: Doc, common: frozenset[str] = frozenset()) -> list[NerSpan]:
    """The one to three words of a name after a title (وزير الخارجية الروسي سيرغي لافروف)."""
    keys, n = doc.keys, len(doc.keys)
    spans: list[NerSpan] = []
    for i, key in enumerate(keys):
        if _ar_title(key) is None:
            continue
        j = i + 1
        while j < n and j - i <= _AR_MAX_BETWEEN and doc.sentence_of[j] == doc.sentence_of[i] and \
                (keys[j].startswith("ال") or keys[j] in _AR_BETWEEN) and keys[j] not in _AR_STOP:
            j += 1
        if j >= n or doc.sentence_of[j] != doc.sentence_of[i] or keys[j].startswith("ال") or \
                keys[j] in _AR_STOP or keys[j] in common or not _is_arabic_word(keys[j]):
            continue
        end = j + 1
        while end < n and end - j < _AR_MAX_NAME_WORDS and doc.sentence_of[end] == doc.sentence_of[j] and \
                keys[end] not in _AR_STOP and keys[end] not in common and _is_arabic_word(keys[end]) and \
                _ar_title(keys[end]) is None and \
                doc.gaps[end].strip() == "":
            end += 1
        spans.append(NerSpan(j, end, "person"))
    return spans


def _ar_title(key: str) -> str | None:
    for prefix in ("", "و", "ف", "ل", "ب"):
        if key.startswith(prefix) and key[len(prefix):] in _AR_TITLES:
            return key[len(prefix):]
    return None


def _is_arabic_word(key: str) -> bool:
    return bool(re.fullmatch(r"[\u0621-\u064a]{2,}", key))


def _text_with_offsets(doc: Doc) -> tuple[str, list[int]]:
    parts, starts, position = [], [], 0
    for gap, word in zip(doc.gaps, doc.words, strict=True):
        parts.append(gap)
        position += len(gap)
        starts.append(position)
        parts.append(word)
        position += len(word)
    return "".join(parts), starts


def _first_word_at_or_after(starts: list[int], offset: int) -> int:
    from bisect import bisect_left

    return bisect_left(starts, offset)


_ARABIC_PREFIXES = ("وال", "بال", "لل", "فال", "كال", "ال", "و", "ب", "ل", "ف", "ك")
_KINDS = {"PER": "person", "ORG": "organization", "LOC": "location"}


class NameModel:
    """What ``make train`` learns for one language's name finding (``trained/names-<lang>.json``):

    - ``gazetteer``: names the annotators marked in the train split and that are names wherever
      they occur there, plus the world's countries (pycountry's translations); its phrase index is
      built on the first article of the language (Russian names cost 0.15 s of lemmatizing);
    - ``common``: words frequent in the train split and never part of a name, so a capitalised
      "Cabinet" or a verb after a title (وزير أعلن) is not taken for one.
    """

    def __init__(self, names: list[tuple[str, str]], common: frozenset[str], analyzer: Analyzer,
                 span_filter: LinearModel | None = None) -> None:
        self.names = names
        self.common = common
        self.analyzer = analyzer
        self.span_filter = span_filter
        self._index: PhraseIndex[str] | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path, analyzer: Analyzer) -> NameModel | None:
        if not path.is_file():
            say_once(f"name model {path.name} missing; names off the watchlist come from rules only", logging.WARNING)
            return None
        body = json.loads(path.read_text(encoding="utf-8"))
        span_filter = LinearModel.from_json(json.dumps(body["filter"])) if body.get("filter") else None
        return cls([(text, kind) for text, kind in body["gazetteer"]], frozenset(body["common"]), analyzer,
                   span_filter)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (the enricher cache) with its phrase index built, without the lock."""
        return {"names": self.names, "common": self.common, "analyzer": self.analyzer, "index": self.gazetteer,
                "span_filter": self.span_filter}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["names"], state["common"], state["analyzer"], state["span_filter"])  # type: ignore[misc]
        self._index = state["index"]

    @property
    def gazetteer(self) -> PhraseIndex[str]:
        with self._lock:
            if self._index is None:
                table: PhraseTable[str] = PhraseTable()
                for text, kind in self.names:
                    table.put_with_variants(self.analyzer.phrase_keys(text), _KINDS[kind], add_article=False)
                self._index = table.index()
            return self._index

    def spans(self, doc: Doc) -> list[NerSpan]:
        return [NerSpan(m.start, m.end, m.payload) for m in self.gazetteer.find_all(doc.keys)
                if doc.sentence_of[m.start] == doc.sentence_of[m.end - 1]]

    def keep(self, doc: Doc, spans: list[NerSpan]) -> list[NerSpan]:
        """The spans the learned filter takes for names (all of them without a filter)."""
        if self.span_filter is None:
            return spans
        from mediawatch.learn.features import span_features

        return [s for s in spans if self.span_filter.predict_labels(span_features(doc, s))]



def name_key(analyzer: Analyzer, text: str) -> tuple[str, ...]:
    """Folded words of a name (Russian lemmatized), as the enricher folds article text."""
    return analyzer.phrase_keys(text)


def bare_key(key: str) -> str:
    """An Arabic key without one clitic prefix or article (وبوتين -> بوتين); others as they are.
    Blind to whether the first letter is a clitic (بوتين -> وتين), so compare with token_equal."""
    for prefix in _ARABIC_PREFIXES:
        if key.startswith(prefix) and len(key) - len(prefix) >= 3:
            return key[len(prefix):]
    return key


def token_equal(a: str, b: str) -> bool:
    """Same word, up to a clitic or article on one side or both (بوتين = وبوتين, الاسد = والاسد)."""
    return a == b or bare_key(a) == b or a == bare_key(b) or bare_key(a) == bare_key(b)


def same_name(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return len(a) == len(b) and all(token_equal(x, y) for x, y in zip(a, b, strict=True))


def names_match(gold: tuple[str, ...], predicted: tuple[str, ...]) -> bool:
    """Same name when one's words are a run inside the other's ("بوتين" in "فلاديمير بوتين")."""
    if not gold or not predicted:
        return False
    short, long = sorted((gold, predicted), key=len)
    return any(same_name(long[i:i + len(short)], short) for i in range(len(long) - len(short) + 1))


def merge_spans(*groups: list[NerSpan]) -> list[NerSpan]:
    """Spans of several finders, longest first where they overlap, in text order."""
    taken: set[int] = set()
    out: list[NerSpan] = []
    for span in sorted((s for g in groups for s in g), key=lambda s: (-(s.end - s.start), s.start)):
        if not taken.intersection(range(span.start, span.end)):
            taken.update(range(span.start, span.end))
            out.append(span)
    return sorted(out, key=lambda s: s.start)
