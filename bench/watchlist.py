"""A copy of ``seeds/`` whose watchlist has exactly N entities, for the scaling benchmark.

Below the seed count the first N seed entities are kept; above it, synthetic entities are added.
Their names are built the way a large real watchlist looks to the matcher: persons share a
small pool of first names (the seeds' own Vladimir/Ahmed/Sergei... in all three scripts), so
many aliases start with the same, frequent token; organizations start with the seeds' own head
words (ministry, party, council...); surnames and places are transliterated syllable strings.
An entity whose alias folds like an alias already taken is skipped, as the seed loader would
refuse it.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import yaml
from mediawatch.enrich.textnorm import Analyzer

from .corpus import SEED, SEEDS

# (Latin, Cyrillic, Arabic) spellings of one syllable; names are 2-4 syllables.
SYLLABLES = (
    ("ka", "ка", "كا"), ("ri", "ри", "ري"), ("mo", "мо", "مو"), ("la", "ла", "لا"), ("den", "ден", "دن"),
    ("sor", "сор", "سور"), ("tu", "ту", "تو"), ("ba", "ба", "با"), ("vi", "ви", "في"), ("nel", "нел", "نيل"),
    ("ha", "ха", "ها"), ("zi", "зи", "زي"), ("mur", "мур", "مور"), ("gan", "ган", "غان"), ("do", "до", "دو"),
    ("shi", "ши", "شي"), ("rak", "рак", "راك"), ("fen", "фен", "فين"), ("lo", "ло", "لو"), ("tim", "тим", "تيم"),
    ("sa", "са", "سا"), ("nu", "ну", "نو"), ("ker", "кер", "كير"), ("bo", "бо", "بو"),
)
# Shares of the synthetic entities; persons dominate real watchlists.
TYPE_SHARES = (("person", 0.6), ("organization", 0.25), ("location", 0.15))
COUNTRIES = ("RU", "SY", "TR", "IR", "US", "IQ", "LB", "JO", "IL", "UA", None)
SEED_FILES = ("topics.yaml", "lexicons")


def _first_tokens(entities: list[dict], kind: str) -> list[tuple[str, str, str]]:
    """Aligned (en, ru, ar) first words of the seeds' multi-word aliases of one entity type."""
    found = []
    for entity in entities:
        aliases = entity.get("aliases") or {}
        firsts = [next((a.split()[0] for a in aliases.get(lang, []) if " " in a), None) for lang in ("en", "ru", "ar")]
        if entity["type"] == kind and all(firsts):
            found.append(tuple(firsts))
    return list(dict.fromkeys(found))


def _surname(rng: random.Random) -> tuple[str, str, str]:
    parts = [rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))]
    return tuple("".join(p[i] for p in parts) for i in range(3))


def _names(kind: str, rng: random.Random, firsts: dict[str, list]) -> dict[str, list[str]]:
    en, ru, ar = _surname(rng)
    if kind == "location":
        return {"en": [en.title()], "ru": [ru.title()], "ar": [ar]}
    head_en, head_ru, head_ar = rng.choice(firsts[kind])
    full = {"en": f"{head_en} {en.title()}", "ru": f"{head_ru} {ru.title()}", "ar": f"{head_ar} {ar}"}
    if kind == "organization":
        return {lang: [name] for lang, name in full.items()}
    return {"en": [full["en"], en.title()], "ru": [full["ru"], ru.title()], "ar": [full["ar"], ar]}


def synthetic_entities(count: int, seeds: list[dict], analyzer: Analyzer, seed: int = SEED) -> list[dict]:
    rng = random.Random(f"{seed}-watchlist")
    firsts = {kind: _first_tokens(seeds, kind) for kind in ("person", "organization")}
    taken = {analyzer.phrase_keys(s) for e in seeds for s in _strings(e)}
    made: list[dict] = []
    while len(made) < count:
        kind = rng.choices([k for k, _ in TYPE_SHARES], [w for _, w in TYPE_SHARES])[0]
        aliases = _names(kind, rng, firsts)
        keys = {analyzer.phrase_keys(s) for names in aliases.values() for s in names}
        keys.add(analyzer.phrase_keys(aliases["en"][0]))
        if keys & taken or len(keys) < sum(len(v) for v in aliases.values()):
            continue
        taken |= keys
        entity = {"id": f"mw:bench-{len(made)}", "name": aliases["en"][0], "type": kind, "aliases": aliases}
        country = rng.choice(COUNTRIES)
        if country:
            entity["country"] = country
        if kind == "location":
            entity["coords"] = [round(rng.uniform(-60, 70), 2), round(rng.uniform(-170, 170), 2)]
        made.append(entity)
    return made


def _strings(entity: dict) -> list[str]:
    groups = [entity.get(g) or {} for g in ("aliases", "adjectives", "context_aliases")]
    return [entity["name"], *(s for group in groups for names in group.values() for s in names)]


def seeds_with_entities(count: int, target: Path, analyzer: Analyzer | None = None) -> Path:
    """Write a seeds directory under ``target`` whose entities.yaml holds ``count`` entities."""
    seeds = yaml.safe_load((SEEDS / "entities.yaml").read_text(encoding="utf-8"))["entities"]
    entities = seeds[:count]
    if count > len(seeds):
        entities = seeds + synthetic_entities(count - len(seeds), seeds, analyzer or Analyzer())
    target.mkdir(parents=True, exist_ok=True)
    for name in SEED_FILES:
        source = SEEDS / name
        if source.is_dir():
            shutil.copytree(source, target / name, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target / name)
    text = yaml.safe_dump({"entities": entities}, allow_unicode=True, sort_keys=False, width=200)
    (target / "entities.yaml").write_text(text, encoding="utf-8")
    return target
