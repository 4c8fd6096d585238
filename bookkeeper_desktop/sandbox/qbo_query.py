"""The QBO query language, as far as Intuit supports it, parsed and run over stored objects.

API_NOTES.md (QuickBooks, "query"): `select * from Account STARTPOSITION 1 MAXRESULTS 1000`;
STARTPOSITION counts from 1, MAXRESULTS defaults to 100 and may be at most 1000; there is no OR and
no JOIN. The grammar accepted here:

    select (* | count(*) | Field[, Field]...) from Entity
        [where Field op value [and Field op value]...]
        [orderby Field [asc|desc][, ...]]   ("order by" too, as python-quickbooks writes it)
        [startposition N] [maxresults N]

with `op` one of `=`, `<`, `>`, `<=`, `>=`, `in (v, ...)`, `like '%x%'`. Keywords, entity names and
property names are case-insensitive (`Metadata.LastUpdatedTime` finds `MetaData`); values are
strings in single quotes (a quote inside is written `\\'`), numbers, or `true`/`false`. A reference
property (`CustomerRef`) compares by its `value`. Date-times compare as instants, so offsets are
honoured; a literal without an offset is read in the company's time zone.

Errors are Intuit's: a syntax problem (OR, JOIN, `!=`, a stray token) is a `QueryParserError`
fault (code 4000); an unknown property or MAXRESULTS over 1000 is a `QueryValidationError` (4001).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bookkeeper_desktop.sandbox import qbo_faults

DEFAULT_MAX_RESULTS = 100
MAX_MAX_RESULTS = 1000

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_UNSUPPORTED_WORDS = {"or", "join", "not", "group", "having", "union", "between", "is", "null"}


@dataclass(frozen=True)
class _Token:
    kind: str  # string | number | op | punct | word | end
    text: str
    column: int

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(frozen=True)
class Condition:
    """`path op values`; `values` has one item except for `in`."""

    path: tuple[str, ...]
    op: str  # = < > <= >= in like
    values: tuple[object, ...]


@dataclass(frozen=True)
class Query:
    entity: str
    count: bool
    fields: tuple[str, ...] | None  # None for `*`
    conditions: tuple[Condition, ...]
    order: tuple[tuple[tuple[str, ...], bool], ...]  # (path, descending)
    start_position: int
    max_results: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    stripped_end = len(text.rstrip())
    while position < stripped_end:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            column = len(text[:position]) - len(text[:position].lstrip()) + position + 1
            raise qbo_faults.query_parser(
                f"Lexical error at line 1, column {column}. Encountered: "
                f"\"{text[position:position + 1].strip() or text[position:].strip()[:1]}\"",
            )
        kind = match.lastgroup or "word"
        value = match.group(kind)
        tokens.append(_Token(kind, value, match.start(kind) + 1))
        position = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def fail(self, expected: str) -> qbo_faults.QboFault:
        token = self.current
        shown = "<EOF>" if token.kind == "end" else token.text
        return qbo_faults.query_parser(
            f"Encountered \" \"{shown}\" \"{shown.upper()} \"\" at line 1, column "
            f"{token.column}.\nWas expecting one of:\n    {expected}",
        )

    def advance(self) -> _Token:
        token = self.current
        self.index += 1
        return token

    def keyword(self, *words: str) -> bool:
        if self.current.kind == "word" and self.current.lower in words:
            self.index += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.fail(f"\"{word}\" ...")

    def expect_punct(self, char: str) -> None:
        if self.current.kind == "punct" and self.current.text == char:
            self.index += 1
            return
        raise self.fail(f"\"{char}\" ...")

    def field(self) -> tuple[str, ...]:
        token = self.current
        if token.kind != "word" or token.lower in _UNSUPPORTED_WORDS | {
            "where", "from", "orderby", "order", "and", "startposition", "maxresults",
        }:
            raise self.fail("<IDENTIFIER> ...")
        self.index += 1
        return tuple(token.text.split("."))

    def value(self) -> object:
        token = self.current
        if token.kind == "string":
            self.index += 1
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "number":
            self.index += 1
            return Decimal(token.text)
        if token.kind == "word" and token.lower in ("true", "false"):
            self.index += 1
            return token.lower == "true"
        raise self.fail("<STRING> ...\n    <NUMBER> ...\n    \"true\" ...\n    \"false\" ...")

    def integer(self, clause: str) -> int:
        token = self.current
        if token.kind != "number" or "." in token.text or token.text.startswith("-"):
            raise self.fail(f"<INTEGER> after {clause} ...")
        self.index += 1
        return int(token.text)

    def parse(self) -> Query:
        self.expect_keyword("select")
        count = False
        fields: tuple[str, ...] | None = None
        if self.current.kind == "punct" and self.current.text == "*":
            self.index += 1
            # `SELECT *, Sku FROM Item` (python-quickbooks asks for Sku this way): `*` has it all.
            while self.current.kind == "punct" and self.current.text == ",":
                self.index += 1
                self.field()
        elif self.keyword("count"):
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            count = True
        else:
            names = [".".join(self.field())]
            while self.current.kind == "punct" and self.current.text == ",":
                self.index += 1
                names.append(".".join(self.field()))
            fields = tuple(names)
        self.expect_keyword("from")
        entity_token = self.current
        if entity_token.kind != "word":
            raise self.fail("<ENTITY> ...")
        self.index += 1
        conditions: list[Condition] = []
        if self.keyword("where"):
            conditions.append(self.condition())
            while self.keyword("and"):
                conditions.append(self.condition())
        order: list[tuple[tuple[str, ...], bool]] = []
        if self.keyword("orderby") or (self.keyword("order") and self._by()):
            while True:
                path = self.field()
                descending = False
                if self.keyword("desc"):
                    descending = True
                else:
                    self.keyword("asc")
                order.append((path, descending))
                if self.current.kind == "punct" and self.current.text == ",":
                    self.index += 1
                    continue
                break
        start_position: int | None = None
        max_results: int | None = None
        while self.current.kind == "word" and self.current.lower in ("startposition",
                                                                      "maxresults"):
            word = self.advance().lower
            if word == "startposition" and start_position is None:
                start_position = self.integer("STARTPOSITION")
            elif word == "maxresults" and max_results is None:
                max_results = self.integer("MAXRESULTS")
            else:
                self.index -= 1
                raise self.fail("<EOF>")
        if self.current.kind != "end":
            expected = "<EOF> ...\n    \"and\" ..." if conditions else "<EOF> ..."
            raise self.fail(expected)
        if max_results is not None and max_results > MAX_MAX_RESULTS:
            raise qbo_faults.query_validation(
                f"value {max_results} is too large. Max allowed value is {MAX_MAX_RESULTS}",
            )
        return Query(
            entity=entity_token.text,
            count=count,
            fields=fields,
            conditions=tuple(conditions),
            order=tuple(order),
            start_position=max(1, start_position) if start_position is not None else 1,
            max_results=max_results if max_results is not None else DEFAULT_MAX_RESULTS,
        )

    def _by(self) -> bool:
        self.expect_keyword("by")
        return True

    def condition(self) -> Condition:
        path = self.field()
        token = self.current
        if token.kind == "op":
            if token.text in ("!=", "<>"):
                raise self.fail("\"=\" ...\n    \"<\" ...\n    \">\" ...\n    \"in\" ...")
            self.index += 1
            return Condition(path, token.text, (self.value(),))
        if self.keyword("in"):
            self.expect_punct("(")
            values = [self.value()]
            while self.current.kind == "punct" and self.current.text == ",":
                self.index += 1
                values.append(self.value())
            self.expect_punct(")")
            return Condition(path, "in", tuple(values))
        if self.keyword("like"):
            if self.current.kind != "string":
                raise self.fail("<STRING> ...")
            return Condition(path, "like", (self.value(),))
        raise self.fail("\"=\" ...\n    \"<\" ...\n    \">\" ...\n    \"in\" ...\n    \"like\" ...")


def parse_query(text: str) -> Query:
    """Parse one QBO query; raises `QboFault` (4000 syntax, 4001 limits) as Intuit does."""
    if not text.strip():
        raise qbo_faults.query_parser("Encountered \"<EOF>\" at line 1, column 1.")
    return _Parser(text).parse()


# --- evaluation ---------------------------------------------------------------------------------


def resolve(obj: Mapping[str, Any], path: Sequence[str]) -> Any:
    """The value at `path` (keys matched case-insensitively); a reference gives its `value`."""
    current: Any = obj
    for part in path:
        if not isinstance(current, Mapping):
            return None
        if part in current:
            current = current[part]
            continue
        lowered = part.lower()
        for key, value in current.items():
            if key.lower() == lowered:
                current = value
                break
        else:
            return None
    if isinstance(current, Mapping) and "value" in current:
        return current["value"]
    return current


def known_path(path: Sequence[str], properties: Iterable[str]) -> bool:
    first = path[0].lower()
    return any(first == name.lower() for name in properties)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _as_instant(value: object, tz: dt.tzinfo) -> dt.datetime | None:
    if not isinstance(value, str) or not _DATETIME.match(value):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _as_number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(?:\.\d+)?", value):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def _comparable(field_value: object, literal: object, tz: dt.tzinfo) -> tuple[Any, Any] | None:
    """Both sides in one comparable form, or None when they cannot be compared."""
    if field_value is None:
        return None
    if isinstance(field_value, bool) or isinstance(literal, bool):
        if isinstance(field_value, bool) and isinstance(literal, bool):
            return field_value, literal
        if isinstance(literal, bool):
            return str(field_value).lower(), str(literal).lower()
        return None
    field_instant = _as_instant(field_value, tz)
    if field_instant is not None:
        if isinstance(literal, str) and _DATE.match(literal):
            literal = literal + "T00:00:00"
        literal_instant = _as_instant(literal, tz)
        return (field_instant, literal_instant) if literal_instant else None
    field_number = _as_number(field_value)
    literal_number = _as_number(literal)
    if field_number is not None and literal_number is not None:
        return field_number, literal_number
    if isinstance(field_value, (Mapping, list)):
        return None
    return str(field_value).lower(), str(literal).lower()


def _like(field_value: object, pattern: object) -> bool:
    if field_value is None or isinstance(field_value, (Mapping, list)):
        return False
    regex = "^" + ".*".join(re.escape(part) for part in str(pattern).split("%")) + "$"
    return re.match(regex, str(field_value), re.IGNORECASE | re.DOTALL) is not None


def matches(obj: Mapping[str, Any], condition: Condition, tz: dt.tzinfo) -> bool:
    field_value = resolve(obj, condition.path)
    if condition.op == "like":
        return _like(field_value, condition.values[0])
    if condition.op == "in":
        for literal in condition.values:
            pair = _comparable(field_value, literal, tz)
            if pair is not None and pair[0] == pair[1]:
                return True
        return False
    pair = _comparable(field_value, condition.values[0], tz)
    if pair is None:
        return False
    left, right = pair
    if condition.op == "=":
        return bool(left == right)
    if condition.op == "<":
        return bool(left < right)
    if condition.op == ">":
        return bool(left > right)
    if condition.op == "<=":
        return bool(left <= right)
    return bool(left >= right)


def _sort_key(value: object, tz: dt.tzinfo) -> tuple[int, Any]:
    """Missing values first, then numbers, instants and text each in their own order."""
    if value is None:
        return (0, "")
    instant = _as_instant(value, tz)
    if instant is not None:
        return (2, instant.timestamp())
    number = _as_number(value)
    if number is not None:
        return (1, number)
    return (3, str(value).lower())


def _id_order(obj: Mapping[str, Any]) -> tuple[int, str]:
    text = str(obj.get("Id", ""))
    return (int(text), "") if text.isdigit() else (1 << 62, text)


def _path_key(obj: Mapping[str, Any], *, path: tuple[str, ...], tz: dt.tzinfo
              ) -> tuple[int, Any]:
    return _sort_key(resolve(obj, path), tz)


def run_query(
    query: Query, objects: Sequence[Mapping[str, Any]], tz: dt.tzinfo,
) -> tuple[list[Mapping[str, Any]], int]:
    """(the page of objects, the number that matched). Objects come in Id order unless the
    query orders them; paging applies after ordering."""
    selected = [obj for obj in objects if all(matches(obj, c, tz) for c in query.conditions)]
    selected.sort(key=_id_order)
    in_id_order = True
    for path, descending in reversed(query.order):  # stable sorts: last key first
        if in_id_order and path == ("Id",) and all(
                str(obj.get("Id", "")).isdigit() for obj in selected):
            # Already in this order (numeric Ids sort as numbers either way, and they are
            # unique): every page of a first sync asks "orderby Id", and sorting 20,000
            # objects by a parsed key for each page made the sandbox, not the network or the
            # client, the slowest part of a benchmarked pull.
            if descending:
                selected.reverse()
                in_id_order = False
            continue
        in_id_order = False
        selected.sort(key=functools.partial(_path_key, path=path, tz=tz), reverse=descending)
    start = query.start_position - 1
    return selected[start:start + query.max_results], len(selected)


def project(obj: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """A `select A, B` row: the named top-level properties plus Id and SyncToken, marked sparse."""
    row: dict[str, Any] = {}
    wanted = {name.split(".")[0].lower() for name in fields} | {"id", "synctoken", "domain"}
    for key, value in obj.items():
        if key.lower() in wanted:
            row[key] = value
    row["sparse"] = True
    return row
