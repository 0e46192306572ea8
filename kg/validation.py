"""Validate: pyshacl over the data with the ontology as TBox, and a report a person can read."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from . import PREFIXES, project_root


@dataclass(frozen=True)
class Result:
    severity: str  # "Violation", "Warning" or "Info"
    focus: str
    path: str | None
    message: str
    value: str | None
    file: str | None


@dataclass
class Report:
    results: list[Result]

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        return not self.violations


def to_rdflib(quads: Iterable[ox.Quad], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Copy pyoxigraph quads into one rdflib graph (via N-Triples text: terms print as N-Triples)."""
    graph = graph if graph is not None else rdflib.Graph()
    text = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
    if text:
        graph.parse(data=text, format="nt")
    return graph


def shapes_graph(root: Path | None = None) -> rdflib.Graph:
    """All shapes files under shapes/."""
    graph = rdflib.Graph()
    for path in sorted((root or project_root()).glob("shapes/*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def validate(data: rdflib.Graph, ontology: rdflib.Graph, shapes: rdflib.Graph,
             files_by_subject: dict[str, str] | None = None) -> Report:
    """Run pyshacl (core shapes, the TBox mixed in so targets reach subclasses) and collect results."""
    import pyshacl

    _, report_graph, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                          abort_on_first=False, allow_warnings=True)
    files_by_subject = files_by_subject or {}
    results = []
    for node in report_graph.objects(None, SH.result):  # top-level results, not nested sh:detail
        focus = str(report_graph.value(node, SH.focusNode))
        path = report_graph.value(node, SH.resultPath)
        value = report_graph.value(node, SH.value)
        severity = str(report_graph.value(node, SH.resultSeverity)).rsplit("#", 1)[-1]
        message = str(report_graph.value(node, SH.resultMessage) or "does not conform to its shape")
        results.append(Result(severity, focus, _show(path) if isinstance(path, rdflib.URIRef) else (None if path is None else "a property path"),
                              message, None if value is None else _show(value), files_by_subject.get(focus)))
    results.sort(key=lambda r: (r.file or "~", r.focus, r.severity != "Violation", r.path or "", r.message))
    return Report(results)


def _show(term: rdflib.term.Node) -> str:
    """A term in the prefixed form a person reads (nsp:status, <https://...>, "2002")."""
    if isinstance(term, rdflib.URIRef):
        text = str(term)
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if text.startswith(ns) and "/" not in text[len(ns):] and "#" not in text[len(ns):]:
                return f"{prefix}:{text[len(ns):]}"
        return f"<{text}>"
    if isinstance(term, rdflib.Literal):
        dt = f"^^{_show(term.datatype)}" if term.datatype else ""
        return f'"{term}"{dt}'
    return str(term)


def format_report(report: Report, root: Path | None = None, show_warnings: bool = True) -> str:
    """Group results by file, then focus node; one line per violated constraint, in words."""
    root = root or project_root()
    shown = [r for r in report.results if show_warnings or r.severity == "Violation"]
    groups: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for r in shown:
        groups[_relative(r.file, root) if r.file else "(node described in no single file)"][r.focus].append(r)
    lines = []
    for file, by_focus in groups.items():
        lines.append(file)
        for focus, results in by_focus.items():
            lines.append(f"  <{focus}>")
            for r in results:
                extra = []
                if r.path:
                    extra.append(f"property {r.path}")
                if r.value:
                    extra.append(f"value {r.value}")
                suffix = f" ({'; '.join(extra)})" if extra else ""
                lines.append(f"    {r.severity}: {r.message}{suffix}")
    v, w = len(report.violations), len(report.warnings)
    lines.append(f"{v} violation{'s' * (v != 1)}, {w} warning{'s' * (w != 1)}.")
    return "\n".join(lines)


def _relative(file: str, root: Path) -> str:
    try:
        return str(Path(file).relative_to(root))
    except ValueError:
        return file
