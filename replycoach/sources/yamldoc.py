"""YAML phrase libraries (shapes: see :mod:`replycoach.sources.tree`).

``fix`` replaces a reply's scalar in place, in its own style (plain, 'single' or "double"
quoted; plain falls back to double quotes where the new text would not stay a plain
string), so comments, key order and layout are kept. Block scalars (``|``, ``>``) and
scalars spread over several lines cannot be rewritten this way: a file that would need
one rewritten is left untouched and reported. ``# replycoach: disable=rule-id`` after a
reply on its line, or alone on the line above, silences that rule for it.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml

from . import (
    Entry,
    FixError,
    InputError,
    Parsed,
    SourceOptions,
    disabled_rules,
    raise_on_errors,
    splice,
)
from .decode import decode, encode
from .tree import Found, Node, replies

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"


def _convert(node: yaml.Node) -> Node:
    start, end = node.start_mark, node.end_mark
    line, column = start.line + 1, start.column + 1
    if isinstance(node, yaml.ScalarNode):
        if node.tag != _STR:
            return Node("other", start.index, end.index, line, column)
        quoted = node.style in ("'", '"')
        return Node(
            "str",
            start.index,
            end.index,
            line,
            column + int(quoted),
            str(node.value),
            style=node.style or None,
        )
    if isinstance(node, yaml.SequenceNode):
        out = Node("list", start.index, end.index, line, column)
        out.items = [(i, _convert(child)) for i, child in enumerate(node.value)]
        return out
    if isinstance(node, yaml.MappingNode):
        out = Node("dict", start.index, end.index, line, column)
        out.items = [(str(k.value), _convert(v)) for k, v in node.value]
        return out
    return Node("other", start.index, end.index, line, column)


def _is_rule_file(root: yaml.Node) -> bool:
    """A replycoach rule file (``rules:`` a list of mappings with ``id`` and ``kind``) or
    variant table (``description``, ``source`` and a ``variants`` mapping) is not a phrase
    library, even when it sits among them."""
    if not isinstance(root, yaml.MappingNode):
        return False
    keys = {getattr(k, "value", None): v for k, v in root.value}
    if set(keys) == {"description", "source", "variants"} and isinstance(
        keys["variants"], yaml.MappingNode
    ):
        return True
    for key, value in root.value:
        if getattr(key, "value", None) == "rules" and isinstance(value, yaml.SequenceNode):
            return bool(value.value) and all(
                isinstance(item, yaml.MappingNode)
                and {"id", "kind"} <= {getattr(k, "value", None) for k, _ in item.value}
                for item in value.value
            )
    return False


def _found(
    name: str, data: bytes, options: SourceOptions
) -> tuple[Parsed, list[tuple[Found, Entry]], str]:
    decoded = decode(data)
    parsed = Parsed(decoded.encoding)
    text = decoded.join()
    pairs: list[tuple[Found, Entry]] = []
    if decoded.refused:
        parsed.items.append(InputError(name, 1, decoded.refused))
        return parsed, pairs, text
    # A line that cannot be decoded is blank in ``text``: reported, and the rest is still
    # read when the document parses without it.
    for number in decoded.bad_lines:
        parsed.items.append(InputError(name, number, decoded.problem(number)))
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        if decoded.bad_lines:
            return parsed, pairs, text
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        parsed.items.append(
            InputError(name, line, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")
        )
        return parsed, pairs, text
    if root is None or _is_rule_file(root):
        return parsed, pairs, text
    lines = decoded.lines
    for f in replies(_convert(root), options):
        line_end = text.find("\n", f.node.end)
        trailing = text[f.node.end : len(text) if line_end == -1 else line_end]
        above = lines[f.node.line - 2] if f.node.line >= 2 else ""
        above_comment = above if above.lstrip().startswith("#") else ""
        assert f.node.value is not None
        entry = Entry(
            name,
            f.node.line,
            f.node.value,
            f.node.column,
            f.position,
            where=f.pointer or "/",
            disabled=disabled_rules(above_comment, trailing),
            context=f.context,
            customer=f.customer,
        )
        pairs.append((f, entry))
        parsed.items.append(entry)
    parsed.items.sort(key=lambda item: item.line)
    return parsed, pairs, text


def read(name: str, data: bytes, options: SourceOptions) -> Parsed:
    """Entries of a .yaml or .yml file."""
    return _found(name, data, options)[0]


def _plain_ok(value: str) -> bool:
    if not value or value != value.strip() or any(c in value for c in ",[]{}#:&*!|>'\"%@`\n"):
        return False
    try:
        return bool(yaml.safe_load(value) == value)
    except yaml.YAMLError:
        return False


def _scalar(style: str | None, value: str) -> str:
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style is None and _plain_ok(value):
        return value
    import json

    return json.dumps(value, ensure_ascii=False)


def rewrite(name: str, data: bytes, fix: Callable[[Entry], str], options: SourceOptions) -> bytes:
    """The file with each reply scalar replaced in place; see the module's notes."""
    parsed, pairs, text = _found(name, data, options)
    raise_on_errors(parsed)
    edits = []
    for f, entry in pairs:
        new = fix(entry)
        if new == entry.text:
            continue
        raw = text[f.node.start : f.node.end]
        if f.node.style not in (None, "'", '"') or "\n" in raw:
            raise FixError(
                f"line {entry.line}: a block or multi-line scalar cannot be rewritten in place"
            )
        edits.append((f.node.start, f.node.end, _scalar(f.node.style, new)))
    return encode(decode(data), splice(text, edits))
