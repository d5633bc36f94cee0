"""Decode Stripe's bracketed form encoding (`scope[type]=account`, `expand[]=x`) and multipart bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from .errors import InvalidRequestError

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

Params = dict[str, Any]


def _listify(node: Any) -> Any:
    """Turn dicts whose keys are all indexes (`expand[0]`, `expand[]`) into lists, recursively."""
    if isinstance(node, dict):
        converted = {k: _listify(v) for k, v in node.items()}
        if converted and all(isinstance(k, _Index) for k in converted):
            return [converted[k] for k in sorted(converted, key=lambda k: (k.position, k.order))]
        return {str(k): v for k, v in converted.items()}
    return node


class _Index(str):
    """A list position: numeric (`[3]`) or an append (`[]`) ordered by appearance."""

    position: int
    order: int

    @classmethod
    def make(cls, text: str, order: int) -> _Index:
        index = cls(f"\0{text}\0{order}")
        index.position = int(text) if text else 1 << 30
        index.order = order
        return index


def decode_pairs(pairs: list[tuple[str, str]]) -> Params:
    """Nest flat `a[b][0]=c` pairs; malformed keys raise a 400 naming the key."""
    root: dict[Any, Any] = {}
    for order, (raw_key, value) in enumerate(pairs):
        match = _KEY.match(raw_key)
        if not match:
            raise InvalidRequestError(f"Invalid parameter name: {raw_key!r}.", param=raw_key)
        segments = [match.group(1), *_SEGMENT.findall(match.group(2))]
        node: dict[Any, Any] = root
        for depth, segment in enumerate(segments):
            key: Any = segment
            if depth > 0 and (segment == "" or segment.isdigit()):
                key = _find_index(node, segment, order)
            last = depth == len(segments) - 1
            if last:
                if isinstance(node.get(key), dict):
                    raise InvalidRequestError(f"Invalid parameter: {raw_key!r} is both a value and a hash.")
                node[key] = value
            else:
                child = node.setdefault(key, {})
                if not isinstance(child, dict):
                    raise InvalidRequestError(f"Invalid parameter: {raw_key!r} is both a value and a hash.")
                node = child
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def _find_index(node: dict[Any, Any], segment: str, order: int) -> _Index:
    if segment:
        for existing in node:
            if isinstance(existing, _Index) and existing.position == int(segment):
                return existing
    return _Index.make(segment, order)


def decode_form(body: bytes | str) -> Params:
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    return decode_pairs(parse_qsl(text, keep_blank_values=True))


@dataclass(frozen=True)
class Part:
    """One multipart part: its text or bytes, and the filename when it was a file."""

    name: str
    data: bytes
    filename: str | None


def decode_multipart(content_type: str, body: bytes) -> dict[str, Part]:
    """Parse multipart/form-data with the stdlib email parser; the last part of a name wins."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise InvalidRequestError("The request body is not valid multipart/form-data.")
    parts: dict[str, Part] = {}
    for sub in message.iter_parts():
        assert isinstance(sub, Message)
        name = sub.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise InvalidRequestError("Every multipart part needs a Content-Disposition name.")
        payload = sub.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = sub.get_filename()
        parts[name] = Part(name=name, data=data, filename=filename)
    return parts
