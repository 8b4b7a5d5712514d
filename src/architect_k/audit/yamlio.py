"""YAML loading that remembers line numbers, on top of PyYAML's safe loader.

Reporting a finding needs the line of the offending key; plain ``safe_load_all`` drops that.
The loader below is PyYAML's SafeLoader (the C one when libyaml is present, for speed) with the
mapping and sequence constructors swapped for dict/list subclasses that carry their lines.

A stream is cut at its ``---`` markers and each document parsed on its own, so a document the
rules never read (a CustomResourceDefinition: an OpenAPI schema that is most of the bytes of a
release bundle) is recognised from its top-level ``kind:`` line and never built.
"""

from __future__ import annotations

import re
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

    line_offset = 0  # lines of the stream before the document this loader parses


def _construct_map(loader: Any, node: yaml.MappingNode) -> Iterator[YDict]:
    data = YDict()
    data.line = node.start_mark.line + 1 + loader.line_offset
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
        data.key_lines[key] = key_node.start_mark.line + 1 + loader.line_offset


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> Iterator[YList]:
    data = YList()
    data.line = node.start_mark.line + 1 + loader.line_offset
    data.item_lines = [child.start_mark.line + 1 + loader.line_offset for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


_DOC_START = re.compile(r"^---(?=[ \t]|$)", re.MULTILINE)
_SKIPPED_KIND = re.compile(r"^kind:[ \t]*[\"']?CustomResourceDefinition[\"']?[ \t]*$", re.MULTILINE)
SKIPPED_KINDS = ("CustomResourceDefinition",)


def documents(text: str) -> Iterator[tuple[int, str]]:
    """``(first line offset, source)`` of each ``---``-separated document of a stream."""
    start = 0
    offset = 0
    for match in _DOC_START.finditer(text):
        if text.startswith("%", start):
            continue  # a directive belongs to the document its `---` opens
        if match.start() > start or start == 0:
            yield offset, text[start : match.start()]
        offset += text.count("\n", start, match.start())
        start = match.start()
    yield offset, text[start:]


def load_all(text: str, skipped: list[int] | None = None) -> list[Any]:
    """Parse every document of a YAML stream; raises ``yaml.YAMLError`` on bad input.

    CustomResourceDefinition documents are not built; the line of each one is appended to
    ``skipped`` when given, so callers can say what they did not read.
    """
    out: list[Any] = []
    for offset, source in documents(text):
        crd = _SKIPPED_KIND.search(source)
        if crd is not None:
            if skipped is not None:
                skipped.append(offset + source.count("\n", 0, crd.start()) + 1)
            continue
        loader = LineLoader(source)
        loader.line_offset = offset
        try:
            while loader.check_data():
                doc = loader.get_data()
                if doc is not None:
                    out.append(doc)
        finally:
            loader.dispose()
    return out


def line_of(node: Any, key: Any, default: int = 1) -> int:
    """Line of ``key`` inside ``node`` when it is a :class:`YDict`; ``default`` otherwise."""
    if isinstance(node, YDict):
        return node.line_of(key)
    return default


def node_line(node: Any, default: int = 1) -> int:
    """Line where ``node`` starts when it carries one."""
    return int(getattr(node, "line", default) or default)
