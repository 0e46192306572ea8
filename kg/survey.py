"""Import responses to the survey of offices (the concept note's second step) from a CSV file.

The CSV format (UTF-8, comma-separated, one header row, one row per responding office):

| column | required | value |
|---|---|---|
| `office` | yes | the responding office: its key (`NLD-CBS`), IRI, preferred or alternative label (`Statistics Netherlands`, `CBS`), or `Label (ACRONYM)` |
| `country` | no | ISO 3166 alpha-3 code (`NLD`), `country:NLD`, the EU authority-table IRI or any of its names in data/vocab/countries.ttl (`Republic of Korea`, `Turkiye`: matched as `kg import` does, docs/importing.md); must agree with the office's country. Empty: the office's country |
| `main_challenge` | yes | the main challenge in strategic partnerships the office wants examined, free text of 10 to 2000 characters |
| `partnership_types` | yes | one or more CES partnership types separated by `;`: slug (`supplier-recipient`), notation (`B.1`) or label (`Supplier/recipient partnership`) |
| `difficulty_categories` | no | zero or more difficulty categories separated by `;`: slug (`privacy-data-protection`) or label |

Lines starting with `#` before the header are comments. Rows are numbered as lines of the file (the
header is row 1 when there are no comment lines), so `row N` is what an editor shows. Offices must be
described in the graph already (an `nsp:NationalStatisticalOffice`, an
`nsp:InternationalStatisticalOrganization`, or an organisation with a country); the survey (default
`ces-strategic-partnerships`, declared in data/concept-note/survey.ttl) must exist.

Every row is checked, and every problem is reported as `row N, column X: ...` with a suggestion for
names that are close to a known one. Then the responses are validated with the SHACL shapes together
with the rest of the graph. Only if every row is valid is `{out}/{survey-id}.ttl` written (default out:
data/survey/), atomically: a temporary file renamed over the target. The file holds all responses of
the survey, so importing again replaces the previous import. `dry_run` does everything but write.
"""
from __future__ import annotations

import csv
import difflib
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import BASE, NSP, VOCAB, project_root
from .sources import LoadError, discover, parse, source_for

DEFAULT_SURVEY = "ces-strategic-partnerships"
COLUMNS = ("office", "country", "main_challenge", "partnership_types", "difficulty_categories")
REQUIRED = ("office", "main_challenge", "partnership_types")
PARTNERSHIP_SCHEME = VOCAB + "partnership-type"
DIFFICULTY_SCHEME = VOCAB + "difficulty-category"
COUNTRY_NS = "http://publications.europa.eu/resource/authority/country/"
ORG_NS = BASE + "id/org/"
MIN_TEXT, MAX_TEXT = 10, 2000
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_SURVEY_ID = re.compile(r"^[a-z0-9-]+$")


class SurveyImportError(Exception):
    """The CSV cannot be imported; `errors` lists every problem found (nothing was written)."""

    def __init__(self, errors: list[str], path: Path | str | None = None):
        self.errors = errors
        head = f"{path}: " if path else ""
        n = len(errors)
        super().__init__(f"{head}{n} problem{'s' * (n != 1)}; nothing was written.\n" + "\n".join(f"  {e}" for e in errors))


@dataclass(frozen=True)
class Named:
    """A resource that CSV cells may name: its IRI, a short key, and the names people use for it."""
    iri: str
    key: str
    names: tuple[str, ...]
    spatial: str | None = None
    label: str = ""  # shown in messages with the key; empty: the key alone

    @property
    def shown(self) -> str:
        return f"{self.label} ({self.key})" if self.label else self.key


@dataclass
class Reference:
    """What the CSV is resolved against, read from ontology/ and data/."""
    offices: list[Named]
    partnership_types: list[Named]
    difficulties: list[Named]
    countries: list[Named]
    surveys: set[str]
    excluded_files: set[str] = field(default_factory=set)


@dataclass
class Response:
    row: int
    office: Named
    country: str
    main_challenge: str
    partnership_types: list[str]
    difficulties: list[str]


@dataclass
class ImportResult:
    survey: str
    responses: list[Response]
    target: Path
    turtle: str
    written: bool


def _norm(text: str) -> str:
    """Case-, accent- and spacing-insensitive form of a name: the importer's (kg.importer.name_key),
    so that both imports match names alike and a name in another script is kept, not dropped."""
    from .importer import name_key

    return name_key(text)


def load_reference(root: Path | None = None, exclude: set[Path] | None = None) -> Reference:
    """Parse every source file (except `exclude`) and collect offices, concepts, countries and surveys."""
    root = root or project_root()
    excluded = {str(p.resolve()) for p in exclude or set()}
    store = ox.Store()
    for source in discover(root):
        if str(source.path.resolve()) not in excluded:
            store.extend(parse(source))

    def rows(query: str, *names: str) -> list[tuple]:
        return [tuple(None if s[n] is None else s[n].value for n in names) for s in store.query(query, use_default_graph_as_union=True)]

    offices: dict[str, Named] = {}
    org_rows = rows(f"""
        PREFIX skos: <{_SKOS}> PREFIX dct: <http://purl.org/dc/terms/>
        SELECT ?o ?name ?spatial WHERE {{
          {{ ?o a <{NSP}NationalStatisticalOffice> }} UNION {{ ?o a <{NSP}InternationalStatisticalOrganization> }}
          UNION {{ ?o a ?t . VALUES ?t {{ <http://www.w3.org/ns/org#Organization> <http://www.w3.org/ns/org#FormalOrganization> }}
                  ?o dct:spatial ?anyCountry }}
          FILTER(STRSTARTS(STR(?o), "{ORG_NS}"))
          OPTIONAL {{ {{ ?o skos:prefLabel ?name BIND(IF(LANGMATCHES(LANG(?name), "en"), 0, 1) AS ?rank) }}
                     UNION {{ ?o skos:altLabel ?name BIND(2 AS ?rank) }} }}
          OPTIONAL {{ ?o dct:spatial ?spatial }}
        }} ORDER BY ?o ?rank ?name""", "o", "name", "spatial")
    names: dict[str, list[str]] = {}
    spatial: dict[str, str | None] = {}
    for iri, name, country in org_rows:
        names.setdefault(iri, [])
        if name and name not in names[iri]:
            names[iri].append(name)
        if country:
            spatial[iri] = country
    for iri, labels in names.items():
        offices[iri] = Named(iri, iri[len(ORG_NS):], tuple(labels), spatial.get(iri), labels[0] if labels else "")

    def concepts(scheme: str) -> list[Named]:
        found: dict[str, list[str]] = {}
        for iri, name in rows(f"""PREFIX skos: <{_SKOS}>
            SELECT ?c ?name WHERE {{ ?c skos:inScheme <{scheme}> .
              OPTIONAL {{ ?c skos:prefLabel|skos:altLabel|skos:notation ?name }} }} ORDER BY ?c""", "c", "name"):
            found.setdefault(iri, [])
            if name and name not in found[iri]:
                found[iri].append(name)
        return [Named(iri, iri.rsplit("/", 1)[-1], tuple(labels)) for iri, labels in found.items()]

    countries: dict[str, list[str]] = {}
    for iri, name in rows(f"""PREFIX skos: <{_SKOS}>
        SELECT ?c ?name WHERE {{ ?c a <http://purl.org/dc/terms/Location> . FILTER(STRSTARTS(STR(?c), "{COUNTRY_NS}"))
          OPTIONAL {{ ?c skos:prefLabel|skos:altLabel|skos:hiddenLabel ?name }} }} ORDER BY ?c ?name""", "c", "name"):
        countries.setdefault(iri, [])
        if name:
            countries[iri].append(name)
    surveys = {s for (s,) in rows(f"SELECT ?s WHERE {{ ?s a <{NSP}Survey> }}", "s")}
    return Reference(list(offices.values()), concepts(PARTNERSHIP_SCHEME), concepts(DIFFICULTY_SCHEME),
                     [Named(i, i[len(COUNTRY_NS):], tuple(n)) for i, n in sorted(countries.items())], surveys, excluded)


def _candidates(item: Named) -> list[str]:
    return [item.key, item.iri, *item.names]


def resolve(value: str, items: list[Named], what: str, prefixes: dict[str, str] | None = None) -> Named:
    """The one item `value` names, or ValueError with a suggestion ('did you mean ...?')."""
    wanted = value.strip()
    for prefix, ns in (prefixes or {}).items():
        if wanted.startswith(prefix + ":"):
            wanted = ns + wanted[len(prefix) + 1:]
    tries = [wanted]
    m = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", wanted)  # "Statistics Netherlands (CBS)"
    if m:
        tries += [m.group(1), m.group(2)]
    for attempt in tries:
        key = _norm(attempt)
        hits = [item for item in items if any(_norm(c) == key for c in _candidates(item))]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ValueError(f"{value!r} names more than one {what}: {', '.join(h.shown for h in hits)}; use the key")
    by_name = {_norm(c): item for item in items for c in [item.key, *item.names]}
    close = difflib.get_close_matches(_norm(wanted), list(by_name), n=3, cutoff=0.75)
    if not close and len(_norm(wanted)) >= 3:  # a fragment such as 'supplier'
        close = [c for c in by_name if _norm(wanted) in c][:3]
    suggestions = []
    for c in close:
        if by_name[c].shown not in suggestions:
            suggestions.append(by_name[c].shown)
    hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    known = "" if suggestions or len(items) > 20 else f"; expected one of {', '.join(i.key for i in items)}"
    raise ValueError(f"unknown {what} {value!r}{hint}{known}")


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[str]]:
    """Header, data rows as (row number, cells), and format errors. Row numbers are file line numbers."""
    from .importer import MAX_IMPORT_BYTES
    from .sources import LoadError, check_size

    try:
        check_size(path, MAX_IMPORT_BYTES)
    except LoadError as exc:
        raise SurveyImportError([exc.detail], path) from None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SurveyImportError([f"not valid UTF-8 (byte {exc.start})"], path) from None
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and (lines[skipped].startswith("#") or not lines[skipped].strip()):
        skipped += 1
    reader = csv.reader(io.StringIO("".join(lines[skipped:])))
    errors: list[str] = []
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SurveyImportError(["the file has no header row"], path) from None
    header_row = skipped + 1
    for i, col in enumerate(header):
        if col not in COLUMNS:
            close = difflib.get_close_matches(col, COLUMNS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; expected {', '.join(COLUMNS)}"
            errors.append(f"row {header_row}, column {col or f'#{i + 1}'}: unknown column{hint}")
        elif header.count(col) > 1 and header.index(col) == i:
            errors.append(f"row {header_row}, column {col}: the column appears more than once")
    for col in REQUIRED:
        if col not in header:
            errors.append(f"row {header_row}, column {col}: required column is missing")
    data = []
    previous_end = reader.line_num
    for cells in reader:
        row = skipped + previous_end + 1
        previous_end = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append(f"row {row}, column -: {len(cells)} cells where the header has {len(header)}")
            continue
        data.append((row, dict(zip(header, cells))))
    return header, data, errors


def check_rows(data: list[tuple[int, dict[str, str]]], ref: Reference) -> tuple[list[Response], list[str]]:
    """Resolve every cell; collect all problems as 'row N, column X: ...'."""
    responses: list[Response] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for row, cells in data:
        bad = len(errors)

        def err(column: str, message: str) -> None:
            errors.append(f"row {row}, column {column}: {message}")

        office = None
        value = cells.get("office", "").strip()
        if not value:
            err("office", "required; give the office's key (e.g. NLD-CBS) or name")
        else:
            try:
                office = resolve(value, ref.offices, "office", {"org": ORG_NS})
            except ValueError as exc:
                err("office", str(exc))
        if office and office.iri in seen:
            err("office", f"{office.shown} already answered in row {seen[office.iri]}; one response per office")
        elif office:
            seen[office.iri] = row

        country = office.spatial if office else None
        value = cells.get("country", "").strip()
        if value:
            try:
                given = resolve(value, ref.countries, "country", {"country": COUNTRY_NS}).iri
                if office and office.spatial and given != office.spatial:
                    err("country", f"{value!r} is not the country of {office.shown} ({office.spatial[len(COUNTRY_NS):]})")
                country = given
            except ValueError as exc:
                err("country", str(exc))
        elif office and not office.spatial:
            err("country", f"required: {office.shown} has no country in the graph")

        text = re.sub(r"\s+", " ", cells.get("main_challenge", "")).strip()
        if len(text) < MIN_TEXT:
            err("main_challenge", f"required: the main challenge in words, at least {MIN_TEXT} characters" + (f" (got {text!r})" if text else ""))
        elif len(text) > MAX_TEXT:
            err("main_challenge", f"{len(text)} characters; at most {MAX_TEXT}")

        types = _resolve_list(cells.get("partnership_types", ""), ref.partnership_types, "partnership type", "partnership_types", err)
        if not _split(cells.get("partnership_types", "")):
            err("partnership_types", "required: at least one CES partnership type, e.g. supplier-recipient; separate several with ';'")
        difficulties = _resolve_list(cells.get("difficulty_categories", ""), ref.difficulties, "difficulty category", "difficulty_categories", err)

        if len(errors) == bad and office and country:
            responses.append(Response(row, office, country, text, types, difficulties))
    return responses, errors


def _resolve_list(cell: str, items: list[Named], what: str, column: str, err) -> list[str]:
    out: list[str] = []
    for part in _split(cell):
        try:
            iri = resolve(part, items, what).iri
        except ValueError as exc:
            err(column, str(exc))
            continue
        if iri not in out:
            out.append(iri)
    return out


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def survey_iri(survey_id: str) -> str:
    return f"{BASE}id/survey/{survey_id}"


def response_iri(survey_id: str, office: Named) -> str:
    return f"{survey_iri(survey_id)}/response/{office.key}"


def _term(iri: str) -> str:
    """pt:slug / diff:slug for the two schemes' concepts, <IRI> otherwise."""
    for prefix, ns in (("pt", VOCAB + "partnership-type/"), ("diff", VOCAB + "difficulty-category/")):
        if iri.startswith(ns) and re.fullmatch(r"[a-z0-9-]+", iri[len(ns):]):
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def to_turtle(survey_id: str, responses: list[Response], source_name: str) -> str:
    """The responses as Turtle, one block per office, in row order (deterministic)."""
    lines = [
        f"@base <{BASE}> .",
        f"@prefix nsp:  <{NSP}> .",
        "@prefix dct:  <http://purl.org/dc/terms/> .",
        f"@prefix country: <{COUNTRY_NS}> .",
        f"@prefix pt:   <{VOCAB}partnership-type/> .",
        f"@prefix diff: <{VOCAB}difficulty-category/> .",
        "",
        f"# Responses to the survey <id/survey/{survey_id}>, written by `kg import-survey` from {source_name}.",
        "# Do not edit by hand: fix the CSV and import it again (the whole file is replaced).",
        "",
    ]
    rel = lambda iri: iri[len(BASE):]
    for r in responses:
        lines += [
            f"<{rel(response_iri(survey_id, r.office))}> a nsp:SurveyResponse ;",
            f"    nsp:inSurvey <{rel(survey_iri(survey_id))}> ;",
            f"    nsp:respondent <{rel(r.office.iri)}> ;",
            f"    dct:spatial country:{r.country[len(COUNTRY_NS):]} ;",
            f"    nsp:answerText {_literal(r.main_challenge)} ;",
            "    nsp:typeOfInterest " + " , ".join(_term(t) for t in r.partnership_types)
            + (" ;" if r.difficulties else " ."),
        ]
        if r.difficulties:
            lines.append("    nsp:difficultyOfInterest " + " , ".join(_term(d) for d in r.difficulties) + " .")
        lines.append("")
    return "\n".join(lines)


def _validate(turtle: str, target: Path, root: Path, responses: list[Response], survey_id: str) -> list[str]:
    """SHACL-validate the new responses with the rest of the graph; problems mapped back to CSV rows."""
    from .pipeline import Loaded, check

    sources = [s for s in discover(root) if s.path.resolve() != target.resolve()]
    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp) / target.name
        candidate.write_text(turtle, encoding="utf-8")
        try:
            extra = source_for(candidate, root)
            quads = {s: parse(s) for s in [*sources, extra]}
        except LoadError as exc:
            return [f"the generated Turtle does not parse ({exc}); please report this"]
        report = check(Loaded([*sources, extra], quads), root)
    by_iri = {response_iri(survey_id, r.office): r.row for r in responses}
    errors = []
    for result in report.violations:
        where = f"row {by_iri[result.focus]}" if result.focus in by_iri else f"<{result.focus}>"
        column = {"nsp:answerText": "main_challenge", "nsp:typeOfInterest": "partnership_types",
                  "nsp:difficultyOfInterest": "difficulty_categories", "dct:spatial": "country",
                  "nsp:respondent": "office"}.get(result.path or "", "-")
        errors.append(f"{where}, column {column}: {result.message}" + (f" (value {result.value})" if result.value else ""))
    return errors


def import_survey(csv_path: Path, root: Path | None = None, survey_id: str = DEFAULT_SURVEY,
                  out_dir: Path | None = None, dry_run: bool = False) -> ImportResult:
    """Check, validate and (unless dry_run) write the responses of one survey; all or nothing."""
    root = (root or project_root()).resolve()
    if not _SURVEY_ID.fullmatch(survey_id):
        raise SurveyImportError([f"survey id {survey_id!r} must be lower-case letters, digits and hyphens"], csv_path)
    out_dir = (out_dir or root / "data" / "survey").resolve()
    target = out_dir / f"{survey_id}.ttl"
    header, data, errors = read_rows(csv_path)
    if any(f"column {c}: required column is missing" in e for e in errors for c in REQUIRED) or not data:
        raise SurveyImportError(errors or ["the file has a header but no responses"], csv_path)
    try:
        ref = load_reference(root, exclude={target})
    except LoadError as exc:
        raise SurveyImportError([f"the graph cannot be loaded: {exc}"], csv_path) from None
    if survey_iri(survey_id) not in ref.surveys:
        known = ", ".join(sorted(s.rsplit("/", 1)[-1] for s in ref.surveys)) or "none"
        errors.append(f"survey {survey_id!r} is not described in the graph (known surveys: {known})")
    responses, row_errors = check_rows(data, ref)
    errors += row_errors
    if errors:
        raise SurveyImportError(errors, csv_path)
    turtle = to_turtle(survey_id, responses, csv_path.name)
    errors = _validate(turtle, target, root, responses, survey_id)
    if errors:
        raise SurveyImportError(errors, csv_path)
    if not dry_run:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{survey_id}-", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(turtle)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return ImportResult(survey_id, responses, target, turtle, not dry_run)
