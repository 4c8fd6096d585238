"""Intuit's XML form of a v3 response, for requests that do not ask for JSON.

QBO answers in XML unless the request's `Accept` header names `application/json` (python-quickbooks
and our client always send it; API_NOTES also warns that 429 bodies are often XML even so). A
client that forgets the header gets XML here as it would from Intuit, and finds out in tests.

The shape follows Intuit's schema (`http://schema.intuit.com/finance/v3`): an `IntuitResponse`
root with a `time` attribute; `domain`/`sparse` and the `QueryResponse` counters as attributes;
a reference as its value in the text with `name`/`type` attributes; a fault as
`<Fault type=...><Error code=... element=...><Message/><Detail/></Error></Fault>`; lists as
repeated elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

NAMESPACE = "http://schema.intuit.com/finance/v3"
_ATTRIBUTES = frozenset({"domain", "sparse", "startPosition", "maxResults", "totalCount", "type",
                         "code", "element", "status", "name", "bId", "operation"})


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _is_reference(value: Mapping[str, Any]) -> bool:
    return "value" in value and set(value) <= {"value", "name", "type"}


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        if _is_reference(value):
            element.text = _text(value["value"])
            for key in ("name", "type"):
                if key in value:
                    element.set(key, _text(value[key]))
            return
        for key, item in value.items():
            if key in _ATTRIBUTES and not isinstance(item, (Mapping, list)):
                element.set(key, _text(item))
            elif isinstance(item, list):
                for entry in item:
                    _fill(ET.SubElement(element, key), entry)
            elif item is not None:
                _fill(ET.SubElement(element, key), item)
        return
    element.text = _text(value)


def to_xml(payload: Mapping[str, Any]) -> bytes:
    """`{"Account": {...}, "time": "..."}` → `<IntuitResponse time="..."><Account .../>...`."""
    root = ET.Element("IntuitResponse", {"xmlns": NAMESPACE})
    if "time" in payload:
        root.set("time", _text(payload["time"]))
    _fill(root, {key: value for key, value in payload.items() if key != "time"})
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body
