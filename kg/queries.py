"""Query: canned queries in queries/, their header metadata, safe parameter binding, result formats."""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import BASE, PREFIXES, VOCAB, project_root

PARAM_TYPES = ("iri", "string", "integer", "date", "boolean")
XSD = "http://www.w3.org/2001/XMLSchema#"


class QueryError(Exception):
    """A query that cannot run: unknown name, bad parameter, or a SPARQL error from the engine."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str  # "" means unbound: the query then answers for every value
    description: str


@dataclass
class CannedQuery:
    name: str
    path: Path
    text: str
    title: str
    description: str
    params: list[Param] = field(default_factory=list)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*)$")


def parse_header(path: Path) -> CannedQuery:
    """Read the comment header: `# title:`, `# description:` (may repeat) and
    `# param: name | type | default | description` lines."""
    text = path.read_text(encoding="utf-8")
    title, description, params = path.stem, [], []
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = _HEADER.match(line)
        if not m:
            continue
        key, value = m.groups()
        if key == "title":
            title = value.strip()
        elif key == "description":
            description.append(value.strip())
        else:
            parts = [p.strip() for p in value.split("|")]
            if len(parts) != 4 or parts[1] not in PARAM_TYPES:
                raise QueryError(f"{path}: bad param line {line!r}: expected 'name | type | default | description' with type one of {', '.join(PARAM_TYPES)}")
            params.append(Param(*parts))
    return CannedQuery(path.stem, path, text, title, " ".join(description), params)


def discover(root: Path | None = None) -> dict[str, CannedQuery]:
    """All canned queries by name (file stem)."""
    return {p.stem: parse_header(p) for p in sorted((root or project_root()).glob("queries/*.rq"))}


def resolve(name_or_file: str, root: Path | None = None) -> CannedQuery:
    """A canned query by name, or any .rq file by path."""
    path = Path(name_or_file)
    if path.suffix == ".rq" and path.exists():
        return parse_header(path)
    queries = discover(root)
    if name_or_file not in queries:
        raise QueryError(f"no query named {name_or_file!r}; known: {', '.join(queries) or '(none)'}")
    return queries[name_or_file]


def expand(value: str) -> str:
    """A prefixed name such as country:FRA becomes its full IRI; anything else is returned as is."""
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


def to_term(param: Param, value: str) -> ox.NamedNode | ox.Literal:
    """The RDF term for a parameter value; the engine substitutes it, so it cannot change the query."""
    try:
        if param.type == "iri":
            iri = expand(value)
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", iri):
                raise ValueError("not an absolute IRI")
            return ox.NamedNode(iri)
        if param.type == "integer":
            return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
        if param.type == "boolean":
            if value.lower() not in ("true", "false"):
                raise ValueError("expected true or false")
            return ox.Literal(value.lower(), datatype=ox.NamedNode(XSD + "boolean"))
        if param.type == "date":
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError("expected YYYY-MM-DD")
            return ox.Literal(value, datatype=ox.NamedNode(XSD + "date"))
        return ox.Literal(value)
    except ValueError as exc:
        raise QueryError(f"parameter {param.name}={value!r} is not a valid {param.type}: {exc}") from None


def bindings(query: CannedQuery, given: dict[str, str]) -> dict[ox.Variable, Any]:
    """Engine substitutions for the given parameters plus non-empty defaults."""
    unknown = set(given) - {p.name for p in query.params}
    if unknown:
        known = ", ".join(p.name for p in query.params) or "none"
        raise QueryError(f"unknown parameter(s) {', '.join(sorted(unknown))} for query {query.name} (parameters: {known})")
    out = {}
    for p in query.params:
        value = given.get(p.name, p.default)
        if value != "":
            out[ox.Variable(p.name)] = to_term(p, value)
    return out


def run(store: ox.Store, query: CannedQuery | str,
        params: dict[str, str] | None = None) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run a canned query (or SPARQL text) over the union of all graphs."""
    if isinstance(query, CannedQuery):
        text, subs = query.text, bindings(query, params or {})
    else:
        text, subs = query, {}
    try:
        return store.query(text, use_default_graph_as_union=True, substitutions=subs or None, prefixes=PREFIXES)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc.msg}") from None
    except (OSError, RuntimeError) as exc:
        raise QueryError(f"query failed: {exc}") from None


def rows(result: ox.QuerySolutions) -> tuple[list[str], list[dict[str, Any]]]:
    """Variables and rows of a SELECT result (terms kept as pyoxigraph terms)."""
    variables = [v.value for v in result.variables]
    return variables, [{v: sol[v] for v in variables} for sol in result]


def term_text(term: Any, compact: bool = True) -> str:
    """A term as a person reads it: prefixed IRI, or the literal's lexical form."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact_iri(term.value) if compact else term.value
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def compact_iri(iri: str) -> str:
    """prefix:local for vocabulary terms; the project's own minted IRIs relative to the base."""
    if iri.startswith(BASE) and not iri.startswith(VOCAB) and "#" not in iri:
        return iri[len(BASE):]
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and re.fullmatch(r"[A-Za-z0-9_.-]+", iri[len(ns):] or "-"):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def format_result(result: Any, fmt: str) -> str:
    """table | csv | tsv | json (SPARQL 1.1 JSON results) | xml; CONSTRUCT gives Turtle, ASK true/false."""
    if isinstance(result, ox.QueryBoolean):
        return json.dumps({"head": {}, "boolean": bool(result)}) if fmt == "json" else str(bool(result)).lower()
    if isinstance(result, ox.QueryTriples):
        return ox.serialize(list(result), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES).decode()
    if fmt in ("json", "xml", "tsv"):
        f = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML, "tsv": ox.QueryResultsFormat.TSV}[fmt]
        return result.serialize(format=f).decode()
    variables, data = rows(result)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(variables)
        for row in data:
            writer.writerow([term_text(row[v], compact=False) for v in variables])
        return buffer.getvalue()
    return _table(variables, data)


def _table(variables: list[str], data: list[dict[str, Any]]) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(*variables, show_lines=False, header_style="bold")
    for row in data:
        table.add_row(*[term_text(row[v]) for v in variables])
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table)
    n = len(data)
    return console.export_text() + f"{n} row{'s' * (n != 1)}\n"
