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
def build() -> None:
    """Load ontology/ and data/, validate, infer, and swap in a new store (all or nothing)."""
    from .pipeline import BuildFailed, build as run_build
    from .validation import format_report

    update, progress = _progress()
    try:
        summary = run_build(_data_dir(), progress=update)
    except LoadError as exc:
        raise Failure(f"{exc}\nNothing was written; the previous store is unchanged.") from None
    except BuildFailed as exc:
        click.echo(format_report(exc.report, show_warnings=False), err=True)
        raise Failure("validation failed: nothing was written; the previous store is unchanged.") from None
    finally:
        progress.stop()
    ontology = sum(1 for g in summary.graphs if "/graph/ontology/" in g)
    click.echo(f"Loaded {summary.files} files ({ontology} ontology, {summary.files - ontology} data): {summary.triples:,} triples")
    click.echo(f"Validated: {len(summary.report.violations)} violations, {len(summary.report.warnings)} warnings"
               + (" (`kg validate` lists them)" if summary.report.warnings else ""))
    click.echo(f"Inferred {summary.inferred.total:,} triples in {summary.inferred.rounds} rounds "
               f"({', '.join(f'{k} {v}' for k, v in summary.inferred.added.items())})")
    click.echo(f"Store: {summary.store_path} (built in {summary.seconds:.1f} s)")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--warnings/--no-warnings", default=True, help="Show warnings as well as violations.")
def validate(files: tuple[Path, ...], warnings: bool) -> None:
    """Validate FILES (default: everything) with the shapes, together with the rest of the graph."""
    from .pipeline import check, load
    from .validation import Report, format_report

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
def query(name: str | None, params: tuple[str, ...], fmt: str, list_: bool) -> None:
    """Run a canned query NAME (from queries/) or a FILE.rq."""
    from . import queries

    if list_ or not name:
        for q in queries.discover().values():
            click.echo(f"{q.name}: {q.title}")
            for p in q.params:
                click.echo(f"    --param {p.name}=<{p.type}>  {p.description}" + (f" (default {p.default})" if p.default else ""))
        return
    given = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        given[key] = value
    try:
        canned = queries.resolve(name)
        result = queries.run(_open_store(), canned, given)
        click.echo(queries.format_result(result, fmt), nl=False)
    except queries.QueryError as exc:
        raise Failure(str(exc)) from None


@main.command()
@click.option("--format", "fmt", type=click.Choice(["ttl", "nt", "nq", "trig", "jsonld", "rdfxml"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output).")
@click.option("--include-inferred", is_flag=True, help="Also export the inferred and provenance graphs.")
def export(fmt: str, out: Path | None, include_inferred: bool) -> None:
    """Dump the graph in an RDF format."""
    from .export import export as run_export

    store = _open_store()
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


if __name__ == "__main__":
    main()
