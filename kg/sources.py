"""Load: find the source files and parse each strictly into its own named graph."""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox

from . import BASE, GRAPH, project_root

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
}
# JSON-LD contexts the project ships: a document may name them by IRI and they are inlined from here;
# any other remote @context is refused, never fetched.
SHIPPED_CONTEXTS = {BASE + "context.jsonld": Path(__file__).parent / "contexts" / "nsp.jsonld"}
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
SOURCE_DIRS = ("ontology", "data")
MAX_FILE_BYTES = 200 * 1024 * 1024
log = logging.getLogger(__name__)  # warnings about files that load; printed on stderr by the CLI


class LoadError(Exception):
    """A source file that cannot be read as RDF; the message names the file and line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column, self.detail = str(path), line, column, message
        where = self.path + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    graph: str  # IRI of the named graph the file is loaded into

    @property
    def kind(self) -> str:
        """'ontology' for a file under ontology/, else 'data' (also a file `kg validate` is given from
        elsewhere in the project or outside it: it is validated as data, never skipped)."""
        return "ontology" if self.path.is_relative_to(project_root() / "ontology") else "data"


def graph_iri(path: Path, root: Path | None = None) -> str:
    """The named-graph IRI for a file: GRAPH + its path below the project root, without extension."""
    root = root or project_root()
    try:
        rel = path.resolve().relative_to(root)
    except ValueError:
        rel = Path("import") / path.name
    return GRAPH + rel.with_suffix("").as_posix()


def discover(root: Path | None = None) -> list[SourceFile]:
    """Every RDF file under ontology/ and data/, in a stable order."""
    root = root or project_root()
    files: list[SourceFile] = []
    for top in SOURCE_DIRS:
        for path in sorted((root / top).rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
            if path.is_file() and path.suffix in FORMATS and not hidden:
                files.append(SourceFile(path, graph_iri(path, root)))
    return files


def source_for(path: Path, root: Path | None = None) -> SourceFile:
    """A SourceFile for an arbitrary path (used by `kg validate FILE`)."""
    if path.suffix not in FORMATS:
        raise LoadError(path, f"unknown RDF file extension {path.suffix!r} (expected one of {', '.join(FORMATS)})")
    return SourceFile(path.resolve(), graph_iri(path, root))


def parse(source: SourceFile) -> list[ox.Quad]:
    """Parse one file strictly; triples go into the file's graph, named graphs of TriG/N-Quads are kept."""
    path = source.path
    check_size(path, MAX_FILE_BYTES)
    fmt = FORMATS[path.suffix]
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LoadError(path, f"not valid UTF-8 (byte {exc.start})", line) from None
    if fmt == ox.RdfFormat.RDF_XML:
        _refuse_dtd(path, data)
    elif fmt == ox.RdfFormat.JSON_LD:
        data = _inline_contexts(path, data)
    graph = ox.NamedNode(source.graph)
    quads: list[ox.Quad] = []
    try:
        for q in ox.parse(data, format=fmt, base_iri=BASE):
            g = graph if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name
            quads.append(ox.Quad(q.subject, q.predicate, q.object, g))
    except SyntaxError as exc:
        raise LoadError(path, _clean(exc.msg), exc.lineno, exc.offset) from None
    except MemoryError:
        raise LoadError(path, "a single token (such as a literal) is larger than the parser's 16 MB limit") from None
    except ValueError as exc:
        raise LoadError(path, str(exc)) from None
    if not quads:  # valid RDF (an empty file, only prefixes, an empty GRAPH block): worth a word, not a refusal
        log.warning("%s: warning: file holds no RDF statements (empty, only prefixes, or empty graphs); "
                    "it adds nothing to the graph", path)
    return quads


def check_size(path: Path, limit: int) -> None:
    """Refuse a file larger than `limit` bytes before reading it (sources, CSV and xlsx imports)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(path, f"cannot read file: {exc.strerror}") from None
    if size > limit:
        raise LoadError(path, f"file is {size:,} bytes, larger than the limit of {limit:,}")


def _refuse_dtd(path: Path, data: bytes) -> None:
    """XML with a document type declaration can expand entities without bound ("billion laughs") or
    name external files: refuse it outright, before any XML parser sees it."""
    m = _DTD.search(data)
    if m:
        raise LoadError(path, "XML document type declarations (<!DOCTYPE>/<!ENTITY>) are refused: "
                              "entity expansion is not allowed", data[: m.start()].count(b"\n") + 1)


def _inline_contexts(path: Path, data: bytes) -> bytes:
    """Replace references to shipped JSON-LD contexts by their content; refuse any other remote context."""
    try:
        doc = json.loads(data)
    except RecursionError:
        raise LoadError(path, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise LoadError(path, f"not JSON: {exc.msg}", exc.lineno, exc.colno) from None
    changed = False

    def resolve(ctx):
        nonlocal changed
        if isinstance(ctx, str):
            if ctx in SHIPPED_CONTEXTS:
                changed = True
                return json.loads(SHIPPED_CONTEXTS[ctx].read_text())["@context"]
            raise LoadError(path, f"remote JSON-LD @context {ctx!r} is not fetched; use a shipped context "
                                  f"({', '.join(SHIPPED_CONTEXTS)}) or put the context inline")
        if isinstance(ctx, list):
            return [resolve(c) for c in ctx]
        return ctx

    def walk(node):
        if isinstance(node, dict):
            if "@context" in node:
                node["@context"] = resolve(node["@context"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    try:
        walk(doc)
    except RecursionError:
        raise LoadError(path, "JSON nested too deeply") from None
    return json.dumps(doc).encode() if changed else data


def _clean(msg: str) -> str:
    """Drop pyoxigraph's 'Parser error at line N between columns A and B:' prefix (we print our own)."""
    head, sep, rest = msg.partition(": ")
    return rest if sep and head.startswith("Parser error") else msg


def load_all(sources: Iterable[SourceFile]) -> Iterator[tuple[SourceFile, list[ox.Quad]]]:
    """Parse each source in turn; the first bad file raises LoadError."""
    for source in sources:
        yield source, parse(source)
