"""Loading and validating the seed files: watchlist, sentiment lexicons and topic rules.

Seeds are edited by hand, so a mistake must point at the file and line of the bad entry (found
through PyYAML's node marks) instead of surfacing later as a silently missed entity. Models use
strict keys: a misspelt field (``aliasses:``) is an error, not an ignored key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

LANGS: tuple[str, ...] = ("ar", "ru", "en")
Lang = Literal["ar", "ru", "en"]
EntityType = Literal["person", "organization", "location"]
# Lexicon weights follow the common -3..+3 news-lexicon scale (as in VADER's -4..+4, narrowed).
MAX_WEIGHT = 3.0


class SeedError(ValueError):
    """A seed file is missing, unreadable or holds an invalid entry; says which file and line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=BaseModel)


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


# --- YAML with line numbers ---------------------------------------------------------------


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse ``path`` into data plus its node tree (the tree carries the line of every entry)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(path, None, f"cannot read seed file: {exc.strerror or exc}") from exc
    try:
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SeedError(path, mark.line + 1 if mark else None, f"not valid YAML: {exc}") from exc


def line_of(node: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    """1-based line of the entry at ``path`` (keys and list indices), or of its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        node = _child(node, step)
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return node.value[step]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(step):
                return key if isinstance(value, yaml.ScalarNode) else value
    return None


def _duplicate_keys(node: yaml.Node | None) -> list[tuple[str, int]]:
    """Keys given twice in one mapping, anywhere in the tree (safe_load silently keeps the last)."""
    found: list[tuple[str, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                found.append((key.value, key.start_mark.line + 1))
            seen.add(key.value)
            found.extend(_duplicate_keys(value))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found.extend(_duplicate_keys(item))
    return found


def _validate(model: type[M], data: Any, path: Path, node: yaml.Node | None, at: list[str | int]) -> M:
    """Build ``model`` from ``data``; on failure, report the first error at its own line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [*at, *error["loc"]]
        label = ".".join(str(p) for p in loc) or "document"
        raise SeedError(path, line_of(node, loc), f"{label}: {error['msg']}") from exc


def _top_list(path: Path, key: str) -> tuple[list[Any], yaml.Node | None]:
    data, node = read_yaml(path)
    _reject_duplicates(path, node)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise SeedError(path, 1, f"expected a mapping with a `{key}:` list at the top")
    extra = sorted(set(data) - {key})
    if extra:
        raise SeedError(path, line_of(node, [extra[0]]), f"unexpected top-level key {extra[0]!r}")
    return data[key], node


def _reject_duplicates(path: Path, node: yaml.Node | None) -> None:
    duplicates = _duplicate_keys(node)
    if duplicates:
        key, line = duplicates[0]
        raise SeedError(path, line, f"key {key!r} is given twice in the same mapping")


# --- Watchlist ----------------------------------------------------------------------------

KeyFunction = Callable[[str], tuple[str, ...]]


def load_entries(path: Path, key: str, model: type[M]) -> tuple[list[M], yaml.Node | None]:
    """Validate each entry of the top-level list ``key``; also returns the node tree for lines."""
    items, node = _top_list(path, key)
    return [_validate(model, item, path, node, [key, i]) for i, item in enumerate(items)], node


def load_watchlist(path: Path, key_of: KeyFunction) -> list[EntitySeed]:
    """Load ``entities.yaml``; ids must be unique and an alias (as folded by ``key_of``) may be
    shared by two entities only when both list it under ``ambiguous``."""
    entities, node = load_entries(path, "entities", EntitySeed)
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
    _reject_duplicates(path, node)
    lexicon = _validate(LexiconSeed, data, path, node, [])
    if path.stem in LANGS and lexicon.language != path.stem:
        raise SeedError(path, line_of(node, ["language"]),
                        f"language is {lexicon.language!r} but the file is {path.name}")
    return lexicon


def load_lexicons(directory: Path) -> dict[str, LexiconSeed]:
    """Load the lexicon of every language we monitor; a missing one is an error."""
    return {lang: load_lexicon(directory / f"{lang}.yaml") for lang in LANGS}


def load_topics(path: Path) -> list[TopicSeed]:
    """Load ``topics.yaml``: unique ids, at least one keyword per topic."""
    topics, node = load_entries(path, "topics", TopicSeed)
    seen: set[str] = set()
    for index, topic in enumerate(topics):
        if topic.id in seen:
            raise SeedError(path, line_of(node, ["topics", index]), f"topic id {topic.id!r} is used twice")
        if not topic.keywords.all():
            raise SeedError(path, line_of(node, ["topics", index]), f"topic {topic.id!r} has no keywords")
        seen.add(topic.id)
    return topics
