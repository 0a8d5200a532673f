"""YAML for lesson files, read so that no file can harm the process that reads it.

A lesson's YAML is a handful of short keys, at most four levels deep (question -> options -> option -> say).
PyYAML builds nodes recursively, so 10,000 nested brackets raise RecursionError; aliases can make a few bytes
stand for billions of values; some scalars raise ValueError (a date such as 2024-13-45, a 5,000-digit number).
Here the event stream, which PyYAML parses without recursion, is checked against small limits first, and only
then is the mapping built; anything still wrong comes back as ``Refused`` with the line it is on.
"""

from __future__ import annotations

from typing import Any

import yaml

#: Lists and mappings inside each other; lessons use 4 (question, options, an option, its spoken forms).
MAX_DEPTH = 8
#: Values (keys, scalars, lists, mappings) in one front matter or question block; a question has about 30.
MAX_NODES = 500
#: Characters in one value: a quoted scam message of 70 words is about 500.
MAX_SCALAR = 2000


class Refused(Exception):
    """YAML a lesson may not use; ``line`` is 0-based within the text, ``message`` finishes '<block> …'."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Strict:
    """What both loaders below add: a key written twice (YAML would silently keep the last one) and unhashable
    keys are refused, and a value that does not fit its type is given its line."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:  # a list or mapping used as a key
                raise yaml.constructor.ConstructorError(None, None, "a key must be a word, not a list or mapping",
                                                        key_node.start_mark) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is written twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # a scalar that matches a type but does not fit it (2024-13-45) raises a bare ValueError: give it its line
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except (ValueError, TypeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(None, None, str(exc)[:80], node.start_mark) from None


class StrictLoader(_Strict, yaml.SafeLoader):
    """PyYAML's own (pure-Python) safe loader, strict: the one whose messages and lines an author is shown."""


#: libyaml's parser, strict, where PyYAML was built with it (the wheels and Debian's are): the same values 5 to
#: 10 times faster (reading the curriculum took 2 s, most of it in the pure-Python scanner). Its errors are
#: worded and placed differently (the end of a list left open, not its start), so a file it refuses is read
#: again by ``StrictLoader`` for the message.
FastLoader: type | None = None
if hasattr(yaml, "CSafeLoader"):
    class FastLoader(_Strict, yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's safe loader, strict."""


def _check_events(text: str, loader: type) -> None:
    """Walk the event stream (no recursion, stops early) and refuse what a lesson never needs."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=loader):
        line = event.start_mark.line if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise Refused(line, "uses a YAML anchor or alias ('&name', '*name'): write each value out in full")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise Refused(line, f"nests lists or mappings more than {MAX_DEPTH} deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            nodes += 1
            if nodes > MAX_NODES:
                raise Refused(line, f"has more than {MAX_NODES} values: a lesson block needs a few dozen")
        if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR:
            raise Refused(line, f"has a value of {len(event.value)} characters (at most {MAX_SCALAR})")


def load(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node (for key lines) and its value; yaml.YAMLError when it is not YAML, Refused when it is
    YAML a lesson may not use."""
    if FastLoader is not None:
        try:
            return _load(text, FastLoader)
        except (yaml.YAMLError, Refused):
            pass  # read again below, for the message an author understands, on the line she wrote
    return _load(text, StrictLoader)


def _load(text: str, kind: type) -> tuple[yaml.Node | None, Any]:
    _check_events(text, kind)
    loader = kind(text)
    try:
        node = loader.get_single_node()
        try:
            data = None if node is None else loader.construct_document(node)
        except (ValueError, TypeError, OverflowError) as exc:  # outside any one value (kept as a last fence)
            raise Refused(node.start_mark.line if node is not None else 0,
                          f"is not valid YAML: {str(exc)[:80]}") from None
    finally:
        loader.dispose()
    return node, data
