"""The build: load -> validate -> store -> reason -> answers of the canned queries (kg.answers),
landing whole or not at all.

Validation is incremental when it can be: every build records in its store (kg-build.json, see
kg.store.write_new) the SHA-256 of each source file and of the shapes, and the results of its
validation. The next build compares the files with that record and validates only what changed
(kg.validation.IncrementalValidator: the resources a change can affect, with the data the shapes
reach from them), then merges those results with the recorded ones: the report is the one a
whole-graph validation gives. It validates the whole graph instead when asked (`full=True`,
`kg build --full-validation`), when there is no usable record, when the shapes, the ontology or
the validation software changed, or when the change is large (see INCREMENTAL_MAX_SHARE).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
import rdflib

from . import GRAPH, __version__, answers, project_root
from .reasoning import MaterialisationReport, materialise
from .sources import SHIPPED_CONTEXTS, SourceFile, discover, parse
from .store import build_lock, current_path, read_manifest, write_new
from .validation import (IncrementalUnsupported, IncrementalValidator, Report, Result, order_results, shapes_graph,
                         to_rdflib, validate)

PROVENANCE_GRAPH = GRAPH + "provenance"
Progress = Callable[[str, int, int], None]  # (step, done, total)
MANIFEST_FORMAT = 1
# An incremental validation is used when the changed files are at most this share of the files and
# hold (before and after) at most this share of the triples; a larger change is validated whole.
INCREMENTAL_MAX_SHARE = 0.25
_TBOX = {"http://www.w3.org/2000/01/rdf-schema#subClassOf", "http://www.w3.org/2002/07/owl#equivalentClass"}


class BuildFailed(Exception):
    """Validation found violations; nothing was written."""

    def __init__(self, report: Report, validation: "Validation | None" = None):
        self.report = report
        self.validation = validation
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
class Validation:
    """How the build validated: "full", "incremental" (only what changed) or "unchanged" (nothing
    changed since the previous build, whose results are reused)."""
    mode: str
    reason: str = ""  # why a full validation (or a fallback from an incremental one)
    changed: list[str] = field(default_factory=list)  # files changed, added or removed since the previous build
    focus: int = 0  # resources validated again (incremental)
    seconds: float = 0.0

    def describe(self) -> str:
        """In words, e.g. `validated 1 changed file incrementally (3 resources checked again, 0.2 s; ...)`."""
        hint = "full validation: kg build --full-validation"
        n = len(self.changed)
        if self.mode == "unchanged":
            return f"no source file changed since the previous build: nothing validated, its results reused ({hint})"
        if self.mode == "incremental":
            return (f"validated {n} changed file{'s' * (n != 1)} incrementally ({self.focus:,} "
                    f"resource{'s' * (self.focus != 1)} checked again, {self.seconds:.1f} s; {hint})")
        return f"validated the whole graph in {self.seconds:.1f} s" + (f" ({self.reason})" if self.reason else "")


@dataclass
class BuildSummary:
    files: int
    triples: int
    inferred: MaterialisationReport
    report: Report
    store_path: Path
    seconds: float
    graphs: dict[str, int] = field(default_factory=dict)
    validation: Validation = field(default_factory=lambda: Validation("full"))
    answers: dict[str, int] = field(default_factory=dict)  # rows kept per canned query (kg.answers)
    answers_seconds: float = 0.0


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


def build(data_dir: Path, root: Path | None = None, progress: Progress | None = None,
          full_validation: bool = False) -> BuildSummary:
    """Load every source, validate (only what changed since the previous build, when it can; see
    the module's description), write a new store with inferences, and swap it in.

    Raises ImportError_ for data/ left half-written by an interrupted write, BuildLocked when another
    build holds the data directory, StoreWriteError when the store cannot be written (disk full)."""
    started = time.perf_counter()
    root = (root or project_root()).resolve()
    from .importer import reading_data

    with build_lock(data_dir):  # held from the comparison with the current store to the swap
        # a `kg import` killed half-way is completed first, leftover .part files are refused, and no
        # import renames files while they are read: never a mix of old and new files
        with reading_data(root):
            found = discover(root)
            hashes = {_key(s.path, root): _sha256(s.path) for s in found}  # before parsing: see source_state
            loaded = load(found, progress)
        sources = source_state(loaded, root, hashes)
        fingerprint = validation_fingerprint(root)
        report, validation = _validate(loaded, root, data_dir, sources, fingerprint, full_validation)
        if not report.conforms:
            raise BuildFailed(report, validation)
        inferred = MaterialisationReport()

        def fill(store: ox.Store) -> None:
            nonlocal inferred
            all_quads = [q for s in loaded.sources for q in loaded.quads[s]]
            store.bulk_extend(all_quads)
            del all_quads
            if progress:
                progress("store", 1, 2)
            store.extend(_provenance(loaded, root))
            inferred = materialise(store)
            if progress:
                progress("store", 2, 2)

        manifest = {"format": MANIFEST_FORMAT, "kg": __version__, "fingerprint": fingerprint, "sources": sources,
                    "validation": validation.mode, "results": [_result_record(r) for r in report.results]}
        kept: dict[str, int] = {}
        answers_seconds = 0.0

        def finish(store: ox.Store, directory: Path) -> None:
            nonlocal answers_seconds
            t = time.perf_counter()
            kept.update(answers.write(store, directory, root))
            answers_seconds = time.perf_counter() - t

        path = write_new(data_dir, fill, manifest, finish=finish)
    graphs = {s.graph: len(loaded.quads[s]) for s in loaded.sources}
    return BuildSummary(len(loaded.sources), sum(graphs.values()), inferred, report, path,
                        time.perf_counter() - started, graphs, validation, kept, answers_seconds)


def source_state(loaded: Loaded, root: Path, hashes: dict[str, str] | None = None) -> dict[str, dict]:
    """Per source file (path relative to the root): its kind, SHA-256, named graphs and triple count.

    `hashes` are taken before the files are parsed: a file edited in between is then recorded with
    its older hash, and the next build checks it again (never the other way round)."""
    out = {}
    for s in loaded.sources:
        key = _key(s.path, root)
        graphs = sorted({q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else "_:" for q in loaded.quads[s]})
        out[key] = {"kind": _kind(s.path, root), "sha256": (hashes or {}).get(key) or _sha256(s.path),
                    "graphs": graphs, "triples": len(loaded.quads[s])}
    return out


def validation_fingerprint(root: Path) -> dict[str, str]:
    """What validation results depend on besides the sources: the shapes, the shipped JSON-LD
    contexts, and the versions of the validating code."""
    import pyshacl

    from . import validation

    out = {"pyshacl": pyshacl.__version__, "rdflib": rdflib.__version__, "kg": __version__,
           "kg/validation.py": _sha256(Path(validation.__file__))}
    for path in sorted(root.glob("shapes/*.ttl")):
        out[_key(path, root)] = _sha256(path)
    for iri, path in sorted(SHIPPED_CONTEXTS.items()):
        out[iri] = _sha256(path)
    return out


def _validate(loaded: Loaded, root: Path, data_dir: Path, sources: dict[str, dict], fingerprint: dict,
              full: bool) -> tuple[Report, Validation]:
    """The build's report, from an incremental validation when the previous build allows it."""
    started = time.perf_counter()
    previous = None if full else read_manifest(data_dir)
    plan = Validation("full", "asked for with --full-validation") if full else _plan(previous, sources, fingerprint)
    if plan.mode != "full":
        try:
            report = _validate_change(loaded, root, data_dir, previous, sources, plan)
        except _Fallback as exc:
            plan = replace(plan, mode="full", reason=str(exc))
    if plan.mode == "full":
        report = check(loaded, root)
    plan.seconds = time.perf_counter() - started
    return report, plan


class _Fallback(Exception):
    """The incremental validation cannot be exact here; the message says why."""


def _plan(previous: dict | None, sources: dict[str, dict], fingerprint: dict) -> Validation:
    if not previous or previous.get("format") != MANIFEST_FORMAT or not isinstance(previous.get("sources"), dict):
        return Validation("full", "no record of a previous build to compare with")
    if previous.get("fingerprint") != fingerprint:
        before = previous.get("fingerprint") or {}
        what = sorted(k for k in before.keys() | fingerprint.keys() if before.get(k) != fingerprint.get(k))
        return Validation("full", f"changed since the previous build: {', '.join(what)}")
    old = previous["sources"]
    changed = sorted(k for k in old.keys() | sources.keys() if (old.get(k) or {}).get("sha256") != (sources.get(k) or {}).get("sha256"))
    plan = Validation("incremental", changed=changed)
    if not changed:
        plan.mode = "unchanged"
        return plan
    ontology = [k for k in changed if "ontology" in ((old.get(k) or {}).get("kind"), (sources.get(k) or {}).get("kind"))]
    if ontology:
        plan.mode, plan.reason = "full", f"the ontology changed ({', '.join(ontology[:3])}{', ...' if len(ontology) > 3 else ''})"
        return plan
    total_files = max(len(sources), len(old), 1)
    if len(changed) > INCREMENTAL_MAX_SHARE * total_files:
        plan.mode, plan.reason = "full", f"{len(changed)} of {total_files} files changed"
        return plan
    total = max(sum(v["triples"] for v in sources.values()), 1)
    moved = sum((old.get(k) or {}).get("triples", 0) + (sources.get(k) or {}).get("triples", 0) for k in changed)
    if moved > INCREMENTAL_MAX_SHARE * 2 * total:
        plan.mode, plan.reason = "full", f"the changed files hold {moved / 2 / total:.0%} of the triples"
    return plan


def _validate_change(loaded: Loaded, root: Path, data_dir: Path, previous: dict, new: dict[str, dict],
                     plan: Validation) -> Report:
    """The previous build's results, updated for the changed files (raises _Fallback if it cannot be exact)."""
    files_by_subject = loaded.files_by_subject()
    recorded = previous.get("results")
    if not isinstance(recorded, list):
        raise _Fallback("the previous build recorded no validation results")
    try:
        kept = [Result(r["severity"], r["focus"], r["path"], r["message"], r["value"], files_by_subject.get(r["focus"]))
                for r in recorded]
    except (KeyError, TypeError):
        raise _Fallback("the previous build's record is unreadable") from None
    if any(not _is_iri(r.focus) for r in kept):
        raise _Fallback("the previous results include blank-node resources, which cannot be matched across builds")
    if plan.mode == "unchanged":
        return Report(order_results(kept))
    old = previous["sources"]
    graphs: set[str] = set()
    for k in plan.changed:
        graphs |= set((old.get(k) or {}).get("graphs", ())) | set((new.get(k) or {}).get("graphs", ()))
    if "_:" in graphs:
        raise _Fallback("a changed file has a blank-node named graph")
    changes: dict[str, list[ox.Quad]] = {g: [] for g in graphs}
    for s in loaded.sources:
        if graphs.intersection(new[_key(s.path, root)]["graphs"]):
            for q in loaded.quads[s]:
                if q.graph_name.value in changes:
                    changes[q.graph_name.value].append(q)
    tbox = [q for s in loaded.sources if new[_key(s.path, root)]["kind"] == "ontology" for q in loaded.quads[s]]
    tbox += [q for s in loaded.sources if new[_key(s.path, root)]["kind"] != "ontology"
             for q in loaded.quads[s] if q.predicate.value in _TBOX]  # class hierarchy stated in data files
    try:
        store = ox.Store.read_only(str(current_path(data_dir)))
    except Exception as exc:  # the record is there but the store cannot be opened
        raise _Fallback(f"the previous store cannot be read ({exc})") from None
    try:
        validator = IncrementalValidator(shapes_graph(root), to_rdflib(tbox))
        touched, focus, delta = validator.validate_change(store, changes, files_by_subject)
    except IncrementalUnsupported as exc:
        raise _Fallback(f"incremental validation does not apply: {exc}") from None
    finally:
        del store
    if any(not isinstance(n, ox.NamedNode) for n in focus):
        raise _Fallback("the change affects blank-node resources")
    touched_iris = {n.value for n in touched if isinstance(n, ox.NamedNode)}
    plan.focus = len(focus)
    return Report(order_results([r for r in kept if r.focus not in touched_iris] + delta.results))


def _is_iri(text: str) -> bool:
    return ":" in text  # rdflib prints a blank node as its bare identifier


def _result_record(r: Result) -> dict:
    return {"severity": r.severity, "focus": r.focus, "path": r.path, "message": r.message, "value": r.value}


def _key(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _kind(path: Path, root: Path) -> str:
    return path.relative_to(root).parts[0] if path.is_relative_to(root) else "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
