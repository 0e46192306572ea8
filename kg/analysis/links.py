"""Law links for the legislation task force: a networkx graph of laws, articles and their relations
(ELI relations, provision mappings to the Generic Law, shared provision effects), the coverage matrix
country x Generic Law article, articles without counterpart, amendment chains, most cited provisions,
GraphML/GEXF export, and mapping suggestions that only enter the graph through an explicit review.

Suggestions are never written as RDF: `suggest` writes a review CSV; `accept` turns the rows a
reviewer marked accept=yes into assessed nsp:ProvisionMapping nodes in a Turtle file under data/laws/
(validated with the rest of the graph first, all or nothing). They reach the store on the next build."""
from __future__ import annotations

import csv
import os
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox

from . import local_name, select, short
from .. import BASE, NSP, VOCAB, project_root

GLOS = BASE + "eli/int/model-law/glos/2016"
ELI = "http://data.europa.eu/eli/ontology#"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
MATCH = VOCAB + "match-degree/"
DEGREES = ("equivalent", "partial", "broader", "narrower")
MAPPED, PARTLY, MISSING = "mapped", "partly mapped", "missing"
RELATIONS = ("is_part_of", "cites", "amends", "applies", "transposes", "based_on", "repeals")
CITING_RELATIONS = ("cites", "amends", "applies", "transposes", "based_on", "repeals")
REVIEWED_FILE = "data/laws/int-glos-mappings-reviewed.ttl"
CSV_COLUMNS = ["rank", "score", "source", "source_jurisdiction", "source_law", "source_number", "source_title",
               "target", "target_number", "target_title", "match_degree", "reason", "accept", "reviewer", "note"]
YES = {"yes", "y", "true", "1", "x", "accept", "accepted"}
NO = {"", "no", "n", "false", "0", "reject", "rejected"}
STOPWORDS = {"with", "from", "that", "this", "other", "their", "under", "into", "upon", "such", "these", "those",
             "where", "which", "shall", "about", "general", "provisions", "provision", "article", "section",
             "statistics", "statistical", "official", "office", "law", "laws", "act", "acts", "national", "part"}


# ---------------------------------------------------------------------------------------------
# Reading the graph
# ---------------------------------------------------------------------------------------------

@dataclass
class LawLinks:
    graph: nx.MultiDiGraph
    resources: dict[str, dict[str, Any]]
    mappings: list[dict[str, Any]]
    effects: dict[str, set[tuple[str, str]]]  # article -> {(modality, topic)}
    relations: list[dict[str, Any]]
    case_citations: dict[str, int]
    model: str = GLOS
    queries: list[str] = field(default_factory=list)

    def model_articles(self) -> list[str]:
        arts = [r for r, d in self.resources.items() if d["law"] == self.model and d["kind"] == "article"]
        return sorted(arts, key=lambda a: _number_key(self.resources[a]["number"]))

    def national_articles(self) -> list[str]:
        return sorted(r for r, d in self.resources.items() if d["kind"] == "article" and _is_country(d["jurisdiction"]))

    def jurisdictions(self) -> list[str]:
        return sorted({d["jurisdiction"] for d in self.resources.values() if _is_country(d["jurisdiction"])})


def _is_country(iri: str | None) -> bool:
    return bool(iri) and iri.startswith(COUNTRY)


def _number_key(number: str | None) -> tuple:
    parts = re.findall(r"\d+|\D+", number or "")
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def iso3(iri: str | None) -> str:
    return (iri or "").removeprefix(COUNTRY) if _is_country(iri) else local_name(iri) or "?"


def read(store: ox.Store, root: Path | None = None, model: str = GLOS) -> LawLinks:
    """Run the links-*.rq queries and build the graph."""
    names = ["links-legal-resources", "links-law-relations", "links-provision-mappings",
             "links-provision-effects", "links-case-citations"]
    rows = {n: select(store, n, root=root)[1] for n in names}
    seen, relations = set(), []
    for r in rows["links-law-relations"]:  # a triple asserted and also inferred comes once
        if (key := (r["source"], r["relation"], r["target"])) not in seen:
            seen.add(key)
            relations.append(r)
    resources = {}
    for r in rows["links-legal-resources"]:
        resources.setdefault(r["resource"], r)
    effects: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in rows["links-provision-effects"]:
        effects[r["article"]].add((r["modality"], r["topic"]))
    links = LawLinks(nx.MultiDiGraph(), resources, rows["links-provision-mappings"], dict(effects),
                     relations, {r["provision"]: r["cases"] for r in rows["links-case-citations"]},
                     model, names)
    _build_graph(links)
    return links


def _node_attrs(d: dict[str, Any]) -> dict[str, str]:
    label = d["title"] or d["lawTitle"] or local_name(d["resource"])
    if d["kind"] == "article":
        label = f"{iso3(d['jurisdiction'])} {d['lawTitle'] or ''} {d['number'] or ''}".strip()
    return {"label": label, "kind": d["kind"], "jurisdiction": iso3(d["jurisdiction"]),
            "law": d["law"], "number": d["number"] or "", "title": d["title"] or "", "date": d["date"] or ""}


def _build_graph(links: LawLinks) -> None:
    g = links.graph
    for iri, d in links.resources.items():
        g.add_node(iri, **_node_attrs(d))
    for r in links.relations:
        rel = local_name(r["relation"])
        g.add_edge(r["source"], r["target"], key=rel, relation=rel, degree="", reason="")
    for m in links.mappings:
        g.add_edge(m["source"], m["target"], key="mapping", relation="mapping", degree=local_name(m["degree"]),
                   reason=m["description"] or "")
    # Shared provision effects: articles whose effects have the same modality and topic.
    by_effect: dict[tuple[str, str], list[str]] = defaultdict(list)
    for article, pairs in links.effects.items():
        for pair in pairs:
            if article in links.resources:
                by_effect[pair].append(article)
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (modality, topic), articles in by_effect.items():
        articles = sorted(set(articles))
        for i, a in enumerate(articles):
            for b in articles[i + 1:]:
                shared[(a, b)].append(f"{local_name(modality)} x {local_name(topic)}")
    for (a, b), reasons in shared.items():
        g.add_edge(a, b, key="shared_effect", relation="shared_effect", degree="", reason="; ".join(sorted(reasons)))


# ---------------------------------------------------------------------------------------------
# Analyses
# ---------------------------------------------------------------------------------------------

def status_of(degrees: set[str]) -> str:
    """mapped when some mapping is equivalent; partly mapped when only partial, broader or narrower."""
    if "equivalent" in degrees:
        return MAPPED
    return PARTLY if degrees else MISSING


def coverage(links: LawLinks) -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    """(jurisdictions, model articles, {(jurisdiction, article): status}) for every pair."""
    degrees: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in links.mappings:
        src, tgt = links.resources.get(m["source"]), links.resources.get(m["target"])
        if src and tgt and tgt["law"] == links.model and _is_country(src["jurisdiction"]):
            degrees[(src["jurisdiction"], m["target"])].add(local_name(m["degree"]))
    juris, arts = links.jurisdictions(), links.model_articles()
    return juris, arts, {(j, a): status_of(degrees.get((j, a), set())) for j in juris for a in arts}


def without_counterpart(links: LawLinks) -> tuple[list[str], list[str]]:
    """National articles mapped to no model-law article, and model-law articles no national article maps to."""
    mapped_src = {m["source"] for m in links.mappings
                  if links.resources.get(m["target"], {}).get("law") == links.model}
    mapped_tgt = {m["target"] for m in links.mappings
                  if _is_country(links.resources.get(m["source"], {}).get("jurisdiction"))}
    return ([a for a in links.national_articles() if a not in mapped_src],
            [a for a in links.model_articles() if a not in mapped_tgt])


def amendment_chains(links: LawLinks) -> list[dict[str, Any]]:
    """For each amended act: its amending acts in date order (with the articles they touch), and the
    longest chains A amends B amends C through acts that are themselves amended."""
    law_of = {r: d["law"] for r, d in links.resources.items()}
    amenders: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in links.relations:
        if local_name(r["relation"]) != "amends":
            continue
        src_law, tgt_law = law_of.get(r["source"], r["source"]), law_of.get(r["target"], r["target"])
        if src_law == tgt_law:
            continue
        touched = amenders[tgt_law][src_law]
        if r["target"] != tgt_law:
            touched.add(links.resources[r["target"]]["number"] or local_name(r["target"]))
    dag = nx.DiGraph()
    for tgt, srcs in amenders.items():
        for src in srcs:
            dag.add_edge(src, tgt)

    def date(law: str) -> str:
        d = links.resources.get(law, {})
        if d.get("date"):
            return str(d["date"])
        m = re.search(r"/(1[89]\d\d|20\d\d)/", law)
        return m.group(1) if m else "?"

    out = []
    for tgt in sorted(amenders, key=lambda t: (iso3(links.resources.get(t, {}).get("jurisdiction")), t)):
        steps = sorted(amenders[tgt].items(), key=lambda kv: (date(kv[0]), kv[0]))
        chains = []
        if nx.is_directed_acyclic_graph(dag):
            for src in nx.ancestors(dag, tgt):
                if dag.in_degree(src) == 0:
                    for path in nx.all_simple_paths(dag, src, tgt):
                        if len(path) > 2:
                            chains.append(path)
        out.append({"law": tgt, "title": _title(links, tgt), "jurisdiction": iso3(links.resources.get(tgt, {}).get("jurisdiction")),
                    "amended_by": [{"law": s, "title": _title(links, s), "date": date(s), "articles": sorted(a, key=_number_key)}
                                   for s, a in steps],
                    "chains": chains})
    return out


def _title(links: LawLinks, iri: str) -> str:
    d = links.resources.get(iri)
    if not d:
        return short(iri)
    return d["title"] or d["lawTitle"] or short(iri)


def most_cited(links: LawLinks, limit: int = 10) -> list[dict[str, Any]]:
    """Provisions (laws or articles) that other provisions cite, amend, apply, transpose, base on or
    repeal, plus cases naming them as legal basis and national provisions mapped to them."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in links.relations:
        rel = local_name(r["relation"])
        if rel in CITING_RELATIONS:
            counts[r["target"]][rel] += 1
    for m in links.mappings:
        counts[m["target"]]["mapped from"] += 1
    for provision, n in links.case_citations.items():
        counts[provision]["legal basis of cases"] += n
    ranked = sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return [{"provision": p, "label": _provision_label(links, p), "total": sum(c.values()), "by": dict(c)}
            for p, c in ranked[:limit]]


def _provision_label(links: LawLinks, iri: str) -> str:
    d = links.resources.get(iri)
    if not d:
        return short(iri)
    if d["kind"] == "article":
        return f"{iso3(d['jurisdiction'])} {d['lawTitle'] or short(d['law'])}, art./s. {d['number']}" + (f" ({d['title']})" if d["title"] else "")
    return f"{iso3(d['jurisdiction'])} {d['title'] or short(iri)}"


def export(links: LawLinks, graphml: Path | None = None, gexf: Path | None = None) -> None:
    """Write GraphML and/or GEXF (Gephi); each file is written whole or not at all."""
    for path, writer in ((graphml, nx.write_graphml), (gexf, nx.write_gexf)):
        if path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        writer(links.graph, tmp)
        tmp.replace(path)


# ---------------------------------------------------------------------------------------------
# Suggestions (never asserted) and their review
# ---------------------------------------------------------------------------------------------

@dataclass
class Suggestion:
    source: str
    target: str
    score: float
    degree: str
    reason: str


def _words(text: str | None) -> dict[str, str]:
    """Content words of a title by a crude stem (first six letters) -> the word itself."""
    out = {}
    for word in re.findall(r"[a-zA-Z\u00C0-\u024F]{4,}", text or ""):
        w = word.lower()
        if w not in STOPWORDS:
            out.setdefault(w[:6], w)
    return out


def suggest(links: LawLinks) -> list[Suggestion]:
    """Candidate mappings national article -> model-law article, ranked, with the reason.

    Score: 3 per shared (modality, topic) effect, 1 per further shared topic, 0.5 per shared title word.
    Pairs already mapped are left out. A pair needs a shared topic or a shared title word."""
    mapped = {(m["source"], m["target"]) for m in links.mappings}
    out = []
    targets = links.model_articles()
    for a in links.national_articles():
        a_eff = links.effects.get(a, set())
        a_topics = {t for _, t in a_eff}
        a_words = _words(links.resources[a]["title"])
        for g in targets:
            if (a, g) in mapped:
                continue
            g_eff = links.effects.get(g, set())
            g_topics = {t for _, t in g_eff}
            same = a_eff & g_eff
            topics = (a_topics & g_topics) - {t for _, t in same}
            words = sorted(a_words[k] for k in a_words.keys() & _words(links.resources[g]["title"]).keys())
            if not (same or topics or words):
                continue
            score = 3 * len(same) + len(topics) + 0.5 * len(words)
            reasons = []
            if same:
                reasons.append("same effect: " + ", ".join(sorted(f"{local_name(m)} on {local_name(t)}" for m, t in same)))
            if topics:
                reasons.append("same topic: " + ", ".join(sorted(local_name(t) for t in topics)))
            if words:
                reasons.append("shared title words: " + ", ".join(words))
            degree = "equivalent" if a_eff and a_eff == g_eff else "partial"
            out.append(Suggestion(a, g, score, degree, "; ".join(reasons)))
    out.sort(key=lambda s: (-s.score, s.source, s.target))
    return out


def write_suggestions(links: LawLinks, suggestions: list[Suggestion], path: Path) -> Path:
    """The review CSV: a reviewer sets accept=yes, their name in reviewer, and may correct match_degree."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS)
        writer.writeheader()
        for i, s in enumerate(suggestions, 1):
            src, tgt = links.resources[s.source], links.resources[s.target]
            writer.writerow({"rank": i, "score": f"{s.score:g}", "source": s.source,
                             "source_jurisdiction": iso3(src["jurisdiction"]), "source_law": src["lawTitle"] or "",
                             "source_number": src["number"] or "", "source_title": src["title"] or "",
                             "target": s.target, "target_number": tgt["number"] or "", "target_title": tgt["title"] or "",
                             "match_degree": s.degree, "reason": s.reason, "accept": "", "reviewer": "", "note": ""})
    tmp.replace(path)
    return path


class ReviewError(Exception):
    """The review file cannot be accepted as a whole; nothing was written."""


def _key(iri: str) -> str:
    for prefix in (BASE + "eli/", "http://data.europa.eu/eli/"):
        if iri.startswith(prefix):
            iri = ("eu-" if prefix.startswith("http://data") else "") + iri[len(prefix):]
            break
    else:
        iri = re.sub(r"^[a-z]+://(www\.)?", "", iri)
    return re.sub(r"-+", "-", re.sub(r"[^A-Za-z0-9_]+", "-", iri)).strip("-").lower()


def mapping_iri(source: str, target: str) -> str:
    return f"{BASE}id/mapping/{_key(source)}--{_key(target)}"


def person_iri(name: str) -> str:
    return f"{BASE}id/person/{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-') or 'reviewer'}"


def accept(csv_path: Path, store: ox.Store, root: Path | None = None, out: Path | None = None,
           now: datetime | None = None) -> tuple[Path, list[str]]:
    """Turn the rows marked accepted into nsp:ProvisionMapping nodes appended to a Turtle file under
    data/laws/ (default int-glos-mappings-reviewed.ttl). Every accepted row is checked, then the file
    is validated with the whole graph; any problem raises ReviewError and nothing is written.
    Returns the file and the IRIs of the new mappings."""
    from ..pipeline import check, load
    from ..sources import SourceFile, discover, graph_iri
    from ..validation import format_report

    root = root or project_root()
    out = out or root / REVIEWED_FILE
    try:
        out.resolve().relative_to((root / "data" / "laws").resolve())
    except ValueError:
        raise ReviewError(f"{out}: accepted mappings go to a file under data/laws/") from None
    if out.suffix != ".ttl":
        raise ReviewError(f"{out}: the output must be a .ttl file")
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"source", "target", "match_degree", "accept", "reviewer"} - set(reader.fieldnames or [])
        if missing:
            raise ReviewError(f"{csv_path}: missing column(s) {', '.join(sorted(missing))}")
        rows = list(reader)

    def known(iri: str) -> bool:
        try:
            return bool(store.query(f"ASK {{ <{iri}> a <{ELI}LegalResource> }}", use_default_graph_as_union=True))
        except (SyntaxError, ValueError):
            return False

    def exists(iri: str) -> bool:
        return bool(store.query(f"ASK {{ <{iri}> ?p ?o }}", use_default_graph_as_union=True))

    errors, accepted, seen = [], [], set()
    existing_text = out.read_text(encoding="utf-8") if out.exists() else ""
    for line, row in enumerate(rows, 2):
        decision = (row.get("accept") or "").strip().lower()
        if decision in NO:
            continue
        if decision not in YES:
            errors.append(f"line {line}: accept={row['accept']!r} is neither yes nor no")
            continue
        src, tgt = (row.get("source") or "").strip(), (row.get("target") or "").strip()
        reviewer = (row.get("reviewer") or "").strip()
        degree = (row.get("match_degree") or "").strip().lower()
        if not reviewer:
            errors.append(f"line {line}: accepted without a reviewer name")
        if degree not in DEGREES:
            errors.append(f"line {line}: match_degree {degree!r} is not one of {', '.join(DEGREES)}")
        for role, iri in (("source", src), ("target", tgt)):
            if not known(iri):
                errors.append(f"line {line}: {role} {iri!r} is not a law or article in the graph")
        iri = mapping_iri(src, tgt)
        if iri in seen:
            errors.append(f"line {line}: the same pair is accepted twice")
        elif exists(iri) or f"<{iri}>" in existing_text:
            errors.append(f"line {line}: a mapping {short(iri)} already exists")
        seen.add(iri)
        accepted.append((iri, src, tgt, degree, reviewer, (row.get("reason") or "").strip(), (row.get("note") or "").strip()))
    if errors:
        raise ReviewError("nothing was written:\n  " + "\n  ".join(errors))
    if not accepted:
        raise ReviewError(f"{csv_path}: no row is marked accept=yes; nothing was written")

    stamp = (now or datetime.now(timezone.utc)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    block = _turtle(accepted, stamp, csv_path.name)
    text = (existing_text.rstrip() + "\n\n" if existing_text else _HEADER) + block
    # Validate the candidate file together with the rest of the graph before writing it.
    with tempfile.TemporaryDirectory() as tmpdir:
        candidate = Path(tmpdir) / out.name
        candidate.write_text(text, encoding="utf-8")
        sources = [s for s in discover(root) if s.path.resolve() != out.resolve()]
        sources.append(SourceFile(candidate, graph_iri(out, root)))
        try:
            report = check(load(sources), root)
        except Exception as exc:  # a parse error in the generated file
            raise ReviewError(f"the generated Turtle does not load: {exc}; nothing was written") from None
        if not report.conforms:
            raise ReviewError("the accepted mappings do not validate; nothing was written:\n"
                              + format_report(report, root, show_warnings=False))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out, [a[0] for a in accepted]


_HEADER = """# Provision mappings accepted by a reviewer from `kg links suggest` (written by `kg links accept`).
# Each mapping is an assessment: who accepted it, when, and the reason the suggestion gave.

"""


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ") + '"'


def _turtle(accepted: list[tuple], stamp: str, csv_name: str) -> str:
    lines = [
        f"@prefix nsp:  <{NSP}> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix dct:  <http://purl.org/dc/terms/> .",
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .",
        "",
        f"# Accepted {stamp} from {csv_name}",
    ]
    people = {}
    for iri, src, tgt, degree, reviewer, reason, note in accepted:
        person = person_iri(reviewer)
        people[person] = reviewer
        why = f"Suggested by kg links suggest ({reason or 'no reason given'}) and accepted by {reviewer}."
        if note:
            why += f" Reviewer's note: {note}"
        lines += [
            f"<{iri}> a nsp:ProvisionMapping ;",
            f"    nsp:sourceProvision <{src}> ;",
            f"    nsp:targetProvision <{tgt}> ;",
            f"    nsp:matchDegree <{MATCH}{degree}> ;",
            f"    prov:wasAttributedTo <{person}> ;",
            f'    prov:generatedAtTime "{stamp}"^^xsd:dateTime ;',
            f"    dct:description {_lit(why)}@en .",
            "",
        ]
    for person, name in sorted(people.items()):
        lines += [f"<{person}> a foaf:Person , prov:Agent ;", f"    rdfs:label {_lit(name)} .", ""]
    return "\n".join(lines)
