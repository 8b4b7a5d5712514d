"""YAML loading that remembers line numbers, on top of PyYAML's safe loader.

Reporting a finding needs the line of the offending key; plain ``safe_load_all`` drops that.
The loader below is PyYAML's SafeLoader (the C one when libyaml is present, for speed) with the
mapping and sequence constructors swapped for dict/list subclasses that carry their lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YDict(dict[Any, Any]):
    """A mapping with ``line`` (1-based) and ``key_lines`` (key -> 1-based line)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        """Line of ``key`` in this mapping, falling back to the mapping's own line."""
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A sequence with ``line`` (1-based) and ``item_lines``."""

    line: int = 0
    item_lines: list[int]


class LineLoader(_Base):  # type: ignore[misc]
    """Safe loader whose mappings and sequences know where they came from."""


def _construct_map(loader: Any, node: yaml.MappingNode) -> Iterator[YDict]:
    data = YDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            continue
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> Iterator[YList]:
    data = YList()
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def load_all(text: str) -> list[Any]:
    """Parse every document of a YAML stream; raises ``yaml.YAMLError`` on bad input."""
    return [doc for doc in yaml.load_all(text, Loader=LineLoader) if doc is not None]


def line_of(node: Any, key: Any, default: int = 1) -> int:
    """Line of ``key`` inside ``node`` when it is a :class:`YDict`; ``default`` otherwise."""
    if isinstance(node, YDict):
        return node.line_of(key)
    return default


def node_line(node: Any, default: int = 1) -> int:
    """Line where ``node`` starts when it carries one."""
    return int(getattr(node, "line", default) or default)
