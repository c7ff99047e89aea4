"""The shapes phrase libraries take in JSON and YAML, walked the same way for both.

- a list of strings: each string is a reply;
- a list of objects: the reply is the field named like a reply column (回复, 话术, text, ...
  or ``--column``); a 场景/分组 field gives the position; other string fields are context;
- groups: an object whose values are lists (or objects): the key is the group, and a group
  named like a scene (欢迎语, 结束语, ...) gives the position of the replies inside;
- transcripts: an object with ``role: customer`` is the customer's message, not a reply.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from . import SourceOptions


@dataclass
class Node:
    """A value with its place in the source: ``start``/``end`` span the raw token (quotes
    included) for strings; ``line``/``column`` point at the value's first character."""

    kind: str  # "str", "list", "dict" or "other"
    start: int
    end: int
    line: int
    column: int
    value: str | None = None
    items: list[tuple[str | int, Node]] = field(default_factory=list)
    style: str | None = None  # YAML scalar style


@dataclass(frozen=True)
class Found:
    node: Node
    pointer: str
    position: str | None
    context: tuple[tuple[str, str], ...]
    customer: str | None = None


_ROLE_KEYS = {"role", "角色", "发送方", "sender"}
_CUSTOMER_ROLES = {"customer", "顾客", "客户", "买家", "用户", "user"}


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def replies(node: Node, options: SourceOptions) -> Iterator[Found]:
    """Every reply in a document, in document order, with its JSON pointer."""
    yield from _walk(node, options, None, "")


def _walk(node: Node, options: SourceOptions, group: str | None, pointer: str) -> Iterator[Found]:
    if node.kind == "str":
        if node.value and node.value.strip():
            yield Found(node, pointer, options.position_of(group), ())
        return
    if node.kind == "list":
        for index, child in node.items:
            yield from _walk(child, options, group, f"{pointer}/{index}")
        return
    if node.kind != "dict":
        return
    keys = [(str(k), child) for k, child in node.items]
    if any(
        k.strip().lower() in _ROLE_KEYS
        and c.kind == "str"
        and (c.value or "").strip().lower() in _CUSTOMER_ROLES
        for k, c in keys
    ):
        return  # a customer's message in a transcript is not a reply to check
    reply = [(k, child) for k, child in keys if options.is_reply_key(k) and child.kind == "str"]
    if reply:
        key, child = reply[0]
        scene = next(
            (c.value for k, c in keys if options.is_position_key(k) and c.kind == "str"), group
        )
        context = tuple((k, c.value or "") for k, c in keys if k != key and c.kind == "str")
        asked = next(
            (c.value for k, c in keys if options.is_customer_key(k) and c.kind == "str"), None
        )
        if child.value and child.value.strip():
            position = options.position_of(scene)
            yield Found(child, f"{pointer}/{_escape(key)}", position, context, asked)
        return
    for key, child in keys:
        if child.kind in ("list", "dict"):
            yield from _walk(child, options, key, f"{pointer}/{_escape(key)}")
