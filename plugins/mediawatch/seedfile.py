"""Reading the project's YAML seed files so that an error names the file and the line.

PyYAML's plain ``safe_load`` forgets where things were; composing the node tree first keeps
each list item's line, so a validation error can say ``seeds/feeds.yaml:42``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class SeedError(ValueError):
    """A seed file is missing, unparsable or holds an invalid entry; the message has file:line."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys, which YAML would otherwise silently drop."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise SeedError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_document(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML file into (data, node tree); SeedError carries the file name."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except SeedError as exc:
        raise SeedError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise SeedError(f"{path}: not valid YAML: {exc}") from exc
    return data, node


def _item_lines(node: yaml.Node | None, key: str) -> list[int]:
    if not isinstance(node, yaml.MappingNode):
        return []
    for key_node, value_node in node.value:
        if key_node.value == key and isinstance(value_node, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value_node.value]
    return []


def load_entries(path: Path, key: str, model: type[Model],
                 context: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[tuple[Model, int]]]:
    """Validate every item of the top-level list ``key`` against ``model``.

    Returns the whole document (for top-level settings such as defaults) and the
    validated items with their line numbers. ``context`` reaches the model's validators.
    """
    data, node = load_document(path)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise SeedError(f"{path}: expected a mapping with a '{key}:' list at the top")
    lines = _item_lines(node, key)
    entries: list[tuple[Model, int]] = []
    for index, raw in enumerate(data[key]):
        line = lines[index] if index < len(lines) else 0
        try:
            entries.append((model.model_validate(raw, context=context), line))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}" for err in exc.errors()
            )
            raise SeedError(f"{path}:{line}: entry {index + 1} is invalid: {problems}") from None
    return data, entries
