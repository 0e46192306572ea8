"""Query: canned queries in queries/, their header metadata, safe parameter binding, paging, result formats.

Paging: a canned query whose header has `# page: N` is a listing; the command line and the web page
show it N rows at a time unless asked for more (`run(..., limit=, offset=)` here; `run` without them
gives every row, as exports and the analysis modules need). The page's `LIMIT n OFFSET m` goes where
the query has a line `# page-slice` (inside a subquery that picks the page's rows, so the rest of the
query is evaluated for those rows only), or else at the end of the query. `# page-slice: ORDER BY ...`
also orders that subquery's rows, for a page only: every row needs no order there, only at the end."""
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
from .csvsafe import neutralise_solutions, neutralise_term

PARAM_TYPES = ("iri", "string", "integer", "date", "boolean")
RESERVED_PARAMS = ("limit", "offset")  # paging arguments of the command line and the web page
PAGE_MARKER = "# page-slice"  # a line of a query: where LIMIT/OFFSET of a page go (default: the end)
_PAGE_LINE = re.compile(r"^(\s*)# page-slice(?::\s*(.*?))?\s*$")  # optionally `: ORDER BY ...`, used only for a page
XSD = "http://www.w3.org/2001/XMLSchema#"


class QueryError(Exception):
    """A query that cannot run: unknown name, bad parameter, or a SPARQL error from the engine."""


MAX_NESTING = 256  # brackets deep; the engine's parser overflows its stack in the thousands


def nesting_error(text: str, limit: int = MAX_NESTING) -> str | None:
    """A message if brackets ( { [ in the query text nest deeper than `limit`, else None. A size bound
    on the input (brackets inside literals count too), checked before any parser sees the text."""
    depth = 0
    for position, char in enumerate(text):
        if char in "({[":
            depth += 1
            if depth > limit:
                line = text.count("\n", 0, position) + 1
                return f"brackets nest more than {limit} deep (line {line}); simplify the query"
        elif char in ")}]" and depth:
            depth -= 1
    return None


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
    page: int | None = None  # default page size (`# page: N`); None: every row by default

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


_HEADER = re.compile(r"^#\s*(title|description|param|page):\s*(.*)$")


def parse_header(path: Path) -> CannedQuery:
    """Read the comment header: `# title:`, `# description:` (may repeat),
    `# param: name | type | default | description` lines and `# page: N` (default page size)."""
    text = path.read_text(encoding="utf-8")
    title, description, params, page = path.stem, [], [], None
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
        elif key == "page":
            if not re.fullmatch(r"[1-9][0-9]*", value.strip()):
                raise QueryError(f"{path}: bad page line {line!r}: expected '# page: N' with N a positive integer")
            page = int(value.strip())
        else:
            parts = [p.strip() for p in value.split("|")]
            if len(parts) != 4 or parts[1] not in PARAM_TYPES:
                raise QueryError(f"{path}: bad param line {line!r}: expected 'name | type | default | description' with type one of {', '.join(PARAM_TYPES)}")
            if parts[0] in RESERVED_PARAMS:
                raise QueryError(f"{path}: parameter name {parts[0]!r} is reserved for paging")
            params.append(Param(*parts))
    return CannedQuery(path.stem, path, text, title, " ".join(description), params, page)


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


def page_size(value: Any, what: str = "limit") -> int:
    """A page size or offset: a non-negative integer (int or digits), else QueryError."""
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value))):
        raise QueryError(f"{what} must be a non-negative integer, not {value!r}")
    number = int(value)
    if number < 0:
        raise QueryError(f"{what} must be a non-negative integer, not {value!r}")
    return number


def paged(text: str, limit: int | str | None = None, offset: int | str | None = 0) -> str:
    """The query text with `LIMIT limit OFFSET offset` where its `# page-slice` line is, else at the end.
    limit None means no LIMIT (every row from the offset on); the text is unchanged when there is neither."""
    limit = None if limit is None else page_size(limit, "limit")
    offset = page_size(offset or 0, "offset")
    clause = " ".join(([f"LIMIT {limit}"] if limit is not None else []) + ([f"OFFSET {offset}"] if offset else []))
    if not clause:
        return text
    lines = text.splitlines()
    marks = [(i, m) for i, line in enumerate(lines) if (m := _PAGE_LINE.match(line))]
    if len(marks) > 1:
        raise QueryError(f"the query has {len(marks)} '{PAGE_MARKER}' lines; at most one may say where a page is cut")
    if marks:
        i, m = marks[0]
        lines[i] = m.group(1) + (f"{m.group(2)} " if m.group(2) else "") + clause
        return "\n".join(lines) + "\n"
    code = re.sub(r"(?m)#.*$", "", re.sub(r'"(?:[^"\\\n]|\\.)*"|<[^<>\s]*>', '""', text))  # strings and IRIs may hold '#'
    if re.search(r"\b(LIMIT|OFFSET)\s+\d+\s*$", code, re.IGNORECASE):
        raise QueryError("the query ends with its own LIMIT or OFFSET: run it without paging (e.g. kg query --all)")
    return text.rstrip() + "\n" + clause + "\n"


def run(store: ox.Store, query: CannedQuery | str, params: dict[str, str] | None = None, *,
        limit: int | None = None, offset: int = 0,
        answers_in: Path | None = None) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run a canned query (or SPARQL text) over the union of all graphs. Every row unless `limit`
    (a page size: rows `offset` to `offset + limit - 1` of the query's order) or `offset` is given.
    With `answers_in` (the store's directory), a page the build computed is read from there (kg.answers)."""
    if answers_in is not None and isinstance(query, CannedQuery):
        from . import answers

        if (found := answers.page(answers_in, query, params, limit, offset)) is not None:
            return answers.solutions(store, *found)
    if isinstance(query, CannedQuery):
        text, subs = query.text, bindings(query, params or {})
    else:
        text, subs = query, {}
    text = paged(text, limit, offset)
    if (message := nesting_error(text)) is not None:
        raise QueryError(f"SPARQL query refused: {message}")
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
    """table | csv | tsv (literals neutralised against formula injection, see kg.csvsafe) | json (SPARQL 1.1
    JSON results) | xml; CONSTRUCT gives Turtle, ASK true/false."""
    if isinstance(result, ox.QueryBoolean):
        return json.dumps({"head": {}, "boolean": bool(result)}) if fmt == "json" else str(bool(result)).lower()
    if isinstance(result, ox.QueryTriples):
        return ox.serialize(list(result), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES).decode()
    # csv and tsv are opened in spreadsheets: literals that could run as formulas are neutralised
    # (kg.csvsafe); json and xml keep every value as it is
    if fmt == "tsv":
        return neutralise_solutions(result).serialize(format=ox.QueryResultsFormat.TSV).decode()
    if fmt in ("json", "xml"):
        f = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML}[fmt]
        return result.serialize(format=f).decode()
    variables, data = rows(result)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(variables)
        for row in data:
            writer.writerow([term_text(neutralise_term(row[v]), compact=False) for v in variables])
        return buffer.getvalue()
    return _table(variables, data)


def count_rows(text: str, fmt: str) -> int:
    """The number of result rows in the output of format_result (SELECT results) in format fmt."""
    if fmt == "json":
        return len(json.loads(text).get("results", {}).get("bindings", []))
    if fmt == "xml":
        return text.count("<result>")
    if fmt == "csv":
        return max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)
    if fmt == "tsv":
        return max(0, len(text.splitlines()) - 1)
    m = re.search(r"(\d+) rows?\s*$", text)  # the table's last line
    return int(m.group(1)) if m else 0


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
