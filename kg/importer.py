"""Import: partnership cases from a CSV (or .xlsx) -> one Turtle file per case under data/cases/,
validated with the rest of the graph first, written all or nothing.

The importer writes only what a row states. Roles, data flows with their provider, recipient and
data-source types, whether the data are privately held, difficulty and lesson categories and agreements
come from explicit cells whose values are checked against the vocabularies under data/vocab/ (an
unknown value is an error naming the row and column), or are left out. Nothing is derived from
keywords: `kg import FILE --suggest` (kg/suggest.py) prints keyword proposals for a curator and writes
nothing. docs/importing.md describes every column and its allowed values.

Two headers are read:

- `COLUMNS`, what `kg export --format csv` writes (the round trip is lossless): list cells split on
  ';' outside brackets; a participant is `Name [role, role] (note)` (roles only from the brackets; in
  the organisations column a statistical office without brackets is the lead office, `lead-nso`);
  the flow columns hold one part per data flow, separated by ' || '; difficulties, lessons and
  agreements hold items separated by ' | ', a finding as `category: text` or `text`, an agreement as
  `type (year) [party; party]: text`; legal_basis is `note [law] [law]`.
- `DOSSIER_COLUMNS`, the cases dossier's free text: the same cells without the flow and agreement
  columns. `exchanged` and `legal_basis` describe one data flow with no provider, recipient,
  data-source type or privacy statement; difficulties and lessons are split into items on ';' and
  sentence ends, with no category; laws named in the legal-basis text are linked.
"""
from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import zipfile
import difflib
import hashlib
import os
import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox
import rdflib
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS as DCT, FOAF, PROV, SKOS

from . import BASE, NSP as NSP_IRI, VOCAB, project_root
from .csvsafe import restore
from .sources import SourceFile, discover, graph_iri, parse

DOSSIER_COLUMNS = ["id", "title", "organisations", "countries", "partners", "partner_sectors", "type",
                   "secondary_type", "exchanged", "start_year", "end_year", "status", "outcome",
                   "difficulties", "lessons", "legal_basis", "sources", "confidence"]
# The explicit form (what `kg export --format csv` writes): the dossier's columns plus the data flows'
# parties, data-source types and privacy, and the agreements.
COLUMNS = ["id", "title", "organisations", "countries", "partners", "partner_sectors", "new_organisations", "type",
           "secondary_type", "exchanged", "data_providers", "data_recipients", "data_source_types",
           "privately_held", "start_year", "end_year", "status", "outcome", "difficulties", "lessons",
           "legal_basis", "agreements", "sources", "confidence"]
# `new_organisations` (organisations not yet in the graph, declared with their kind and country) is
# optional in a header: the explicit header without it (written before 2026-12) and the dossier's
# header, with or without it, are read too.
NEW_ORGS = "new_organisations"
# One part per data flow, separated by FLOW_SEP; items within a part (and within difficulties and
# lessons) separated by ITEM_SEP.
FLOW_COLUMNS = ["exchanged", "data_providers", "data_recipients", "data_source_types", "privately_held",
                "legal_basis", "agreements"]
FLOW_SEP = " || "
ITEM_SEP = " | "
ITEM_SPLIT = re.compile(r"(?:^|(?<=\s))\|(?=\s|$)")  # a bar with white space (or the cell's end) on each side
YES_NO = {"yes": True, "no": False}

NSP = rdflib.Namespace(NSP_IRI)
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
ELI = rdflib.Namespace("http://data.europa.eu/eli/ontology#")
ID = BASE + "id/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
COUNTRY_RE = re.compile(r"^http://publications\.europa\.eu/resource/authority/country/[A-Z]{3}$")
AREA = ID + "area/"  # the project's areas: one with parts stands for its countries, one without (INT) for itself
AREA_RE = re.compile(r"^" + re.escape(AREA) + r"[A-Z]+$")


def v(scheme: str, concept: str) -> URIRef:
    return URIRef(f"{VOCAB}{scheme}/{concept}")


PARTNERSHIP_TYPES = ["policy-makers", "supplier-recipient", "open-innovation", "co-creation", "data-and-service-providers"]
STATUSES = ["ongoing", "completed", "pilot", "stopped", "failed", "unknown"]
OUTCOMES = ["successful", "unsuccessful", "mixed", "unknown"]
CONFIDENCE = ["text-read", "secondary", "recalled"]
# The retired level `seen` (dossier and CSVs written before 2026-12-03) reads as `secondary`: a case
# was described by a source that was read, never by a provision quoted (docs/evidence.md).
LEGACY_CONFIDENCE = {"seen": "secondary"}
# Organisations that meet a case's office requirement (and take the lead role): statistical offices,
# national or international, and other producers of official statistics (e.g. a central bank).
STATISTICAL_CLASSES = {NSP_IRI + "NationalStatisticalOffice", NSP_IRI + "InternationalStatisticalOrganization",
                       NSP_IRI + "StatisticsProducer"}
ORG_CLASSES = STATISTICAL_CLASSES | {NSP_IRI + "WorkingGroup"} | {
    "http://www.w3.org/ns/org#" + c for c in ("Organization", "FormalOrganization", "OrganizationalUnit", "OrganizationalCollaboration")}
ORGANISER_ROLES = {"lead-nso", "coordinator"}  # roles that mark the organisations column


# The kinds a new organisation is declared with in new_organisations: the ontology's classes of
# statistical organisations, or (for any other organisation) a partner sector, data/vocab/partner-sector.ttl.
KINDS = {"statistical-office": NSP_IRI + "NationalStatisticalOffice",
         "statistics-producer": NSP_IRI + "StatisticsProducer",
         "international-statistical-organisation": NSP_IRI + "InternationalStatisticalOrganization"}
KINDS_WITH_COUNTRY = {"statistical-office", "statistics-producer"}
KIND_ALIASES = {"national-statistical-office": "statistical-office", "nso": "statistical-office",
                "producer-of-official-statistics": "statistics-producer",
                "other-producer-of-official-statistics": "statistics-producer",
                "international-statistical-organization": "international-statistical-organisation"}


def _kind_name(cls: str) -> str:
    return {v_: k for k, v_ in KINDS.items()}.get(cls, cls).replace("-", " ")


def org_iri(name: str, country: str | None) -> str:
    """<id/org/{ISO3}-{NAME}> (INT without a country): the name upper-cased, accents removed."""
    iso = country.rsplit("/", 1)[-1] if country else "INT"
    folded = "".join(ch for ch in unicodedata.normalize("NFD", name) if not unicodedata.combining(ch))
    slug = re.sub(r"[^A-Z0-9]+", "-", folded.upper()).strip("-")[:40].strip("-") or "ORG"
    return f"{ID}org/{iso}-{slug}"


QUALIFIER = re.compile(r"^(?:e\.g\.|incl\.|later|earlier|funders?|donors?|data from)\s+")


class ImportError_(Exception):
    """The input cannot be read at all (missing file, wrong header)."""


@dataclass(frozen=True)
class Problem:
    row: int  # 1-based data row (the header is row 0)
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class CaseResult:
    row: int
    case_id: str
    graph: rdflib.Graph
    nodes: dict[str, str] = field(default_factory=dict)  # node IRI -> column that produced it
    notes: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # stored, but said aloud (e.g. no statistical office)


@dataclass
class ImportResult:
    cases: list[CaseResult]
    problems: list[Problem]
    new_organisations: rdflib.Graph
    warnings: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def row_warnings(self) -> list[Problem]:
        return [w for c in self.cases for w in c.warnings]


# --------------------------------------------------------------------------------------------
# Cell parsing
# --------------------------------------------------------------------------------------------

def split_top(text: str, sep: str = ";") -> list[str]:
    """Split on `sep` outside parentheses and brackets; items stripped, empty ones dropped."""
    out, depth, cur = [], 0, []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if depth == 0 and text.startswith(sep, i):
            out.append("".join(cur))
            cur = []
            i += len(sep)
            continue
        cur.append(ch)
        i += 1
    out.append("".join(cur))
    return [s.strip() for s in out if s.strip()]


def trailing_group(text: str, open_: str = "(", close: str = ")") -> tuple[str, str | None]:
    """`Name (note)` -> ('Name', 'note') when the text ends with a balanced group; else (text, None)."""
    text = text.strip()
    if not text.endswith(close):
        return text, None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == close:
            depth += 1
        elif text[i] == open_:
            depth -= 1
            if depth == 0:
                head = text[:i].rstrip()
                return (head, text[i + 1:-1].strip()) if head else (text, None)
    return text, None


def whole_group(text: str) -> str | None:
    """'(x)' -> 'x' when the whole text is one balanced group, else None."""
    if not (text.startswith("(") and text.endswith(")")):
        return None
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return None
    return text[1:-1].strip()


def split_items(text: str) -> list[str]:
    """Free text -> items: ';' outside parentheses, then sentence ends ('. ' before a capital)."""
    items = []
    for part in split_top(text, ";"):
        depth, start = 0, 0
        for i, ch in enumerate(part):
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth = max(0, depth - 1)
            elif ch == "." and depth == 0 and part[i + 1:i + 2] == " " and part[i + 2:i + 3].isupper():
                word = re.split(r"[\s(]", part[start:i])[-1]
                if word.lower() in ("e.g", "i.e", "u.s", "no", "st", "dr", "mr", "vs", "etc", "s") or len(word) == 1:
                    continue
                items.append(part[start:i + 1].strip())
                start = i + 2
        items.append(part[start:].strip())
    return [i for i in items if i]


SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")  # the shape of a concept's local name


def split_head(item: str) -> tuple[str | None, str]:
    """`head: rest` at the first ': ' outside brackets -> ('head', 'rest'); no such colon -> (None, item)."""
    depth = 0
    for i, ch in enumerate(item):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0 and item.startswith(": ", i):
            return item[:i].strip(), item[i + 2:].strip()
    return None, item


def category_list(head: str | None) -> list[str] | None:
    """`slug` or `slug, slug` -> the slugs; None when the head is not written like categories."""
    if head is None:
        return None
    slugs = [x.strip() for x in head.split(",")]
    return slugs if all(SLUG.fullmatch(x) for x in slugs) else None


def finding_head(text: str) -> bool:
    """Whether `text`, written alone, would read as `category: text` (so the export must write `: text`)."""
    head, _ = split_head(text)
    return head == "" or category_list(head) is not None


def allowed(scheme: str, known: Iterable[str]) -> str:
    return f"is not a {scheme} (allowed: {', '.join(sorted(known))})"


def is_unknown(text: str) -> bool:
    return text.strip().lower() in ("", "unknown", "none", "n/a")


def source_iri(url: str) -> URIRef:
    return URIRef(ID + "source/" + hashlib.sha1(url.encode("utf-8")).hexdigest()[:12])


def name_key(label: str) -> str:
    """The form in which names of countries and organisations are compared (docs/importing.md, "How
    names are matched"): NFKC, case folded, accents removed (the combining marks of the canonical
    decomposition, so 'Turkiye' matches 'Türkiye'), white space collapsed. Nothing fuzzier."""
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", label).casefold())
    text = unicodedata.normalize("NFC", "".join(ch for ch in text if not unicodedata.combining(ch)))
    return re.sub(r"\s+", " ", text).strip()


def norm(label: str) -> str:
    """A label's matching form (`name_key`); kept under this name for kg.export and kg.suggest."""
    return name_key(label)


def either(items: list[str]) -> str:
    """['a'] -> 'a'; ['a', 'b', 'c'] -> 'a, b or c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def hint(candidates: list[str]) -> str:
    """'; did you mean 'A', 'B' or 'C'?' for up to three close names ('' for none): a hint, never applied."""
    return f"; did you mean {either([repr(c) for c in candidates])}?" if candidates else ""


def norm_number(n: str) -> str:
    return re.sub(r"[\s.]", "", n).casefold()


# --------------------------------------------------------------------------------------------
# The graph the importer resolves against
# --------------------------------------------------------------------------------------------

class Context:
    """Labels of organisations and places, laws and their articles, from the project's graph."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.orgs: dict[str, set[str]] = {}  # name key -> org IRIs (a label of two is ambiguous)
        self.org_labels: dict[str, str] = {}  # org IRI -> display label
        self.org_classes: dict[str, set[str]] = {}
        self.org_sectors: dict[str, set[str]] = {}
        self.org_spatial: dict[str, set[str]] = {}  # org IRI -> its countries (dct:spatial)
        self.place_names: dict[str, dict[str, list[str]]] = {}  # name key -> {place IRI: the countries it stands for}
        self.places: dict[str, list[str]] = {}  # name key -> countries, for the names of exactly one place
        self.place_labels: dict[str, str] = {}  # place IRI -> its preferred label
        self.place_hints: list[str] = []  # the preferred and other labels, offered as hints for an unknown name
        self.country_labels: dict[str, str] = {}  # place IRI -> a label that names it alone (what kg export writes)
        self.concepts: dict[str, set[str]] = {}  # scheme -> concept slugs
        q = lambda text: store.query(text, use_default_graph_as_union=True)  # noqa: E731
        classes = " ".join(f"<{c}>" for c in ORG_CLASSES)
        for r in q(f"""SELECT ?o ?c WHERE {{ ?o a ?c VALUES ?c {{ {classes} }} }}"""):
            self.org_classes.setdefault(r["o"].value, set()).add(r["c"].value)
        for r in q("""SELECT ?o ?l ?p WHERE { { ?o <http://www.w3.org/2004/02/skos/core#prefLabel> ?l BIND(1 AS ?p) }
                     UNION { ?o <http://www.w3.org/2004/02/skos/core#altLabel> ?l BIND(2 AS ?p) }
                     UNION { ?o <http://www.w3.org/2004/02/skos/core#hiddenLabel> ?l BIND(3 AS ?p) } }"""):
            o = r["o"].value
            if o in self.org_classes:
                self.orgs.setdefault(norm(r["l"].value), set()).add(o)
                if r["p"].value == "1" and (r["l"].language in ("en", None) or o not in self.org_labels):
                    if o not in self.org_labels or r["l"].language == "en":
                        self.org_labels[o] = r["l"].value
        for r in q("""SELECT ?o ?s WHERE { ?o <http://www.w3.org/ns/org#classification> ?s }"""):
            self.org_sectors.setdefault(r["o"].value, set()).add(r["s"].value.rsplit("/", 1)[-1])
        for r in q("""SELECT ?o ?s WHERE { ?o <http://purl.org/dc/terms/spatial> ?s }"""):
            if r["o"].value in self.org_classes:
                self.org_spatial.setdefault(r["o"].value, set()).add(r["s"].value)
        self._places(q)
        for r in q("""SELECT ?c ?s WHERE { ?c <http://www.w3.org/2004/02/skos/core#inScheme> ?s }"""):
            self.concepts.setdefault(r["s"].value.rsplit("/", 1)[-1], set()).add(r["c"].value.rsplit("/", 1)[-1])
        self.laws = self._laws(q)

    def _places(self, q) -> None:
        """Countries and areas by every name: prefLabel, altLabel, hiddenLabel and notation. A country
        stands for itself, an area with parts for its countries, an area without parts (id/area/INT,
        'international') for itself."""
        parts: dict[str, list[str]] = {}
        for r in q("""SELECT ?c ?a WHERE { ?c a <http://purl.org/dc/terms/Location> ; <http://purl.org/dc/terms/isPartOf> ?a }"""):
            parts.setdefault(r["a"].value, []).append(r["c"].value)
        places: dict[str, list[str]] = {}
        names: dict[str, list[tuple[int, int, str]]] = {}  # place -> (kind, language rank, label)
        label_kinds = """{ ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l BIND(1 AS ?p) } UNION
                         { ?c <http://www.w3.org/2004/02/skos/core#altLabel> ?l BIND(2 AS ?p) } UNION
                         { ?c <http://www.w3.org/2004/02/skos/core#hiddenLabel> ?l BIND(3 AS ?p) }"""
        for r in q(f"""SELECT ?c ?l ?p WHERE {{ ?c a <http://purl.org/dc/terms/Location> .
                     {{ {label_kinds} }} UNION {{ ?c <http://www.w3.org/2004/02/skos/core#notation> ?l BIND(4 AS ?p) }} }}"""):
            c = r["c"].value
            if COUNTRY_RE.match(c):
                places[c] = [c]
            elif parts.get(c) or not AREA_RE.match(c):
                places[c] = sorted(parts.get(c, []))
            else:
                continue  # an area without parts: below
            names.setdefault(c, []).append((int(r["p"].value), 0 if r["l"].language in ("en", None) else 1, r["l"].value))
        for r in q(f"""SELECT ?c ?l ?p WHERE {{ {{ {label_kinds} }} FILTER(STRSTARTS(STR(?c), "{AREA}")) }}"""):
            c = r["c"].value
            if AREA_RE.match(c) and not parts.get(c):
                places[c] = [c]
                names.setdefault(c, []).append((int(r["p"].value), 0 if r["l"].language in ("en", None) else 1, r["l"].value))
        for c, labels in names.items():
            labels.sort()
            self.place_labels[c] = labels[0][2]
            for kind, _, label in labels:
                self.place_names.setdefault(norm(label), {})[c] = places[c]
                if kind in (1, 2):
                    self.place_hints.append(label)
        self.places = {k: next(iter(v.values())) for k, v in self.place_names.items() if len(v) == 1}
        for c, labels in names.items():  # hidden labels are never written
            self.country_labels[c] = next((l for kind, _, l in labels if kind != 3 and len(self.place_names[norm(l)]) == 1), c)

    def place_label(self, place: str) -> str:
        """'Türkiye (TUR)': a place's preferred label and code, as candidates are shown."""
        return f"{self.place_labels.get(place, place)} ({place.rsplit('/', 1)[-1]})"

    def _laws(self, q) -> list[dict]:
        """Top-level laws with their names, jurisdiction and articles (number -> IRI)."""
        laws: dict[str, dict] = {}
        for r in q("""SELECT ?law ?j ?name WHERE { ?law a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <http://data.europa.eu/eli/ontology#LegalResource> ;
                        <http://data.europa.eu/eli/ontology#jurisdiction> ?j .
                      FILTER NOT EXISTS { ?law <http://data.europa.eu/eli/ontology#is_part_of> ?up }
                      OPTIONAL { ?law <http://purl.org/dc/terms/title>|<http://www.w3.org/2004/02/skos/core#altLabel>|<http://data.europa.eu/eli/ontology#id_local> ?name } }"""):
            law = laws.setdefault(r["law"].value, {"iri": r["law"].value, "jurisdiction": set(), "names": set(), "articles": {}})
            law["jurisdiction"].add(r["j"].value)
            if r["name"] is not None:
                law["names"].add(r["name"].value)
        for r in q("""SELECT ?law ?art ?n WHERE { ?art <http://data.europa.eu/eli/ontology#is_part_of>+ ?law ;
                        <http://data.europa.eu/eli/ontology#number> ?n }"""):
            if r["law"].value in laws:
                laws[r["law"].value]["articles"].setdefault(norm_number(r["n"].value), r["art"].value)
        return sorted(laws.values(), key=lambda law: law["iri"])

    def _named_orgs(self, label: str, within: frozenset[str] = frozenset()) -> set[str]:
        """The organisations with this label; when it names several and `within` (the row's countries)
        is given, only those of these countries (dct:spatial) if that leaves any."""
        found = self.orgs.get(norm(label), set())
        if len(found) > 1 and within:
            here = {o for o in found if self.org_spatial.get(o, set()) & within}
            return here or found
        return found

    def org(self, label: str, within: frozenset[str] = frozenset()) -> str | None:
        """The one organisation with this label (None if none or several), narrowed to the row's
        countries when the label is shared by organisations of different countries."""
        found = self._named_orgs(label, within)
        return next(iter(found)) if len(found) == 1 else None

    def is_statistical(self, org: str) -> bool:
        return bool(self.org_classes.get(org, set()) & STATISTICAL_CLASSES)

    def org_label(self, org: str) -> str:
        return self.org_labels.get(org, org)

    def org_shown(self, org: str) -> str:
        """'Statistics Korea (KOR-KOSTAT)': an organisation as candidates are shown."""
        return f"{self.org_label(org)} ({org.rsplit('/org/', 1)[-1]})"

    def ambiguous_org(self, name: str, within: frozenset[str] = frozenset()) -> str | None:
        """The message for a name that is a label of several organisations, also within the row's
        countries (None if it is not)."""
        found = self._named_orgs(name, within)
        if len(found) < 2:
            return None
        return f"{name!r} is ambiguous: it names {either(sorted(self.org_shown(o) for o in found))}; write a name of one of them"

    def place(self, name: str) -> tuple[list[str] | None, str | None]:
        """(the countries a place name stands for, None) or (None, why not: unknown with a hint, or ambiguous)."""
        found = self.place_names.get(norm(name), {})
        if len(found) == 1:
            return next(iter(found.values())), None
        if found:
            return None, f"{name!r} is ambiguous: it names {either(sorted(self.place_label(p) for p in found))}; write one of these names"
        return None, f"unknown country {name!r}" + hint(self.suggest(name, self.place_hints)) + " (add it to data/vocab/countries.ttl)"

    def suggest(self, name: str, labels: Iterable[str]) -> list[str]:
        """Up to three labels close to `name` (difflib, on the matching form): the best and those nearly as close."""
        pool = {norm(l): l for l in labels}
        key = norm(name)
        scored = sorted(((difflib.SequenceMatcher(None, key, k).ratio(), k) for k in
                         difflib.get_close_matches(key, list(pool), n=3, cutoff=0.6)), reverse=True)
        return [pool[k] for r, k in scored if r >= scored[0][0] - 0.1]

    def all_org_labels(self) -> list[str]:
        out = []
        for r in self.store.query("""SELECT ?o ?l WHERE { ?o <http://www.w3.org/2004/02/skos/core#prefLabel>|<http://www.w3.org/2004/02/skos/core#altLabel> ?l }""",
                                  use_default_graph_as_union=True):
            if r["o"].value in self.org_classes:
                out.append(r["l"].value)
        return out


# --------------------------------------------------------------------------------------------
# Row -> RDF
# --------------------------------------------------------------------------------------------

@dataclass
class Party:
    org: str
    note: str | None
    roles: list[str] | None  # the roles in brackets after the name; None when the item has no brackets
    raw: str = ""  # the cell item as written


class RowMapper:
    def __init__(self, ctx: Context, allow_new: bool, new_orgs: rdflib.Graph):
        self.ctx, self.allow_new, self.new_orgs = ctx, allow_new, new_orgs
        self.within: frozenset[str] = frozenset()  # the current row's countries: they narrow a shared name

    # -- organisations -----------------------------------------------------------------------
    def _org(self, name: str) -> str | None:
        return self.ctx.org(name, self.within)

    def resolve_org(self, name: str) -> list[str] | None:
        """A name -> organisation IRIs: the whole name, or ', ' / ' and ' / ' - ' parts that all resolve."""
        if self._org(name):
            return [self._org(name)]
        head, sep, _ = name.partition(" - ")
        if sep and self._org(head):
            return [self._org(head)]
        parts = [p.strip() for p in re.split(r",\s+|\s+and\s+", name) if p.strip()]
        if len(parts) > 1 and all(self._org(p) for p in parts):
            return [self._org(p) for p in parts]
        return None

    def _named(self, name: str) -> tuple[list[str] | None, str | None, str]:
        """(organisations, the bracket text or None, the name without brackets) for `Name [roles]`;
        a label that itself ends in brackets wins over reading them as roles."""
        base, bracket = trailing_group(name, "[", "]")
        if bracket is not None and not self._org(name):
            return self.resolve_org(base), bracket, base
        return self.resolve_org(name), None, name

    def parties(self, row: int, column: str, cell: str, problems: list[Problem], countries: list[str],
                sectors: list[str]) -> list[Party]:
        out: list[Party] = []
        known_roles = self.ctx.concepts.get("participation-role", set())
        for item in split_top(cell):
            orgs, note, bracket = None, None, None
            candidates = [(item, None)]
            head, group = trailing_group(item)
            if group is not None:
                candidates.append((head, group))
            for name, nt in candidates:
                found, br, base = self._named(name)
                if found:
                    orgs, note, bracket = found, nt, br
                    if " - " in base and not self._org(base):  # 'Org - unit': the unit is a note
                        unit = base.partition(" - ")[2].strip()
                        note = unit if note is None else f"{unit} ({note})"
                    break
            if orgs is None:  # a leading qualifier ('later', 'e.g.', 'funders', 'data from') goes to the note
                for name, nt in candidates:
                    m = QUALIFIER.match(name)
                    found, br, _ = self._named(name[m.end():]) if m else (None, None, "")
                    if found:
                        orgs, bracket = found, br
                        note = m.group(0).strip() if nt is None else f"{m.group(0).strip()} ({nt})"
                        break
            if orgs is None:
                name = head if group is not None else item
                base, br = trailing_group(name, "[", "]")
                many = next((m for m in (self.ctx.ambiguous_org(x, self.within) for x in (item, name, base)) if m), None)
                if many:  # a label of several organisations: never minted, never guessed
                    problems.append(Problem(row, column, many))
                    continue
                if self.allow_new:
                    orgs, note, bracket = [self.mint(base if br is not None else name, countries, sectors)], group, br
                else:
                    problems.append(Problem(row, column, f"unknown organisation {base!r}"
                                            + hint(self.ctx.suggest(base, self.ctx.all_org_labels()))
                                            + " (add it to data/organisations.ttl, declare it in new_organisations"
                                            " or use --allow-new-organisations)"))
                    continue
            roles = None if bracket is None else [r.strip() for r in bracket.split(",") if r.strip()]
            for r in roles or []:
                if r not in known_roles:
                    problems.append(Problem(row, column, f"{r!r} {allowed('participation-role', known_roles)}"))
            for org in orgs:
                if any(p.org == org for p in out):
                    problems.append(Problem(row, column, f"organisation {self.ctx.org_label(org)!r} is named twice"))
                    continue
                out.append(Party(org, note, roles, item))
        return out

    def one_org(self, row: int, column: str, name: str, problems: list[Problem], what: str) -> str | None:
        """The one organisation a data-flow or agreement cell names (an error if none or several)."""
        found = self.resolve_org(name)
        if not found and (many := self.ctx.ambiguous_org(name, self.within)):
            problems.append(Problem(row, column, many))
            return None
        if not found:
            problems.append(Problem(row, column, f"unknown organisation {name!r}" + hint(self.ctx.suggest(name, self.ctx.all_org_labels()))
                                    + " (add it to data/organisations.ttl, declare it in new_organisations, or add it to"
                                    " the organisations or partners column with --allow-new-organisations)"))
            return None
        if len(found) > 1:
            problems.append(Problem(row, column, f"{name!r} names {len(found)} organisations; {what}"))
            return None
        return found[0]

    def mint(self, name: str, countries: list[str], sectors: list[str]) -> str:
        """A new organisation (--allow-new-organisations): <id/org/{ISO3}-{NAME}> with the case's first
        country and, when the case names exactly one partner sector, that sector."""
        country = countries[0] if countries and COUNTRY_RE.match(countries[0]) and countries[0] != COUNTRY + "EUR" else None
        return self.add_org(org_iri(name, country), name, str(ORG.Organization), country, sectors[0] if len(sectors) == 1 else None)

    def add_org(self, iri: str, name: str, cls: str, country: str | None, sector: str | None) -> str:
        """Write a new organisation into new_orgs and make it known to the rest of the import. A
        statistical organisation's label has no language tag (as in data/organisations.ttl), so that a
        law file added later can give its @en label."""
        ref = URIRef(iri)
        self.new_orgs.add((ref, RDF.type, URIRef(cls)))
        self.new_orgs.add((ref, SKOS.prefLabel, Literal(name) if cls in STATISTICAL_CLASSES else Literal(name, lang="en")))
        if country:
            self.new_orgs.add((ref, DCT.spatial, URIRef(country)))
            self.ctx.org_spatial[iri] = {country}
        if sector:
            self.new_orgs.add((ref, ORG.classification, v("partner-sector", sector)))
            self.ctx.org_sectors[iri] = {sector}
        self.ctx.orgs[norm(name)] = {iri}
        self.ctx.org_labels[iri] = name
        self.ctx.org_classes[iri] = {cls}
        return iri

    def declare(self, row: int, cell: str, problems: list[Problem], res: CaseResult) -> None:
        """The new_organisations cell: items `Name [kind; country]` (country optional except for a
        statistical office or statistics producer). A name not in the graph is minted with that kind
        and country; a name already there is used as it is when its kind and country agree."""
        form = ("write each new organisation as 'Name [kind; country]', e.g. "
                "'Turkish Statistical Institute [statistical office; Türkiye]' or 'SK Telecom [private company; Republic of Korea]'")
        for item in split_top(cell):
            name, inner = trailing_group(item, "[", "]")
            parts = [x.strip() for x in inner.split(";")] if inner is not None else []
            if not name or inner is None or not parts[0] or len(parts) > 2:
                problems.append(Problem(row, NEW_ORGS, f"{item!r}: {form}"))
                continue
            kind = self.kind(parts[0])
            if kind is None:
                problems.append(Problem(row, NEW_ORGS, f"{parts[0]!r} is not a kind of organisation (allowed: {', '.join(self.kinds())})"))
                continue
            cls, sector = (KINDS[kind], None) if kind in KINDS else (str(ORG.Organization), kind)
            country = None
            if len(parts) == 2 and parts[1]:
                found, why = self.ctx.place(parts[1])
                if why:
                    problems.append(Problem(row, NEW_ORGS, why))
                    continue
                if found != [AREA + "INT"]:  # 'international': no country
                    if len(found) != 1 or not COUNTRY_RE.match(found[0]) or found[0] == COUNTRY + "EUR":
                        problems.append(Problem(row, NEW_ORGS, f"{parts[1]!r} is not one country: give the organisation's country"))
                        continue
                    country = found[0]
            if country is None and kind in KINDS_WITH_COUNTRY:
                problems.append(Problem(row, NEW_ORGS, f"{name!r}: a {kind.replace('-', ' ')} needs its country: 'Name [{parts[0]}; country]'"))
                continue
            if many := self.ctx.ambiguous_org(name):
                problems.append(Problem(row, NEW_ORGS, many))
                continue
            known = self.ctx.org(name)
            if known:
                clash = self.disagrees(known, cls, sector, country)
                if clash:
                    problems.append(Problem(row, NEW_ORGS, f"{name!r} is already in the graph as {self.ctx.org_shown(known)}, {clash}; "
                                            "correct the declaration or remove it"))
                else:
                    res.notes.append(f"{NEW_ORGS}: {name!r} is already in the graph ({self.ctx.org_shown(known)}); used as it is")
                continue
            iri = org_iri(name, country)
            if iri in self.ctx.org_classes:
                problems.append(Problem(row, NEW_ORGS, f"{name!r} would be <{_short(iri)}>, which is {self.ctx.org_label(iri)!r}; "
                                        "name that organisation as the graph does, or add the new one to data/organisations.ttl"))
                continue
            self.add_org(iri, name, cls, country, sector)

    def disagrees(self, org: str, cls: str, sector: str | None, country: str | None) -> str | None:
        """How an organisation in the graph differs from a declaration of it (None: it agrees)."""
        classes, spatial = self.ctx.org_classes.get(org, set()), self.ctx.org_spatial.get(org, set())
        if cls in STATISTICAL_CLASSES and cls not in classes:
            return f"not a {_kind_name(cls)}"
        if sector and self.ctx.is_statistical(org):
            return f"a {_kind_name(next(iter(classes & STATISTICAL_CLASSES)))}, not a {sector.replace('-', ' ')}"
        if sector and self.ctx.org_sectors.get(org) and sector not in self.ctx.org_sectors[org]:
            return f"in the sector {', '.join(sorted(self.ctx.org_sectors[org]))}, not {sector.replace('-', ' ')}"
        if country and spatial and country not in spatial:
            return f"of {', '.join(sorted(self.ctx.place_label(c) for c in spatial))}, not {self.ctx.place_label(country)}"
        return None

    def kinds(self) -> list[str]:
        return list(KINDS) + sorted(self.ctx.concepts.get("partner-sector", set()))

    def kind(self, text: str) -> str | None:
        """A kind as written ('statistical office', 'private-company') -> its slug, or None."""
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
        slug = KIND_ALIASES.get(slug, slug)
        return slug if slug in KINDS else self.sector_slug(text)

    # -- the row -----------------------------------------------------------------------------
    def map(self, row: int, rec: dict[str, str]) -> tuple[CaseResult | None, list[Problem]]:
        problems: list[Problem] = []
        cell = {k: (rec.get(k) or "").strip() for k in COLUMNS}
        cid = cell["id"]
        if not re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)+", cid):
            problems.append(Problem(row, "id", f"{cid!r} is not a case identifier (upper-case letters, digits and '-', e.g. NL-CBS-SCAN)"))
            return None, problems
        g = rdflib.Graph()
        case = URIRef(f"{ID}case/{cid}")
        res = CaseResult(row, cid, g)
        res.nodes[str(case)] = "id"
        g.add((case, RDF.type, NSP.PartnershipCase))
        g.add((case, NSP.caseId, Literal(cid)))
        if cell["title"]:
            g.add((case, DCT.title, Literal(cell["title"], lang="en")))
        else:
            problems.append(Problem(row, "title", "a case needs a title"))

        # countries
        countries: list[str] = []
        for item in split_top(cell["countries"]):
            if item.lower().startswith("and "):
                res.notes.append(f"countries: remark {item!r} is not stored")
                continue
            name, _ = trailing_group(item)
            found, why = self.ctx.place(item)
            if found is None and name != item:  # 'Netherlands (pilot)': the name before the remark
                found, why = self.ctx.place(name)
            if found is None:
                problems.append(Problem(row, "countries", why))
                continue
            countries += [c for c in found if c not in countries]
        if not countries and not any(p.column == "countries" for p in problems):
            problems.append(Problem(row, "countries", f"no country: {cell['countries']!r} names no country in data/vocab/countries.ttl, and a case needs at least one"))
        for c in countries:
            g.add((case, DCT.spatial, URIRef(c)))
        self.within = frozenset(countries)

        # types, years, status, outcome, confidence
        for col, prop in (("type", NSP.partnershipType), ("secondary_type", NSP.secondaryPartnershipType)):
            val = cell[col]
            if is_unknown(val) and col == "secondary_type":
                continue
            if val not in PARTNERSHIP_TYPES:
                problems.append(Problem(row, col, f"{val!r} is not a partnership type (one of {', '.join(PARTNERSHIP_TYPES)})"))
            else:
                g.add((case, prop, v("partnership-type", val)))
        for col, prop in (("start_year", NSP.startYear), ("end_year", NSP.endYear)):
            val = cell[col]
            if is_unknown(val):
                continue
            if not re.fullmatch(r"\d{4}", val):
                problems.append(Problem(row, col, f"{val!r} is not a year (four digits, or empty/unknown)"))
            else:
                g.add((case, prop, Literal(int(val), datatype=XSD.integer)))
        if cell["status"] not in STATUSES:
            problems.append(Problem(row, "status", f"{cell['status']!r} is not a status (one of {', '.join(STATUSES)})"))
        else:
            g.add((case, NSP.status, v("case-status", cell["status"])))
        if cell["outcome"]:
            m = re.match(r"^(successful|unsuccessful|mixed|unknown)\b\s*(.*)$", cell["outcome"], re.S)
            first = re.split(r"[\s:(]", cell["outcome"], maxsplit=1)[0]
            close = difflib.get_close_matches(first.lower(), OUTCOMES, n=1, cutoff=0.75)
            if not m and close:
                problems.append(Problem(row, "outcome", f"{first!r} is not an outcome; did you mean {close[0]!r}? (one of {', '.join(OUTCOMES)})"))
            elif not m:  # a judgement outside the scheme ('promising: ...'): kept as the reason, no outcome
                res.notes.append(f"outcome: {first!r} is not in the outcome scheme; the cell is kept as the reason only")
                g.add((case, NSP.outcomeReason, Literal(cell["outcome"], lang="en")))
            else:
                g.add((case, NSP.outcome, v("outcome", m.group(1))))
                reason = m.group(2).strip()
                if reason.startswith(":"):
                    reason = reason[1:].strip()
                elif whole_group(reason) is not None:
                    reason = whole_group(reason)
                if reason:
                    g.add((case, NSP.outcomeReason, Literal(reason, lang="en")))
        level = LEGACY_CONFIDENCE.get(cell["confidence"], cell["confidence"])
        if level not in CONFIDENCE:
            problems.append(Problem(row, "confidence", f"{cell['confidence']!r} is not an evidence level ({', '.join(CONFIDENCE)})"))
        else:
            g.add((case, NSP.confidence, v("confidence", level)))

        # sources
        urls = [u.strip() for u in cell["sources"].split(" | ") if u.strip()]
        if not urls:
            problems.append(Problem(row, "sources", "a case needs at least one source URL"))
        for url in urls:
            if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", url):
                problems.append(Problem(row, "sources", f"{url!r} is not a URL"))
                continue
            src = source_iri(url)
            res.nodes[str(src)] = "sources"
            g.add((case, DCT.source, src))
            g.add((src, RDF.type, NSP.SourceDocument))
            g.add((src, FOAF.page, URIRef(url)))

        # participants
        sectors = []
        for s in split_top(cell["partner_sectors"]):
            slug = self.sector_slug(s)
            if slug is None:
                problems.append(Problem(row, "partner_sectors", f"unknown sector {s!r} (one of {', '.join(sorted(self.ctx.concepts.get('partner-sector', [])))})"))
            else:
                sectors.append(slug)
        self.declare(row, cell[NEW_ORGS], problems, res)
        organisers = self.parties(row, "organisations", cell["organisations"], problems, countries, sectors)
        partners = self.parties(row, "partners", cell["partners"], problems, countries, sectors)
        if not organisers and not any(p.column == "organisations" for p in problems):
            problems.append(Problem(row, "organisations", "names no organisation"))
        if not partners and not any(p.column == "partners" for p in problems):
            problems.append(Problem(row, "partners", "names no partner"))
        clash = {p.org for p in organisers} & {p.org for p in partners}
        for org in sorted(clash):
            problems.append(Problem(row, "partners", f"{self.ctx.org_label(org)!r} is also in the organisations column"))
        if problems:
            return None, problems

        if not any(self.ctx.is_statistical(p.org) for p in organisers + partners):
            # the sources name no statistical office or producer of official statistics: the case is
            # kept and flagged (from the organisations' classes, so the CSV round trip gives it back)
            g.add((case, NSP.withoutStatisticalOffice, Literal(True)))
            names = ", ".join(repr(self.ctx.org_label(p.org)) for p in organisers)
            res.warnings.append(Problem(row, "organisations", f"no statistical office or producer of official statistics among {names}"
                                        " or the partners; recorded as a case without statistical office"))

        # roles: only from brackets; a statistical office in the organisations column without brackets
        # is the lead office (what that column means), anyone else without brackets has no role
        for p in organisers:
            roles = p.roles if p.roles is not None else (["lead-nso"] if self.ctx.is_statistical(p.org) else [])
            self.participation(res, case, p, roles, "organisations")
        for p in partners:
            self.participation(res, case, p, p.roles or [], "partners")

        free_text = "data_providers" not in rec  # a row of the dossier's header
        self.flows(row, cell, case, res, problems, countries, free_text)

        # difficulties and lessons
        for col, prop, cls, scheme, slug_path in (
                ("difficulties", NSP.hasDifficulty, NSP.Difficulty, "difficulty-category", "difficulty"),
                ("lessons", NSP.hasLesson, NSP.LessonLearned, "lesson-theme", "lesson")):
            items = parse_findings(cell[col], scheme, self.ctx.concepts.get(scheme, set()), free_text)
            for n, item in enumerate(items, 1):
                if item is None:  # an empty position keeps the numbering of the items after it
                    continue
                if isinstance(item, str):
                    problems.append(Problem(row, col, item))
                    continue
                cats, desc = item
                node = URIRef(f"{case}/{slug_path}/{n}")
                res.nodes[str(node)] = col
                g.add((case, prop, node))
                g.add((node, RDF.type, cls))
                g.add((node, DCT.description, Literal(desc, lang="en")))
                for cat in cats:
                    g.add((node, NSP.category, v(scheme, cat)))
        return (res, problems) if not problems else (None, problems)

    def flows(self, row: int, cell: dict[str, str], case: URIRef, res: CaseResult, problems: list[Problem],
              countries: list[str], free_text: bool) -> None:
        """The data flows: flow k is the k-th ' || ' part of every flow column; a part left blank in
        every column writes no flow (and keeps the numbers of the flows after it)."""
        g = res.graph
        parts = {col: ([cell[col]] if free_text else [x.strip() for x in cell[col].split(FLOW_SEP.strip())]) if cell[col] else []
                 for col in FLOW_COLUMNS}
        count = max(len(v_) for v_ in parts.values())
        known_dst = self.ctx.concepts.get("data-source-type", set())
        agreements: list[tuple[URIRef, dict]] = []
        for k in range(count):
            part = {col: (parts[col][k] if k < len(parts[col]) else "") for col in FLOW_COLUMNS}
            exchanged = "" if is_unknown(part["exchanged"]) else part["exchanged"]
            text, links = trailing_links(part["legal_basis"])
            note = "" if is_unknown(text) else text
            if not (exchanged or note or links or any(part[c] for c in FLOW_COLUMNS[1:5] + ["agreements"])):
                continue
            flow = URIRef(f"{case}/dataflow/{k + 1}")
            res.nodes[str(flow)] = "exchanged"
            g.add((case, NSP.hasDataFlow, flow))
            g.add((flow, RDF.type, NSP.DataFlow))
            if exchanged:
                g.add((flow, DCT.description, Literal(exchanged, lang="en")))
            for col, prop in (("data_providers", NSP.dataProvider), ("data_recipients", NSP.dataRecipient)):
                if part[col]:
                    org = self.one_org(row, col, part[col], problems, "a data flow has one "
                                       + ("provider" if col == "data_providers" else "recipient")
                                       + f": give each its own flow (parts separated by '{FLOW_SEP.strip()}')")
                    if org:
                        g.add((flow, prop, URIRef(org)))
            for slug in split_top(part["data_source_types"]):
                if slug not in known_dst:
                    problems.append(Problem(row, "data_source_types", f"{slug!r} {allowed('data-source-type', known_dst)}"))
                else:
                    g.add((flow, NSP.dataSourceType, v("data-source-type", slug)))
            if part["privately_held"]:
                held = YES_NO.get(part["privately_held"].lower())
                if held is None:
                    problems.append(Problem(row, "privately_held", f"{part['privately_held']!r} is not yes, no or blank"))
                else:
                    g.add((flow, NSP.involvesPrivatelyHeldData, Literal(held)))
            if note:
                g.add((flow, NSP.legalBasisNote, Literal(note, lang="en")))
            if links is None and free_text:  # the dossier's text: laws named in it are linked
                links = self.resolve_laws(text, countries)
            for link in links or []:
                g.add((flow, NSP.legalBasis, URIRef(link if "://" in link else BASE + link)))
            for item in (x.strip() for x in ITEM_SPLIT.split(part["agreements"])):
                if item:
                    parsed = self.agreement(row, item, problems)
                    if parsed:
                        agreements.append((flow, parsed))
        # agreement IRIs: an explicit `type-N` is kept; a plain `type` takes the first free of type, type-2, ...
        taken = [a["slug"] for _, a in agreements if a["slug"]]
        for dup in sorted({x for x in taken if taken.count(x) > 1}):
            problems.append(Problem(row, "agreements", f"agreement {dup!r} is named twice"))
        cid = str(case).rsplit("/", 1)[-1]
        for flow, a in agreements:
            slug = a["slug"]
            if not slug:
                n = 1
                while (slug := a["type"] if n == 1 else f"{a['type']}-{n}") in taken:
                    n += 1
                taken.append(slug)
            ag = URIRef(f"{ID}agreement/{cid}/{slug}")
            res.nodes[str(ag)] = "agreements"
            g.add((flow, NSP.agreement, ag))
            g.add((ag, RDF.type, NSP.Agreement))
            g.add((ag, NSP.agreementType, v("agreement-type", a["type"])))
            g.add((ag, DCT.description, Literal(a["text"], lang="en")))
            for party in a["parties"]:
                g.add((ag, NSP.party, URIRef(party)))
            if a["year"] is None:
                g.add((ag, NSP.yearUnknown, Literal(True)))
            else:
                g.add((ag, NSP.startYear, Literal(a["year"], datatype=XSD.integer)))

    def agreement(self, row: int, item: str, problems: list[Problem]) -> dict | None:
        """`type (year) [party; party]: text` (type may carry its number, `contract-2`; the year may be
        `year unknown`) -> its parts, or None after adding the problems."""
        known = self.ctx.concepts.get("agreement-type", set())
        form = "write an agreement as 'type (year) [party; party]: text', e.g. 'mou (2017) [Statistics Netherlands; Vodafone]: ...'"
        head, text = split_head(item)
        if head is None or not text:
            problems.append(Problem(row, "agreements", f"{item!r}: {form}"))
            return None
        head, bracket = trailing_group(head, "[", "]")
        head, when = trailing_group(head, "(", ")")
        slug = head.strip()
        m = re.fullmatch(r"(.+?)(?:-(\d+))?", slug)
        kind = m.group(1) if m and m.group(1) in known else slug
        ok = True
        if kind not in known:
            problems.append(Problem(row, "agreements", f"{kind!r} {allowed('agreement-type', known)}"))
            ok = False
        year = None
        if when is None:
            problems.append(Problem(row, "agreements", f"{item!r} gives no year: write '{slug} (2017) [...]: ...' "
                                    f"or '{slug} (year unknown) [...]: ...'"))
            ok = False
        elif re.fullmatch(r"\d{4}", when):
            year = int(when)
        elif when.lower() != "year unknown":
            problems.append(Problem(row, "agreements", f"{when!r} is not a year (four digits) or 'year unknown'"))
            ok = False
        parties = []
        for name in split_top(bracket or ""):
            org = self.one_org(row, "agreements", name, problems, "name each party on its own, separated by ';'")
            ok = ok and org is not None
            if org and org not in parties:
                parties.append(org)
        if not bracket or not bracket.strip():
            problems.append(Problem(row, "agreements", f"{item!r} names no party: {form}"))
            ok = False
        if not ok:
            return None
        return {"slug": slug if slug != kind else None, "type": kind, "year": year, "parties": parties, "text": text}

    def participation(self, res: CaseResult, case: URIRef, p: Party, roles: list[str], column: str) -> None:
        key = p.org.rsplit("/org/", 1)[-1].replace("/unit/", "-").upper()
        node = URIRef(f"{case}/participation/{key}")
        res.nodes[str(node)] = column
        g = res.graph
        g.add((case, NSP.hasParticipation, node))
        g.add((node, RDF.type, NSP.Participation))
        g.add((node, PROV.agent, URIRef(p.org)))
        for r in roles:
            g.add((node, PROV.hadRole, v("participation-role", r)))
        if p.note:
            g.add((node, DCT.description, Literal(p.note, lang="en")))

    def sector_slug(self, text: str) -> str | None:
        known = self.ctx.concepts.get("partner-sector", set())
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
        aliases = {"international-org": "international-organisation", "international-organization": "international-organisation"}
        slug = aliases.get(slug, slug)
        return slug if slug in known else None

    def resolve_laws(self, text: str, countries: list[str]) -> list[str]:
        """Laws named in the legal-basis text (by title, other label, local identifier or number
        token) within the case's jurisdictions, narrowed to the article named right before or
        after the law's name when that article is in the graph."""
        if not text or is_unknown(text):
            return []
        low = text.lower()
        out: list[str] = []
        for law in self.ctx.laws:
            if not law["jurisdiction"] & (set(countries) | {COUNTRY + "EUR"}):
                continue
            spans = []
            for name in sorted(law["names"], key=len, reverse=True):
                if len(name) >= 6:
                    spans += [(m.start(), m.end()) for m in re.finditer(re.escape(name.lower()), low)]
            for tok in re.findall(r"\d+[-/]\d+", law["iri"].rsplit("/", 2)[-2] + "/" + law["iri"].rsplit("/", 1)[-1]):
                spans += [(m.start(), m.end()) for m in re.finditer(r"(?<![\d-])" + re.escape(tok) + r"(?![\d-])", low)]
            tail = law["iri"].rsplit("/", 1)[-1]
            if re.fullmatch(r"\d+-\d+", tail):
                spans += [(m.start(), m.end()) for m in re.finditer(r"(?<![\d-])" + re.escape(tail) + r"(?![\d-])", low)]
            if not spans:
                continue
            target = law["iri"]
            art = r"(?:art(?:icle)?\.?|s\.|sec(?:tion)?\.?|§)\s*(\d+[a-z]?(?:\s?(?:bis|ter|quater))?)"
            for start, end in sorted(set(spans)):
                after = re.match(r"\s*" + art, low[end:])
                before = re.search(art + r"\s+of\s+(?:the\s+)?(?:law\s+no\.\s*)?$", low[:start])
                number = (after or before).group(1) if (after or before) else None
                if number and norm_number(number) in law["articles"]:
                    target = law["articles"][norm_number(number)]
                    break
            if target not in out:
                out.append(target)
        return out


def trailing_links(text: str) -> tuple[str, list[str] | None]:
    """`text [iri] [iri]` (the exported form) -> ('text', ['iri', ...]); free text -> (text, None)."""
    links: list[str] = []
    text = text.strip()
    while text.endswith("]"):
        head, inner = trailing_group(text, "[", "]")
        if inner is None:  # the whole cell is one group: links with no note
            inner, head = (text[1:-1], "") if text.startswith("[") and text.count("[") == 1 else (None, text)
        if inner is None or not re.fullmatch(r"[^\s\[\]]+", inner):
            break
        links.insert(0, inner)
        text = head.strip()
    return text, (links or None)


def parse_findings(cell: str, scheme: str, known: set[str], free_text: bool) -> list[tuple[list[str], str] | str | None]:
    """Difficulties or lessons -> per position ([categories], text), None for an empty position, or a
    problem message. The explicit form: items separated by ' | ', each `category: text`,
    `category, category: text` or `text` (`: text` keeps a text that starts with a word and a colon).
    The dossier's free text (no ' | ', no leading category): items split on ';' and sentence ends,
    never a category."""
    cell = cell.strip()
    if is_unknown(cell) or (free_text and cell.lower().startswith("unknown (")):
        return []
    cats = category_list(split_head(cell)[0])
    if free_text and not ITEM_SPLIT.search(cell) and not (cats and all(c in known for c in cats)):
        out: list[tuple[list[str], str] | str | None] = []
        for item in split_items(cell):
            if len(item) < 10 and out:  # a fragment too short to stand alone joins the previous item
                out[-1] = ([], out[-1][1] + "; " + item)
                continue
            out.append(([], item))
        return out
    out = []
    for part in ITEM_SPLIT.split(cell):
        part = part.strip()
        head, text = split_head(part)
        cats = category_list(head)
        if not part:
            out.append(None)
        elif head == "":
            out.append(([], text))
        elif cats is None:  # 'Legal: ...' or no colon: text, no category
            out.append(([], part))
        elif all(c in known for c in cats):
            out.append((cats, text))
        else:
            bad = next(c for c in cats if c not in known)
            out.append(f"{bad!r} {allowed(scheme, known)}; to keep the words as text, write ': {part}'")
    return out


# --------------------------------------------------------------------------------------------
# Reading, validating, writing
# --------------------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 20 * 1024 * 1024
# Limits on an .xlsx, checked before openpyxl reads it (a zip bomb is refused, not expanded).
XLSX_MAX_UNCOMPRESSED = 50 * 1024 * 1024  # sum of the entries' uncompressed sizes
XLSX_MAX_RATIO = 100  # uncompressed : compressed, for an entry over XLSX_RATIO_FROM bytes
XLSX_RATIO_FROM = 1024 * 1024
XLSX_MAX_ROWS = 10_000  # rows as openpyxl yields them (up to the highest row number)
XLSX_MAX_CELLS = 500_000  # cells as openpyxl yields them (each row up to its highest column)


def check_xlsx(path: Path) -> None:
    """Refuse an .xlsx whose size, compression ratio, rows or cells exceed the limits above, reading
    the zip directory and then streaming the worksheets' XML (defusedxml, no DTD) with counters that
    stop at the caps, so neither memory nor time grows with a bomb. The sizes in the zip directory
    bound what zipfile decompresses (it stops at the declared size), so they cannot lie upwards."""
    from defusedxml.ElementTree import iterparse
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        total = sum(e.file_size for e in entries)
        if total > XLSX_MAX_UNCOMPRESSED:
            raise ImportError_(f"{path}: the workbook expands to {total:,} bytes, more than the limit of {XLSX_MAX_UNCOMPRESSED:,}")
        for e in entries:
            if e.file_size > XLSX_RATIO_FROM and e.file_size > XLSX_MAX_RATIO * max(e.compress_size, 1):
                raise ImportError_(f"{path}: entry {e.filename} expands {e.file_size // max(e.compress_size, 1):,} times "
                                   f"(limit {XLSX_MAX_RATIO}:1): refused as a possible zip bomb")
        rows = cells = 0
        for e in entries:
            if not (e.filename.startswith("xl/worksheets/") and e.filename.endswith(".xml")):
                continue
            row_no = row_cells = 0
            with archive.open(e) as handle:
                for _, elem in iterparse(handle, events=("end",), forbid_dtd=True):
                    tag = elem.tag.rsplit("}", 1)[-1]
                    if tag == "c":
                        ref = elem.get("r")
                        row_cells = column_index_from_string(coordinate_from_string(ref)[0]) if ref else row_cells + 1
                        elem.clear()
                    elif tag == "row":
                        number = elem.get("r")
                        row_no = int(number) if number and number.isdigit() else row_no + 1
                        cells += row_cells
                        rows = max(rows, row_no)
                        row_cells = 0
                        elem.clear()
                        if rows > XLSX_MAX_ROWS:
                            raise ImportError_(f"{path}: more than {XLSX_MAX_ROWS:,} rows (sheet {e.filename})")
                    if cells + row_cells > XLSX_MAX_CELLS:
                        raise ImportError_(f"{path}: more than {XLSX_MAX_CELLS:,} cells (sheet {e.filename})")


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV (UTF-8) or .xlsx file; anything unreadable is an ImportError_, not a crash."""
    from defusedxml import DefusedXmlException

    from .sources import LoadError, check_size

    try:
        check_size(path, MAX_IMPORT_BYTES)
    except LoadError as exc:
        raise ImportError_(str(exc)) from None
    try:
        if path.suffix.lower() == ".xlsx":
            import openpyxl  # parses the workbook XML through defusedxml (a dependency)

            check_xlsx(path)
            sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).active
            sheet.reset_dimensions()  # the cells as they are, not padded to a <dimension> the file may invent
            values = [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
            return (values[0], values[1:]) if values else ([], [])
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            return next(reader, []), list(reader)
    except UnicodeDecodeError as exc:
        raise ImportError_(f"{path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from None
    except csv.Error as exc:
        raise ImportError_(f"{path}: not a readable CSV file: {exc}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, SyntaxError, DefusedXmlException) as exc:
        raise ImportError_(f"{path}: cannot read the file: {exc}") from None


def read_rows(path: Path) -> list[dict[str, str]]:
    header, body = read_table(path)
    columns = header_columns(path, [h.strip() for h in header])
    # a cell written by `kg export --format csv` may carry an apostrophe against formula injection
    # (kg.csvsafe): the value is read back without it
    return [dict(zip(columns, [restore(c) for c in r] + [""] * (len(columns) - len(r)))) for r in body if any(c.strip() for c in r)]


def header_columns(path: Path, header: list[str]) -> list[str]:
    """The columns of a file: the explicit form (COLUMNS) or the dossier's (DOSSIER_COLUMNS); a row of
    the latter has no key for the explicit columns, which is how the mapper knows its form."""
    base = [h for h in header if h != NEW_ORGS]
    if header.count(NEW_ORGS) <= 1 and base in ([c for c in COLUMNS if c != NEW_ORGS], DOSSIER_COLUMNS):
        return header
    missing = [c for c in COLUMNS if c not in header and c != NEW_ORGS]
    extra = [c for c in header if c not in COLUMNS]
    raise ImportError_(f"{path}: the header must be exactly: {','.join(COLUMNS)} ({NEW_ORGS} may be left out)"
                       + (f" (missing: {', '.join(missing)})" if missing else "")
                       + (f" (unexpected: {', '.join(extra)})" if extra else "")
                       + f"; or the cases dossier's: {','.join(DOSSIER_COLUMNS)}")


def case_path(root: Path, case_id: str) -> Path:
    return root / "data" / "cases" / f"{case_id}.ttl"


CASE_ID = re.compile(r"[A-Z0-9]+(-[A-Z0-9]+)+")  # what a case id may be (also the name of its file)


def id_problem(case_id: str) -> str | None:
    """Why an id cell can never be a case id, decided before any file name is made of it (a NUL byte
    or another control or format character would otherwise reach the file system)."""
    bad = next((ch for ch in case_id if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")), None)
    if bad is not None:
        return (f"contains the control character U+{ord(bad):04X}; a case identifier is upper-case letters, "
                "digits and '-' (e.g. NL-CBS-SCAN)")
    return None


ORGS_FILE = Path("data") / "organisations.ttl"
TURTLE_PREFIXES = {
    "nsp": NSP_IRI, "dct": str(DCT), "skos": str(SKOS), "org": str(ORG), "prov": str(PROV), "foaf": str(FOAF),
    "xsd": str(XSD), "country": COUNTRY, "pt": VOCAB + "partnership-type/", "cs": VOCAB + "case-status/",
    "oc": VOCAB + "outcome/", "role": VOCAB + "participation-role/", "dst": VOCAB + "data-source-type/",
    "diff": VOCAB + "difficulty-category/", "lesson": VOCAB + "lesson-theme/", "agt": VOCAB + "agreement-type/",
    "conf": VOCAB + "confidence/", "sector": VOCAB + "partner-sector/",
}


_LINE_BREAK_ESCAPES = {c: f"\\u{c:04X}" for c in (0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029)}


def to_turtle(graph: rdflib.Graph, header: str) -> str:
    for p, ns in TURTLE_PREFIXES.items():
        graph.bind(p, ns, override=True, replace=True)
    # Escape the characters Python's splitlines() and pyoxigraph's parser treat as line breaks inside
    # short literals (rdflib writes them raw); split on "\n" only, so literals are never cut.
    text = graph.serialize(format="turtle", base=BASE).translate(_LINE_BREAK_ESCAPES)
    lines = [l for l in text.split("\n") if not l.startswith("@prefix") and not l.startswith("@base")]
    used = [p for p, ns in TURTLE_PREFIXES.items() if re.search(rf"(?<![\w<]){p}:", "\n".join(lines))]
    head = [f"@base <{BASE}> ."] + [f"@prefix {p}: <{TURTLE_PREFIXES[p]}> ." for p in used]
    return "\n".join(head) + "\n\n" + header + "\n" + "\n".join(lines).strip() + "\n"


def load_context(root: Path, exclude: set[Path]) -> tuple[list[SourceFile], dict[SourceFile, list[ox.Quad]], ox.Store]:
    sources = [s for s in discover(root) if s.path not in exclude]
    quads = {s: parse(s) for s in sources}
    store = ox.Store()
    store.extend(q for s in sources for q in quads[s])
    return sources, quads, store


def run_import(path: Path, root: Path | None = None, allow_new: bool = False) -> ImportResult:
    """Map every row, then validate the new cases with the rest of the graph; nothing is written here."""
    from .pipeline import Loaded, check

    root = root or project_root()
    recover_import(root)  # an import killed after its commit point is completed first
    rows = read_rows(path)
    ids = [(r.get("id") or "").strip() for r in rows]
    replaced = {case_path(root, i).resolve() for i in ids if CASE_ID.fullmatch(i)}
    sources, quads, store = load_context(root, replaced)
    ctx = Context(store)
    new_orgs = rdflib.Graph()
    mapper = RowMapper(ctx, allow_new, new_orgs)
    problems: list[Problem] = []
    cases: list[CaseResult] = []
    seen: dict[str, int] = {}
    for n, rec in enumerate(rows, 1):
        cid = (rec.get("id") or "").strip()
        if (bad := id_problem(cid)) is not None:
            problems.append(Problem(n, "id", bad))
            continue
        if cid in seen:
            problems.append(Problem(n, "id", f"{cid!r} is already used in row {seen[cid]}"))
            continue
        seen[cid] = n
        res, row_problems = mapper.map(n, rec)
        problems += row_problems
        if res is not None:
            cases.append(res)
    result = ImportResult(cases, problems, new_orgs)
    if not cases:
        problems.sort(key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else 99, p.message))
        return result

    # Validate the new cases together with the rest of the graph (pipeline.check).
    extra_sources: list[SourceFile] = []
    extra_quads: dict[SourceFile, list[ox.Quad]] = {}
    node_row: dict[str, tuple[int, str]] = {}
    for c in cases:
        sf = SourceFile(case_path(root, c.case_id).resolve(), graph_iri(case_path(root, c.case_id), root))
        extra_sources.append(sf)
        extra_quads[sf] = _ox_quads(c.graph, sf.graph)
        for node, col in c.nodes.items():
            node_row[node] = (c.row, col)
    if len(new_orgs):
        orgs_path = (root / ORGS_FILE).resolve()
        sf = SourceFile(orgs_path, graph_iri(root / ORGS_FILE, root) + "-new")
        extra_sources.append(sf)
        extra_quads[sf] = _ox_quads(new_orgs, sf.graph)
    loaded = Loaded(sources + extra_sources, {**quads, **extra_quads})
    report = check(loaded, root)
    org_rows = {}
    for c in cases:
        for o in c.graph.objects(None, PROV.agent):
            org_rows.setdefault(str(o), (c.row, "partners"))
    for r in report.results:
        where = node_row.get(r.focus) or (org_rows.get(r.focus) if len(new_orgs) and (URIRef(r.focus), None, None) in new_orgs else None)
        if where is None:
            continue
        if r.severity != "Violation":
            result.warnings += 1
            continue
        row, col = where
        col = _column_for(col, r.path)
        path = None if r.path == "a property path" else r.path
        detail = f" ({path}" + (f" = {r.value}" if r.value else "") + ")" if path else (f" ({r.value})" if r.value else "")
        problems.append(Problem(row, col, f"{r.message}{detail} [{_short(r.focus)}]"))
    problems.sort(key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else 99, p.message))
    result.problems = problems
    return result


PATH_COLUMNS = {
    "dct:title": "title", "nsp:partnershipType": "type", "nsp:secondaryPartnershipType": "secondary_type",
    "nsp:status": "status", "nsp:outcome": "outcome", "nsp:outcomeReason": "outcome", "dct:spatial": "countries",
    "nsp:startYear": "start_year", "nsp:endYear": "end_year", "dct:source": "sources",
    "nsp:hasDifficulty": "difficulties", "nsp:hasLesson": "lessons", "nsp:legalBasis": "legal_basis",
    "nsp:agreement": "agreements", "nsp:confidence": "confidence", "nsp:withoutStatisticalOffice": "organisations",
}
FLOW_PATH_COLUMNS = {
    "nsp:dataProvider": "data_providers", "nsp:dataRecipient": "data_recipients", "nsp:dataSourceType": "data_source_types",
    "nsp:involvesPrivatelyHeldData": "privately_held", "nsp:legalBasis": "legal_basis", "nsp:legalBasisNote": "legal_basis",
    "nsp:agreement": "agreements",
}


def _column_for(col: str, path: str | None) -> str:
    if col == "id" and path in PATH_COLUMNS:
        return PATH_COLUMNS[path]
    if col == "id" and path == "a property path":
        return "organisations"
    if col == "exchanged" and path in FLOW_PATH_COLUMNS:
        return FLOW_PATH_COLUMNS[path]
    return col


def _short(iri: str) -> str:
    return iri[len(BASE):] if iri.startswith(BASE) else iri


def _ox_quads(graph: rdflib.Graph, graph_name: str) -> list[ox.Quad]:
    data = graph.serialize(format="nt")
    g = ox.NamedNode(graph_name)
    return [ox.Quad(t.subject, t.predicate, t.object, g) for t in ox.parse(data.encode(), format=ox.RdfFormat.N_TRIPLES)]


CASE_HEADER = "# Partnership case imported by `kg import` from a CSV row (columns of the cases dossier)."


def planned_files(result: ImportResult, root: Path) -> dict[Path, str]:
    """File -> Turtle text for every case (and data/organisations.ttl when organisations were minted)."""
    files = {case_path(root, c.case_id): to_turtle(c.graph, CASE_HEADER) for c in result.cases}
    if len(result.new_organisations):
        orgs = root / ORGS_FILE
        block = to_turtle(result.new_organisations, "# Organisations minted by `kg import` (declared in new_organisations, or --allow-new-organisations): check labels, sectors and countries.")
        if orgs.exists():
            body = "\n".join(l for l in block.splitlines() if not l.startswith("@"))
            existing = orgs.read_text(encoding="utf-8")
            needed = [l for l in block.splitlines() if l.startswith("@") and l not in existing]
            files[orgs] = "\n".join(needed + [existing.rstrip()]) + "\n\n" + body.strip() + "\n" if needed else existing.rstrip() + "\n\n" + body.strip() + "\n"
        else:
            files[orgs] = block
    return files


# --- all-or-nothing writes across files: a journal rolled forward --------------------------------
#
# Design (POSIX): `write_all` stages every new file's text in a fresh hidden directory beside the data
# (data/.kg-import.new-*), with a journal (journal.json: staged name -> target path) and fsyncs them.
# Renaming that directory to data/.kg-import is the single atomic commit point. Then each staged file
# is renamed over its target, and data/.kg-import is renamed to data/.kg-import.done-* and removed.
# Recovery (`recover_import`, run first by `write_all`, `run_import` and `kg build`) is deterministic:
# a .new-* or .done-* directory is removed (never committed, or finished); a data/.kg-import journal is
# rolled forward (a staged file still present is renamed over its target; one gone was renamed
# already), so a killed import ends entirely new once it was committed and entirely old before.
# A directory swap (data/cases as a symlink to a new tree) would be one rename too, but data/cases
# is tracked by git, which would then see a symlink instead of the files; the journal keeps every
# file where it is. Staging is hidden (a dot name), so `kg build` never reads it as data.
JOURNAL_DIR = ".kg-import"  # in data/
JOURNAL = "journal.json"


@contextlib.contextmanager
def _import_lock(root: Path) -> Iterator[None]:
    """One import (or recovery) at a time per project: an flock on the data/ directory itself."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    fd = os.open(data, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits for another import's few renames to finish
        yield
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _roll_forward(root: Path) -> int:
    """Finish the committed import journalled in data/.kg-import; returns the files it renamed."""
    journal_dir = root / "data" / JOURNAL_DIR
    try:
        entries = json.loads((journal_dir / JOURNAL).read_text(encoding="utf-8"))["files"]
        targets = [(journal_dir / name, root / rel) for name, rel in entries]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImportError_(f"{journal_dir / JOURNAL}: the journal of an interrupted `kg import` is unreadable ({exc}); "
                           f"data/ may mix old and new files: check them (git status), then remove {journal_dir}") from None
    if any(not t.resolve().is_relative_to((root / "data").resolve()) for _, t in targets):
        raise ImportError_(f"{journal_dir / JOURNAL}: names a file outside data/; remove {journal_dir} after checking data/")
    done = 0
    for staged, target in targets:
        if staged.exists():
            os.replace(staged, target)
            done += 1
    for parent in {t.parent for _, t in targets}:
        _fsync_dir(parent)
    finished = journal_dir.with_name(f"{JOURNAL_DIR}.done-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(journal_dir, finished)
    _fsync_dir(root / "data")
    shutil.rmtree(finished, ignore_errors=True)
    return done


def _recover(root: Path) -> int:
    data = root / "data"
    for leftover in list(data.glob(f"{JOURNAL_DIR}.new-*")) + list(data.glob(f"{JOURNAL_DIR}.done-*")):
        shutil.rmtree(leftover, ignore_errors=True)
    return _roll_forward(root) if (data / JOURNAL_DIR).is_dir() else 0


def recover_import(root: Path) -> int:
    """Complete an import that was killed after its commit point (see above) or clear one killed
    before it; returns the number of files the recovery wrote (0: nothing was pending)."""
    if not (root / "data").is_dir():
        return 0
    with _import_lock(root):
        return _recover(root)


@contextlib.contextmanager
def reading_data(root: Path) -> Iterator[None]:
    """For a reader of the whole of data/ (`kg build`): complete or clear an interrupted import, refuse
    leftover `.part` files, and hold the import lock while the files are read, so that no import
    renames files half-way through the reading."""
    if not (root / "data").is_dir():
        yield
        return
    with _import_lock(root):
        _recover(root)
        check_no_partial_writes(root)
        yield


def check_no_partial_writes(root: Path) -> None:
    """Refuse data/ holding `*.part` files (left by an interrupted write that used no journal, e.g. an
    older `kg import`): the files beside them may be a mix of old and new, which a build must not load."""
    data = root / "data"
    leftovers = sorted(p for p in data.rglob("*.part") if p.is_file()) if data.is_dir() else []
    if leftovers:
        rel = leftovers[0].relative_to(root)
        more = f" (and {len(leftovers) - 1} more)" if len(leftovers) > 1 else ""
        raise ImportError_(f"{rel}{more}: left by an interrupted write; data/ may mix old and new files: "
                           f"check them (git status) and delete the .part files before building")


def write_all(files: dict[Path, str], root: Path | None = None) -> None:
    """Write every file, all or nothing even if the process is killed (see the design above)."""
    root = (root or project_root()).resolve()
    data = root / "data"
    with _import_lock(root):
        _recover(root)
        staging = data / f"{JOURNAL_DIR}.new-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            staging.mkdir()
            entries = []
            for i, (path, text) in enumerate(files.items()):
                target = path.resolve()
                if not target.is_relative_to(data):
                    raise ImportError_(f"{path}: not under {data}; nothing was written")
                target.parent.mkdir(parents=True, exist_ok=True)
                name = f"{i}.staged"  # no RDF extension, in a hidden folder: never loaded as data
                with open(staging / name, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                entries.append([name, target.relative_to(root).as_posix()])
            with open(staging / JOURNAL, "w", encoding="utf-8") as handle:
                json.dump({"format": 1, "files": entries}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            _fsync_dir(staging)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise ImportError_(f"cannot write the imported files under {data}: {exc.strerror or exc}; nothing was written") from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        os.rename(staging, data / JOURNAL_DIR)  # the commit point
        try:
            _fsync_dir(data)
            _roll_forward(root)
        except OSError as exc:
            raise ImportError_(f"the import is committed but could not be completed ({exc.strerror or exc}): "
                               "the next `kg import` or `kg build` completes it") from None
