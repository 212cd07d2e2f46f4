"""Requests for one operation of an OpenAPI 3.0 document, as Hypothesis strategies.

Each request is built from what the document says (path and query parameters, the JSON body's
schema, through hypothesis-jsonschema) and then made hostile the ways an outsider would: wrong
types, huge strings, NUL and other control characters, bodies that are not JSON or not UTF-8,
and no token or a made-up one. The server must answer every one of them without a 5xx.
"""

from __future__ import annotations

import json
import shlex
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

# Strings people actually send to break things: NUL, control characters, a right-to-left mark,
# SQL and path tricks, an emoji (astral plane), case ids that almost match.
NASTY = ["", " ", "\x00", "a\x00b", "\x00" * 64, "\r\n", "\t\x0b\x0c\x1b[31m", "\u202e\u200b", "😀🔥",
         "' OR 1=1 --", "../../etc/passwd", "%00", "%2F", "null", "true", "-1", "0", "1e309", "NaN",
         "C-20250101-0001", "C-99999999-99999999999999999999", "C-\x00", "客服", "\ud7ff\ue000",
         str(2**63), "9" * 30, "-9223372036854775809", "0x10", "１２"]  # past SQLite's 64 bits; full-width digits
# Integers at the edges of what is stored: SQLite and PostgreSQL keep 64 bits, Python has no limit.
EDGE_INTS = [0, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]
HUGE_SIZES = [4001, 65_536, 1_100_000]  # one past the text limit, a big message, past the body limit


def small_text() -> st.SearchStrategy[str]:
    """A known troublemaker or short random text over every code point (NUL and controls included)."""
    return st.one_of(st.sampled_from(NASTY), st.text(max_size=40))


def nasty_text() -> st.SearchStrategy[str]:
    """Mostly short nasty text; one time in four a huge string (each huge one costs a megabyte)."""
    huge = st.builds(lambda n, c: c * n, st.sampled_from(HUGE_SIZES), st.sampled_from(["x", "\x00", "字"]))
    return st.one_of(small_text(), small_text(), small_text(), huge)


def any_json() -> st.SearchStrategy[Any]:
    """Any JSON value (a wrong type, not a big one), including integers past 64 bits and nesting."""
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from([2**63, -(2**63) - 1, 10**40]),
                       st.floats(allow_nan=False, allow_infinity=False), small_text())
    return st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                        max_leaves=6)


def value_for(schema: dict[str, Any], known: Sequence[Any] = ()) -> st.SearchStrategy[Any]:
    """Mostly what the schema allows (or a value the service knows), often anything at all."""
    real = st.sampled_from(list(known)) if known else from_schema(schema)
    return st.one_of(real, real, real, from_schema(schema), any_json(), nasty_text())


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # already percent-encoded
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: Optional[bytes] = None
    auth: str = "agent"  # agent | supervisor | none | bad
    operation: str = ""
    notes: tuple[str, ...] = field(default=())

    def target(self) -> str:
        return self.path + (f"?{urllib.parse.urlencode(self.query)}" if self.query else "")

    def curl(self, base: str, token: str = "$TOKEN") -> str:
        """The request as a command a person can paste (the body cut short when huge)."""
        parts = ["curl", "-si", "-X", self.method, base + self.target()]
        if self.auth in ("agent", "supervisor"):
            parts += ["-H", f"Authorization: Bearer {token}"]
        for name, value in self.headers:
            parts += ["-H", f"{name}: {value}"]
        if self.body is not None:
            shown = self.body if len(self.body) <= 300 else self.body[:300] + b"...(%d bytes)" % len(self.body)
            parts += ["-H", "Content-Type: application/json", "--data-binary", shown.decode("utf-8", "replace")]
        return " ".join(shlex.quote(p) for p in parts)


def _header_safe(text: str) -> str:
    """http.client refuses control characters and non-Latin-1 in headers: keep what it can send."""
    return "".join(ch for ch in text if 0x20 <= ord(ch) < 0x7F)[:200]


def path_value(schema: dict[str, Any], known: Sequence[Any]) -> st.SearchStrategy[str]:
    """A path parameter: a real id the service has, anything the schema allows, or a nasty string."""
    real = st.sampled_from(list(known)) if known else from_schema(schema)
    return st.one_of(real, real, edges(schema), nasty_text()).map(str)


def edges(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """For an integer: the storage edges as well as what the schema allows."""
    allowed = from_schema(schema)
    return st.one_of(allowed, st.sampled_from(EDGE_INTS)) if schema.get("type") == "integer" else allowed


def body_for(schema: Optional[dict[str, Any]],
             known: Mapping[str, Sequence[Any]] = {}) -> st.SearchStrategy[Optional[bytes]]:
    """Valid bodies, bodies with one field of the wrong type or size, and bodies that are not
    a JSON object at all (or not JSON, or not UTF-8)."""
    garbage = st.one_of(st.sampled_from([b"", b"{", b"[]", b"\"text\"", b"null", b"{\"text\": \"\xff\xfe\"}",
                                         b"\xff\xfe\x00", b"{\"text\": \"a\\u0000b\"}", b"{" * 10_000]),
                        st.binary(max_size=64))
    wrong_top = any_json().map(lambda v: json.dumps(v).encode())
    if schema is None:
        return st.one_of(st.none(), garbage, wrong_top)
    properties: dict[str, Any] = schema.get("properties", {})
    mutated = st.fixed_dictionaries({}, optional={name: value_for(sub, known.get(name, ()))
                                                  for name, sub in properties.items()})
    objects = st.one_of(from_schema(schema), mutated, mutated).map(lambda v: json.dumps(v).encode())
    return st.one_of(objects, objects, objects, garbage, wrong_top)


def requests_for(method: str, path: str, operation: dict[str, Any], known: Mapping[str, Sequence[Any]],
                 extra_query: Sequence[str] = ()) -> st.SearchStrategy[Request]:
    """Requests for `method path` as the document describes it, made hostile."""
    params = operation.get("parameters", [])
    path_params = {p["name"]: path_value(p.get("schema", {}), known.get(p["name"], ())) for p in params
                   if p["in"] == "path"}
    query_names = [p["name"] for p in params if p["in"] == "query"] + list(extra_query)
    query_schema = {p["name"]: p.get("schema", {}) for p in params if p["in"] == "query"}
    body_schema = (operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema"))

    def query_value(name: str) -> st.SearchStrategy[str]:
        documented = edges(query_schema[name]).map(lambda v: v if isinstance(v, str) else json.dumps(v)) \
            if name in query_schema else st.nothing()
        return st.one_of(documented, nasty_text().map(lambda s: s[:5000]))

    query = st.fixed_dictionaries({}, optional={name: query_value(name) for name in query_names}).map(
        lambda q: tuple(sorted(q.items())))
    header_values = {p["name"]: st.one_of(from_schema(p.get("schema", {})).map(str), nasty_text()).map(_header_safe)
                     for p in params if p["in"] == "header"}
    content_types = st.sampled_from(["text/plain", "application/json", "multipart/form-data"])
    headers = st.fixed_dictionaries({}, optional={**header_values, "Content-Type": content_types}).map(
        lambda h: tuple(sorted(h.items())))

    def build(values: dict[str, str], q: tuple[tuple[str, str], ...], h: tuple[tuple[str, str], ...],
              body: Optional[bytes], auth: str) -> Request:
        filled = path
        for name, value in values.items():
            filled = filled.replace("{" + name + "}", urllib.parse.quote(value[:9000], safe=""))
        return Request(method.upper(), filled, q, h, body, auth, operation.get("operationId", ""))

    return st.builds(build, st.fixed_dictionaries(path_params), query, headers, body_for(body_schema, known),
                     st.sampled_from(["agent", "agent", "supervisor", "supervisor", "none", "bad"]))
