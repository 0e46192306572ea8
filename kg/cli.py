"""The `kg` command: parses arguments, calls the pipeline steps, prints, sets exit codes (0 ok, 1 failure, 2 usage)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import pyoxigraph as ox

from . import NSP, __version__, default_data_dir, project_root
from .sources import LoadError, discover, source_for

STATS_CLASSES = [
    ("partnership cases", NSP + "PartnershipCase"),
    ("organisations", "http://www.w3.org/ns/org#Organization"),
    ("national statistical offices", NSP + "NationalStatisticalOffice"),
    ("legal resources (laws, articles)", "http://data.europa.eu/eli/ontology#LegalResource"),
    ("articles", "http://data.europa.eu/eli/ontology#LegalResourceSubdivision"),
    ("provision effects", NSP + "ProvisionEffect"),
    ("jurisdiction positions", NSP + "JurisdictionPosition"),
    ("provision mappings", NSP + "ProvisionMapping"),
    ("source documents", NSP + "SourceDocument"),
    ("concepts", "http://www.w3.org/2004/02/skos/core#Concept"),
]


class Failure(click.ClickException):
    """A data, validation or query failure: exit status 1 with a clear message."""
    exit_code = 1


def _progress():
    """A progress callback that draws a bar on stderr for long steps (quiet when not a terminal)."""
    from rich.progress import Progress

    progress = Progress(transient=True, disable=not sys.stderr.isatty())
    tasks: dict[str, int] = {}

    def update(step: str, done: int, total: int) -> None:
        if not progress.live.is_started:
            progress.start()
        if step not in tasks:
            tasks[step] = progress.add_task(step, total=total)
        progress.update(tasks[step], completed=done)
        if step == "store" and done == total:
            progress.stop()

    return update, progress


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="KG_DATA_DIR",
              default=None, help="Where the store lives (default: build/ in the project).")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """Knowledge graph of strategic partnerships in official statistics and their legal frameworks."""
    ctx.obj = {"data_dir": data_dir or default_data_dir()}


def _data_dir() -> Path:
    return click.get_current_context().obj["data_dir"]


@main.command()
@click.option("--full-validation", is_flag=True,
              help="Validate the whole graph, not only the files changed since the previous build.")
def build(full_validation: bool = False) -> None:
    """Load ontology/ and data/, validate, infer, and swap in a new store (all or nothing).

    When a store exists, only the files changed since it was built are validated (with the
    resources they can affect elsewhere); the report is the same as a whole-graph validation's."""
    from .importer import ImportError_
    from .pipeline import BuildFailed, build as run_build
    from .store import BuildLocked, StoreWriteError
    from .validation import format_report

    update, progress = _progress()
    try:
        summary = run_build(_data_dir(), progress=update, full_validation=full_validation)
    except BuildLocked as exc:
        raise Failure(str(exc)) from None
    except (LoadError, StoreWriteError, ImportError_) as exc:
        raise Failure(f"{exc}\nNothing was written; the previous store is unchanged.") from None
    except BuildFailed as exc:
        click.echo(format_report(exc.report, show_warnings=False), err=True)
        if exc.validation is not None:
            click.echo(f"({exc.validation.describe()})", err=True)
        raise Failure("validation failed: nothing was written; the previous store is unchanged.") from None
    finally:
        progress.stop()
    ontology = sum(1 for g in summary.graphs if "/graph/ontology/" in g)
    click.echo(f"Loaded {summary.files} files ({ontology} ontology, {summary.files - ontology} data): {summary.triples:,} triples")
    click.echo(f"Validated: {len(summary.report.violations)} violations, {len(summary.report.warnings)} warnings"
               + (" (`kg validate` lists them)" if summary.report.warnings else "") + f"; {summary.validation.describe()}")
    click.echo(f"Inferred {summary.inferred.total:,} triples in {summary.inferred.rounds} rounds "
               f"({', '.join(f'{k} {v}' for k, v in summary.inferred.added.items())})")
    click.echo(f"Answers of {len(summary.answers)} canned queries kept for their pages "
               f"({sum(summary.answers.values()):,} rows, {summary.answers_seconds:.1f} s; kg/answers.py)")
    click.echo(f"Store: {summary.store_path} (built in {summary.seconds:.1f} s)")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--warnings/--no-warnings", default=True, help="Show warnings as well as violations.")
@click.option("--incremental", is_flag=True,
              help="Validate FILES as a change to the built store: only the resources the change can affect, "
                   "with only the data the shapes reach (also reports resources of other files it breaks).")
def validate(files: tuple[Path, ...], warnings: bool, incremental: bool) -> None:
    """Validate FILES (default: everything) with the shapes, together with the rest of the graph."""
    from .pipeline import check, load
    from .validation import Report, format_report

    if incremental:
        if not files:
            raise click.UsageError("--incremental needs the FILES that changed")
        report = _validate_incremental(files)
        if report is not None:
            click.echo(format_report(report, show_warnings=warnings))
            if not report.conforms:
                raise click.exceptions.Exit(1)
            return
        click.echo("Incremental validation does not apply (see above); validating everything.", err=True)
    sources = discover()
    wanted = set()
    try:
        for f in files:
            extra = source_for(f)
            sources = [s for s in sources if s.path != extra.path] + [extra]
            wanted.add(str(extra.path))
        report = check(load(sources))
    except LoadError as exc:
        raise Failure(str(exc)) from None
    if wanted:
        report = Report([r for r in report.results if r.file in wanted])
    click.echo(format_report(report, show_warnings=warnings))
    if not report.conforms:
        raise click.exceptions.Exit(1)


def _validate_incremental(files: tuple[Path, ...]):
    """Report of kg.validation.IncrementalValidator for FILES against the built store (None: fall back)."""
    from collections import defaultdict

    from .sources import parse
    from .store import StoreMissing, open_store
    from .validation import IncrementalUnsupported, graph_files, validate_incremental

    try:
        store = open_store(_data_dir())
    except StoreMissing as exc:
        raise Failure(f"{exc} (incremental validation checks a change against the built store)") from None
    changes: dict[str, list] = defaultdict(list)
    files_by_subject: dict[str, str] = {}
    try:
        for f in files:
            source = source_for(f)
            changes[source.graph]  # the file's graph is replaced even if the file now names others only
            for q in parse(source):
                changes[q.graph_name.value].append(q)
                if isinstance(q.subject, ox.NamedNode):
                    files_by_subject.setdefault(q.subject.value, str(source.path))
    except LoadError as exc:
        raise Failure(str(exc)) from None
    try:
        report = validate_incremental(store, dict(changes), files_by_subject=files_by_subject)
    except IncrementalUnsupported as exc:
        click.echo(f"Incremental validation: {exc}.", err=True)
        return None
    from dataclasses import replace

    from .validation import Report

    sources = graph_files(store)  # name the file of resources the change breaks elsewhere
    results = []
    for r in report.results:
        if r.file is None and r.focus.startswith(("http:", "https:")):
            graph = next((q.graph_name.value for q in store.quads_for_pattern(ox.NamedNode(r.focus), None, None, None)
                          if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in sources), None)
            r = replace(r, file=str(project_root() / sources[graph])) if graph else r
        results.append(r)
    return Report(results)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def reason(files: tuple[Path, ...]) -> None:
    """Check with HermiT that the ontology and data (plus FILES) are consistent; classify defined classes."""
    from .pipeline import load
    from .reasoning import ReasonerUnavailable, check_consistency, materialise

    try:
        sources = discover() + [source_for(f) for f in files]
        loaded = load(sources)
    except LoadError as exc:
        raise Failure(str(exc)) from None
    triples = {ox.Triple(q.subject, q.predicate, q.object) for s in loaded.sources for q in loaded.quads[s]}
    try:
        report = check_consistency(triples)
    except ReasonerUnavailable as exc:
        raise Failure(str(exc)) from None
    if not report.consistent:
        raise Failure(f"HermiT: INCONSISTENT. {report.explanation}")
    click.echo(f"HermiT: the ontology and data ({len(triples):,} triples) are consistent.")
    store = ox.Store()
    store.extend(q for s in loaded.sources for q in loaded.quads[s])
    rules = materialise(store)
    for cls, members in report.classified.items():
        by_rules = {row["x"].value for row in store.query(f"SELECT ?x WHERE {{ ?x a <{cls}> }}", use_default_graph_as_union=True)}
        agree = "agree" if by_rules == members else f"DISAGREE ({len(by_rules)} by rules)"
        click.echo(f"  {cls.split('#')[-1]}: {len(members)} classified by HermiT; the OWL RL rules {agree}")
    click.echo(f"OWL RL rules would add {rules.total:,} triples in {rules.rounds} rounds.")


def _open_store():
    from .store import StoreMissing, open_store

    try:
        return open_store(_data_dir())
    except StoreMissing:
        click.echo("No store yet: building it first.", err=True)
        click.get_current_context().invoke(build)
        return open_store(_data_dir())


@main.command()
@click.argument("name", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE", help="Bind a query parameter (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "xml"]), default="table", show_default=True)
@click.option("--list", "list_", is_flag=True, help="List the canned queries with their parameters.")
@click.option("--endpoint", metavar="URL", help="Run the query on this remote SPARQL endpoint instead of the local store.")
@click.option("--all-graphs", is_flag=True, help="With --endpoint: query the union of the endpoint's named graphs "
              "(for stores whose default graph is not that union).")
@click.option("--user", metavar="NAME", help="With --endpoint: user name (password from KG_ENDPOINT_PASSWORD).")
@click.option("--auth", "auth_scheme", type=click.Choice(["basic", "digest"]), default="basic", show_default=True,
              help="With --user: HTTP authentication scheme.")
@click.option("--limit", type=click.IntRange(min=0), metavar="N",
              help="Page size: at most N rows (default: the query's page size, `# page: N` in its header; 0: every row).")
@click.option("--offset", type=click.IntRange(min=0), default=0, metavar="M", help="Skip the first M rows (the next page: M + N).")
@click.option("--all", "all_rows", is_flag=True, help="Every row, not a page (the same as --limit 0).")
def query(name: str | None, params: tuple[str, ...], fmt: str, list_: bool, endpoint: str | None = None,
          all_graphs: bool = False, user: str | None = None, auth_scheme: str = "basic", limit: int | None = None,
          offset: int = 0, all_rows: bool = False) -> None:
    """Run a canned query NAME (from queries/) or a FILE.rq.

    Listing queries (a `# page: N` line in their header) give a page of N rows; --offset M gives the
    rows from M on, --limit changes the page size, --all (or --limit 0) gives every row."""
    from dataclasses import replace

    from . import queries

    if list_ or not name:
        for q in queries.discover().values():
            click.echo(f"{q.name}: {q.title}" + (f" (pages of {q.page} rows)" if q.page else ""))
            for p in q.params:
                click.echo(f"    --param {p.name}=<{p.type}>  {p.description}" + (f" (default {p.default})" if p.default else ""))
        return
    if all_rows and limit:
        raise click.UsageError("--all gives every row: leave out --limit (or use --limit 0)")
    given = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        given[key] = value
    try:
        canned = queries.resolve(name)
        page = None if all_rows or limit == 0 else (limit if limit is not None else canned.page)
        if endpoint:
            from .remote import RemoteError, run_remote
            try:
                result = run_remote(endpoint, replace(canned, text=queries.paged(canned.text, page, offset)), given,
                                    auth=_auth(user, auth_scheme), all_graphs=all_graphs)
            except RemoteError as exc:
                raise Failure(str(exc)) from None
        else:
            from .store import current_path

            store = _open_store()  # a page the build computed comes from the store's answers (kg.answers)
            result = queries.run(store, canned, given, limit=page, offset=offset, answers_in=current_path(_data_dir()))
        is_select = isinstance(result, ox.QuerySolutions)
        text = queries.format_result(result, fmt)
        click.echo(text, nl=False)
        if page is not None and is_select and queries.count_rows(text, fmt) >= page:
            click.echo(f"Rows {offset + 1}-{offset + page}, a page of {page}: more may follow "
                       f"(--offset {offset + page} for the next page, --all for every row).", err=True)
    except queries.QueryError as exc:
        raise Failure(str(exc)) from None


@main.command()
@click.option("--format", "fmt", type=click.Choice(["ttl", "nt", "nq", "trig", "jsonld", "rdfxml", "csv"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output).")
@click.option("--include-inferred", is_flag=True, help="Also export the inferred and provenance graphs.")
def export(fmt: str, out: Path | None, include_inferred: bool) -> None:
    """Dump the graph in an RDF format, or the partnership cases as CSV (`kg import` reads it back)."""
    from .export import export as run_export

    store = _open_store()
    if fmt == "csv":  # the cases, one row each, in the columns of `kg import`
        from .export import NotExportable, export_cases_csv

        try:
            text = export_cases_csv(store)
        except NotExportable as exc:  # something the CSV columns cannot carry back: named, nothing written
            raise Failure(f"{exc}; nothing was written") from None
        if out:
            tmp = out.with_name(out.name + ".part")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(out)
            click.echo(f"Wrote {text.count(chr(10)) - 1:,} cases to {out}", err=True)
        else:
            click.echo(text, nl=False)
        return
    if out:
        tmp = out.with_name(out.name + ".part")
        n = run_export(store, fmt, tmp, include_inferred)
        tmp.replace(out)
        click.echo(f"Wrote {n:,} statements to {out}", err=True)
    else:
        run_export(store, fmt, sys.stdout.buffer, include_inferred)


@main.command()
def stats() -> None:
    """Counts of triples, graphs and the main kinds of resource in the store."""
    store = _open_store()
    total = len(store)
    graphs = list(store.named_graphs())
    click.echo(f"{total:,} quads in {len(graphs)} named graphs")
    for label, cls in STATS_CLASSES:
        n = next(iter(store.query(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{cls}> }}", use_default_graph_as_union=True)))["n"].value
        click.echo(f"  {label:30} {int(n):>7,}")


# --- import-survey (survey of offices; kg/survey.py) ---
@main.command("import-survey")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and validate only; write nothing.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for SURVEY-ID.ttl (default: data/survey/ in the project).")
@click.option("--survey", "survey_id", default="ces-strategic-partnerships", show_default=True,
              help="The survey the responses answer (described in data/concept-note/survey.ttl).")
def import_survey(file: Path, dry_run: bool, out_dir: Path | None, survey_id: str) -> None:
    """Import survey responses from FILE.csv (one row per office; see kg/survey.py), all or nothing."""
    from .survey import SurveyImportError, import_survey as run_import

    try:
        result = run_import(file, survey_id=survey_id, out_dir=out_dir, dry_run=dry_run)
    except SurveyImportError as exc:
        raise Failure(str(exc)) from None
    n = len(result.responses)
    done = f"wrote {result.target}" if result.written else f"dry run: would write {result.target}"
    click.echo(f"{n} response{'s' * (n != 1)} to survey {result.survey} valid; {done}")
# --- end import-survey ---


# --- serve (kg/server/) ---
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Data directory of the store (default: --data-dir, KG_DATA_DIR or build/); built if missing.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1, None),
              help="Seconds a SPARQL query may run before it is stopped (answered with 503).")
@click.option("--max-rows", default=10_000, show_default=True, type=click.IntRange(1, None),
              help="Most rows (or triples) a query result may hold; longer results are truncated.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Query worker processes (default: 2 per CPU core + 2, from 4 to 8).")
@click.option("--base", default=None, help="Canonical IRI base served at the site root (default: https://w3id.org/nso-partnership/).")
@click.option("--allow-service", multiple=True, metavar="IRI",
              help="Endpoint a query may call with SERVICE (repeatable). Without it federated query is refused.")
@click.option("--cache-mb", default=32, show_default=True, type=click.IntRange(0, 65536),
              help="Memory for answers to repeated /sparql requests on the current store (0: no cache).")
def serve(host: str, port: int, store_dir: Path | None, timeout: float, max_rows: int, workers: int | None,
          base: str | None, allow_service: tuple[str, ...], cache_mb: int) -> None:
    """Serve the linked-data site and the read-only SPARQL endpoint (Ctrl-C stops)."""
    from . import BASE
    from .server import serve as run_server

    if store_dir is not None:
        click.get_current_context().obj["data_dir"] = store_dir
    _open_store()  # builds the store first if there is none
    run_server(_data_dir(), host=host, port=port, timeout=timeout, max_rows=max_rows, workers=workers, base=base or BASE,
               allow_service=allow_service, cache_mb=cache_mb)
# --- end serve ---


# --- push (kg/remote.py) ---
def _auth(user: str | None, scheme: str):
    """Credentials for a remote store: a user (password from KG_ENDPOINT_PASSWORD) or KG_ENDPOINT_TOKEN."""
    import os

    from .remote import Auth

    token = os.environ.get("KG_ENDPOINT_TOKEN")
    if not user and not token:
        return None
    return Auth(user=user, password=os.environ.get("KG_ENDPOINT_PASSWORD"), scheme=scheme, token=None if user else token)


@main.command()
@click.option("--endpoint", required=True, metavar="URL", help="SPARQL query endpoint of the remote store (used to check the upload).")
@click.option("--graph-store", metavar="URL", help="Graph Store Protocol URL (default: Oxigraph's, the endpoint with /query -> /store).")
@click.option("--batch", default=200_000, show_default=True, type=click.IntRange(1000, None), help="Most triples per request.")
@click.option("--user", metavar="NAME", help="User name (password from KG_ENDPOINT_PASSWORD; or a token in KG_ENDPOINT_TOKEN).")
@click.option("--auth", "auth_scheme", type=click.Choice(["basic", "digest"]), default="basic", show_default=True,
              help="With --user: HTTP authentication scheme.")
@click.option("--check/--no-check", default=True, help="Count each graph on the endpoint after the upload.")
def push(endpoint: str, graph_store: str | None, batch: int, user: str | None, auth_scheme: str, check: bool) -> None:
    """Upload every named graph of the store to a remote store (Graph Store Protocol PUT: replaces each graph)."""
    from rich.progress import Progress

    from .remote import RemoteError, graph_store_url, push as run_push, remote_graph_counts

    store = _open_store()
    auth = _auth(user, auth_scheme)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("push", total=None)

        def progress(graph: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=graph.rsplit("/graph/", 1)[-1][:40])

        try:
            summary = run_push(store, graph_store_url(endpoint, graph_store), auth=auth, batch=batch, progress=progress)
            counts = remote_graph_counts(endpoint, auth) if check else {}
        except RemoteError as exc:
            raise Failure(str(exc)) from None
    click.echo(f"Pushed {summary.triples:,} triples in {len(summary.graphs)} graphs ({summary.requests} requests)")
    if check:
        wrong = {g: (n, counts.get(g, 0)) for g, n in summary.graphs.items() if g and counts.get(g, 0) != n}
        if wrong:
            for g, (n, m) in sorted(wrong.items()):
                click.echo(f"  {g}: {n:,} pushed, {m:,} on the endpoint", err=True)
            raise Failure(f"{len(wrong)} graphs differ on {endpoint}")
        click.echo(f"Checked: every graph on {endpoint} holds the triples pushed")
# --- end push ---


# --- analysis: report gap-analysis, links (suggest, accept), network, compare (kg/analysis/cli.py) ---
from .analysis.cli import register as _register_analysis  # noqa: E402

_register_analysis(main)
# --- end analysis ---


# --- import (partnership cases; kg/importer.py) ---
@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and validate; print what would be written; write nothing.")
@click.option("--allow-new-organisations", is_flag=True,
              help="Mint organisations the graph does not know (added to data/organisations.ttl) instead of failing.")
@click.option("--suggest", is_flag=True,
              help="Print keyword proposals (roles, direction, data-source types, categories, agreements, laws) "
                   "with the words that triggered each, for a curator to check; write nothing.")
def import_cases(file: Path, dry_run: bool, allow_new_organisations: bool, suggest: bool) -> None:
    """Import partnership cases from FILE.csv (or .xlsx), in the columns `kg export --format csv` writes
    or the cases dossier's: one data/cases/ID.ttl per row, validated with the rest of the graph, written
    all or nothing. Only what a row states is written (docs/importing.md)."""
    from .importer import ImportError_, planned_files, run_import, write_all
    from .sources import LoadError

    root = project_root()
    if suggest:  # proposals only: reads the file and the graph, writes nothing
        from .suggest import suggest_file

        try:
            lines = suggest_file(file, root)
        except (ImportError_, LoadError) as exc:
            raise Failure(str(exc)) from None
        click.echo("\n".join(lines))
        click.echo("Proposals from keywords, not facts: write into the row only what the sources say. Nothing was written.", err=True)
        return
    try:
        result = run_import(file, root, allow_new=allow_new_organisations)
    except (ImportError_, LoadError) as exc:
        raise Failure(str(exc)) from None
    for warning in result.row_warnings:  # kept, but said aloud (e.g. a case without statistical office)
        click.echo(str(warning), err=True)
    if not result.ok:
        for problem in result.problems:
            click.echo(str(problem), err=True)
        rows = len({p.row for p in result.problems})
        raise Failure(f"{len(result.problems)} problem{'s' * (len(result.problems) != 1)} in {rows} row{'s' * (rows != 1)}: nothing was written.")
    files = planned_files(result, root)
    for case in result.cases:
        for note in case.notes:
            click.echo(f"row {case.row} ({case.case_id}): note: {note}", err=True)
    verb = "would write" if dry_run else "wrote"
    for path in files:
        click.echo(f"{verb} {path.relative_to(root) if path.is_relative_to(root) else path}")
    if not dry_run:
        try:
            write_all(files, root)
        except ImportError_ as exc:
            raise Failure(str(exc)) from None
    click.echo(f"{len(result.cases)} case{'s' * (len(result.cases) != 1)} valid ({result.warnings} warnings"
               + (", `kg validate` lists them" if result.warnings else "") + ")"
               + ("; dry run: nothing was written." if dry_run else "; run `kg build` to load them."), err=True)
# --- end import ---


if __name__ == "__main__":
    main()
