"""Loading and validating the seed files: watchlist, sentiment lexicons and topic rules.

Seeds are edited by hand, so a mistake must point at the file and line of the bad entry instead
of surfacing later as a silently missed entity (the YAML reading lives in ``mediawatch.seedfile``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, field_validator

from mediawatch.seedfile import SeedError, StrictModel, line_of, load_entries, read_yaml, reject_duplicates, validate

LANGS: tuple[str, ...] = ("ar", "ru", "en")
Lang = Literal["ar", "ru", "en"]
EntityType = Literal["person", "organization", "location"]
# Lexicon weights follow the common -3..+3 news-lexicon scale (as in VADER's -4..+4, narrowed).
MAX_WEIGHT = 3.0


class Names(StrictModel):
    """Strings per language; Arabic without clitics, Russian in the nominative."""

    ar: tuple[str, ...] = ()
    ru: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    @field_validator("ar", "ru", "en")
    @classmethod
    def _no_blank(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if any(not v.strip() for v in values):
            raise ValueError("blank string")
        return values

    def all(self) -> list[str]:
        return [*self.ar, *self.ru, *self.en]


class EntitySeed(StrictModel):
    id: str = Field(pattern=r"^(Q[1-9][0-9]*|mw:[a-z0-9][a-z0-9_.-]*)$")
    name: str = Field(min_length=1)
    type: EntityType
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    coords: tuple[float, float] | None = None
    aliases: Names = Names()
    adjectives: Names = Names()
    context_aliases: Names = Names()
    ambiguous: tuple[str, ...] = ()
    note: str = ""

    @field_validator("coords")
    @classmethod
    def _on_earth(cls, coords: tuple[float, float] | None) -> tuple[float, float] | None:
        if coords is not None and not (-90 <= coords[0] <= 90 and -180 <= coords[1] <= 180):
            raise ValueError("coords must be [lat, lon] with lat in [-90, 90] and lon in [-180, 180]")
        return coords


Weight = Annotated[float, Field(ge=-MAX_WEIGHT, le=MAX_WEIGHT)]
Multiplier = Annotated[float, Field(gt=0, le=5)]


class LexiconSeed(StrictModel):
    language: Lang
    negators: tuple[str, ...] = Field(min_length=1)
    intensifiers: dict[str, Multiplier] = {}
    diminishers: dict[str, Multiplier] = {}
    words: dict[str, Weight] = Field(min_length=1)


class TopicSeed(StrictModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    label: str = Field(min_length=1)
    min_hits: int = Field(default=1, ge=1)
    keywords: Names


# --- Watchlist ----------------------------------------------------------------------------

KeyFunction = Callable[[str], tuple[str, ...]]


def load_watchlist(path: Path, key_of: KeyFunction) -> list[EntitySeed]:
    """Load ``entities.yaml``; ids must be unique and an alias (as folded by ``key_of``) may be
    shared by two entities only when both list it under ``ambiguous``."""
    entities, node, _ = load_entries(path, "entities", EntitySeed)
    _check_unique_ids(entities, path, node)
    _check_ambiguous_listed(entities, path, node, key_of)
    _check_shared_aliases(entities, path, node, key_of)
    return entities


def entity_names(entity: EntitySeed) -> list[str]:
    """Every string that names ``entity`` on its own: canonical name, aliases and adjectives."""
    return [entity.name, *entity.aliases.all(), *entity.adjectives.all()]


def _check_unique_ids(entities: list[EntitySeed], path: Path, node: yaml.Node | None) -> None:
    first: dict[str, int] = {}
    for index, entity in enumerate(entities):
        if entity.id in first:
            previous = line_of(node, ["entities", first[entity.id]])
            raise SeedError(path, line_of(node, ["entities", index]),
                            f"id {entity.id} is used twice (first at line {previous})")
        first[entity.id] = index


def _check_ambiguous_listed(entities: list[EntitySeed], path: Path, node: yaml.Node | None,
                            key_of: KeyFunction) -> None:
    """An ``ambiguous`` entry must be one of the entity's own strings (catches typos)."""
    for index, entity in enumerate(entities):
        own = {key_of(s) for s in [*entity_names(entity), *entity.context_aliases.all()]}
        for alias in entity.ambiguous:
            if key_of(alias) not in own:
                raise SeedError(path, line_of(node, ["entities", index, "ambiguous"]),
                                f"{entity.id}: ambiguous alias {alias!r} is not one of its aliases")


def _check_shared_aliases(entities: list[EntitySeed], path: Path, node: yaml.Node | None,
                          key_of: KeyFunction) -> None:
    owners: dict[tuple[str, ...], int] = {}
    for index, entity in enumerate(entities):
        allowed = {key_of(a) for a in entity.ambiguous}
        strings = [*entity_names(entity), *entity.context_aliases.all()]
        for alias in dict.fromkeys(strings):
            key = key_of(alias)
            if not key:
                continue
            other = owners.setdefault(key, index)
            if other == index:
                continue
            if key not in allowed or key not in {key_of(a) for a in entities[other].ambiguous}:
                raise SeedError(
                    path, line_of(node, ["entities", index]),
                    f"{entity.id}: alias {alias!r} is also an alias of {entities[other].id} "
                    f"(line {line_of(node, ['entities', other])}); list it under `ambiguous` in both",
                )


# --- Lexicons and topics ------------------------------------------------------------------


def load_lexicon(path: Path) -> LexiconSeed:
    """Load one ``lexicons/<lang>.yaml``; its ``language`` must match the file name."""
    data, node = read_yaml(path)
    reject_duplicates(path, node)
    lexicon = validate(LexiconSeed, data, path, node, [])
    if path.stem in LANGS and lexicon.language != path.stem:
        raise SeedError(path, line_of(node, ["language"]),
                        f"language is {lexicon.language!r} but the file is {path.name}")
    return lexicon


def load_lexicons(directory: Path) -> dict[str, LexiconSeed]:
    """Load the lexicon of every language we monitor; a missing one is an error."""
    return {lang: load_lexicon(directory / f"{lang}.yaml") for lang in LANGS}


def load_topics(path: Path) -> list[TopicSeed]:
    """Load ``topics.yaml``: unique ids, at least one keyword per topic."""
    topics, node, _ = load_entries(path, "topics", TopicSeed)
    seen: set[str] = set()
    for index, topic in enumerate(topics):
        if topic.id in seen:
            raise SeedError(path, line_of(node, ["topics", index]), f"topic id {topic.id!r} is used twice")
        if not topic.keywords.all():
            raise SeedError(path, line_of(node, ["topics", index]), f"topic {topic.id!r} has no keywords")
        seen.add(topic.id)
    return topics
