"""Reading the project's hand-edited YAML files so that an error names the file and the line.

PyYAML's ``safe_load`` forgets where things were and silently keeps the last of two equal keys;
composing the node tree as well keeps every entry's line, so a validation error can say
``seeds/feeds.yaml:42: feeds.3.language: ...`` and a doubled key is caught. Models use strict
keys: a misspelt field (``aliasses:``) is an error, not an ignored key.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


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


class Entries(NamedTuple):
    """Validated list items, the node tree (for lines) and the whole document (for defaults)."""

    items: list[Any]
    node: yaml.Node | None
    document: dict[str, Any]


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


def validate(model: type[M], data: Any, path: Path, node: yaml.Node | None, at: list[str | int],
             context: dict[str, Any] | None = None) -> M:
    """Build ``model`` from ``data``; on failure, report the first error at its own line."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [*at, *error["loc"]]
        label = ".".join(str(p) for p in loc) or "document"
        raise SeedError(path, line_of(node, loc), f"{label}: {error['msg']}") from exc


def _top_list(path: Path, key: str, extra_keys: Sequence[str]) -> tuple[dict[str, Any], yaml.Node | None]:
    data, node = read_yaml(path)
    reject_duplicates(path, node)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise SeedError(path, 1, f"expected a mapping with a `{key}:` list at the top")
    extra = sorted(set(data) - {key, *extra_keys})
    if extra:
        raise SeedError(path, line_of(node, [extra[0]]), f"unexpected top-level key {extra[0]!r}")
    return data, node


def reject_duplicates(path: Path, node: yaml.Node | None) -> None:
    duplicates = _duplicate_keys(node)
    if duplicates:
        key, line = duplicates[0]
        raise SeedError(path, line, f"key {key!r} is given twice in the same mapping")


def load_entries(path: Path, key: str, model: type[M], extra_keys: Sequence[str] = (),
                 context: dict[str, Any] | None = None) -> Entries:
    """Validate each entry of the top-level list ``key``; ``extra_keys`` may sit beside it.

    ``context`` reaches the model's validators (e.g. the directory relative paths start from).
    """
    data, node = _top_list(path, key, extra_keys)
    items = [validate(model, item, path, node, [key, i], context) for i, item in enumerate(data[key])]
    return Entries(items, node, data)
