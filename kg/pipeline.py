"""The build: load -> validate -> store -> reason, landing whole or not at all."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
import rdflib

from . import GRAPH, project_root
from .reasoning import MaterialisationReport, materialise
from .sources import SourceFile, discover, parse
from .store import write_new
from .validation import Report, shapes_graph, to_rdflib, validate

PROVENANCE_GRAPH = GRAPH + "provenance"
Progress = Callable[[str, int, int], None]  # (step, done, total)


class BuildFailed(Exception):
    """Validation found violations; nothing was written."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__(f"{len(report.violations)} SHACL violations")


@dataclass
class Loaded:
    """Every source file parsed, split into ontology and data."""
    sources: list[SourceFile]
    quads: dict[SourceFile, list[ox.Quad]]

    def of_kind(self, kind: str) -> list[ox.Quad]:
        return [q for s in self.sources if s.kind == kind for q in self.quads[s]]

    def files_by_subject(self) -> dict[str, str]:
        """Map each subject IRI to the first file that describes it (for error reports)."""
        out: dict[str, str] = {}
        for s in self.sources:
            for q in self.quads[s]:
                if isinstance(q.subject, ox.NamedNode):
                    out.setdefault(q.subject.value, str(s.path))
        return out


@dataclass
class BuildSummary:
    files: int
    triples: int
    inferred: MaterialisationReport
    report: Report
    store_path: Path
    seconds: float
    graphs: dict[str, int] = field(default_factory=dict)


def load(sources: list[SourceFile] | None = None, progress: Progress | None = None) -> Loaded:
    sources = discover() if sources is None else sources
    quads: dict[SourceFile, list[ox.Quad]] = {}
    for i, source in enumerate(sources):
        quads[source] = parse(source)
        if progress:
            progress("load", i + 1, len(sources))
    return Loaded(sources, quads)


def check(loaded: Loaded, root: Path | None = None) -> Report:
    """SHACL-validate the data files against the shapes, with the ontology as TBox."""
    data = to_rdflib(loaded.of_kind("data"))
    ontology = to_rdflib(loaded.of_kind("ontology"))
    return validate(data, ontology, shapes_graph(root), loaded.files_by_subject(), inplace=True)  # data is ours


def build(data_dir: Path, root: Path | None = None, progress: Progress | None = None) -> BuildSummary:
    """Load every source, validate, write a new store with inferences, and swap it in."""
    started = time.perf_counter()
    root = root or project_root()
    loaded = load(discover(root), progress)
    report = check(loaded, root)
    if not report.conforms:
        raise BuildFailed(report)
    inferred = MaterialisationReport()

    def fill(store: ox.Store) -> None:
        nonlocal inferred
        all_quads = [q for s in loaded.sources for q in loaded.quads[s]]
        store.bulk_extend(all_quads)
        if progress:
            progress("store", 1, 2)
        store.extend(_provenance(loaded, root))
        inferred = materialise(store)
        if progress:
            progress("store", 2, 2)

    path = write_new(data_dir, fill)
    graphs = {s.graph: len(loaded.quads[s]) for s in loaded.sources}
    return BuildSummary(len(loaded.sources), sum(graphs.values()), inferred, report, path,
                        time.perf_counter() - started, graphs)


def _provenance(loaded: Loaded, root: Path) -> list[ox.Quad]:
    """Describe each source graph: which file it came from and how many triples it holds."""
    g = ox.NamedNode(PROVENANCE_GRAPH)
    dct, void, prov = "http://purl.org/dc/terms/", "http://rdfs.org/ns/void#", "http://www.w3.org/ns/prov#"
    out = []
    for s in loaded.sources:
        node = ox.NamedNode(s.graph)
        out += [
            ox.Quad(node, ox.NamedNode(rdflib.RDF.type), ox.NamedNode(prov + "Entity"), g),
            ox.Quad(node, ox.NamedNode(dct + "source"), ox.Literal(s.path.relative_to(root).as_posix() if s.path.is_relative_to(root) else s.path.name), g),
            ox.Quad(node, ox.NamedNode(void + "triples"), ox.Literal(str(len(loaded.quads[s])), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), g),
        ]
    return out
