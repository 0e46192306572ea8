"""The analysis commands of `kg`: report gap-analysis, links (suggest, accept, --elements), network,
compare, audit, profile.
Registered on the main group by kg/cli.py (one line there, so parallel edits do not collide)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import project_root


def _store():
    from ..cli import _open_store
    return _open_store()


def _failure(message: str) -> click.ClickException:
    from ..cli import Failure
    return Failure(message)


@click.group()
def report() -> None:
    """Reports for the task force (HTML with inline SVG charts, and Markdown)."""


@report.command("gap-analysis")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory to write gap-analysis.html, gap-analysis.md and charts/ (default: build/reports).")
@click.option("--query-base", default=None, metavar="URL",
              help="Link numbers to URL + query name (e.g. http://localhost:8000/queries/); "
                   "default: the query's text in the report's appendix.")
def gap_analysis(out_dir: Path | None, query_base: str | None) -> None:
    """Overview of difficulties (gap analysis): difficulties, outcomes, lessons, legal gaps, principles."""
    from ..queries import QueryError
    from .gap import collect, write_gap_report

    store = _store()
    out_dir = out_dir or click.get_current_context().find_root().obj["data_dir"] / "reports"
    try:
        written = write_gap_report(store, out_dir, query_base=query_base)
        data = collect(store)
    except QueryError as exc:
        raise _failure(str(exc)) from None
    s = data.summary
    click.echo(f"Gap analysis: {s.get('cases', 0)} cases, {s.get('difficulties', 0)} difficulties, "
               f"{s.get('lessons', 0)} lessons, {len(data.without_basis())} cases without legal basis or agreement, "
               f"{len(data.private_no_statute())} countries with successful private-data cases but no statutory basis")
    click.echo(f"Wrote {written['html']}")
    click.echo(f"Wrote {written['md']} (+ {sum(1 for k in written if k.startswith('chart:'))} SVG charts)")


@click.group(invoke_without_command=True)
@click.option("--graphml", type=click.Path(dir_okay=False, path_type=Path), help="Write the law graph as GraphML.")
@click.option("--gexf", type=click.Path(dir_okay=False, path_type=Path), help="Write the law graph as GEXF (Gephi).")
@click.option("--coverage-csv", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the coverage matrix (jurisdiction x Generic Law article) as CSV.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True,
              help="csv: with --elements only (one row per article link).")
@click.option("--top", default=10, show_default=True, help="How many most cited provisions to list.")
@click.option("--elements", "by_element", is_flag=True,
              help="The comparative table jurisdiction x element of statistical legislation instead: each cell the "
                   "articles tagged with the element, with basis and evidence level.")
@click.option("--element", default=None, metavar="E", help="With --elements: one element (e.g. statistical-confidentiality).")
@click.option("--country", default=None, metavar="ISO3", help="With --elements: one jurisdiction (ISO3 code or name).")
@click.pass_context
def links(ctx: click.Context, graphml: Path | None, gexf: Path | None, coverage_csv: Path | None, fmt: str, top: int,
          by_element: bool, element: str | None, country: str | None) -> None:
    """Law links: laws, articles and their relations; Generic Law coverage (through mappings, else through
    the elements of statistical legislation); amendment chains; citations. With --elements: the comparative
    table jurisdiction x element.

    Subcommands `suggest` and `accept` propose and review mappings to the Generic Law."""
    if ctx.invoked_subcommand is not None:
        return
    from . import links as L

    if by_element:
        _element_table(fmt, element, country)
        return
    if element or country:
        raise click.UsageError("--element and --country go with --elements")
    if fmt == "csv":
        raise click.UsageError("--format csv goes with --elements (the coverage matrix has --coverage-csv)")
    lk = L.read(_store())
    L.export(lk, graphml, gexf)
    juris, arts, matrix = L.coverage(lk, via_elements=True)
    through = L.element_counterparts(lk)
    nat_alone, model_alone = L.without_counterpart(lk)
    chains = L.amendment_chains(lk)
    cited = L.most_cited(lk, top)
    if coverage_csv:
        import csv
        coverage_csv.parent.mkdir(parents=True, exist_ok=True)
        with open(coverage_csv, "w", newline="", encoding="utf-8") as handle:
            w = csv.writer(handle)
            w.writerow(["jurisdiction"] + [lk.resources[a]["number"] or a for a in arts])
            for j in juris:
                w.writerow([L.iso3(j)] + [matrix[(j, a)] for a in arts])
    relations: dict[str, int] = {}
    for _, _, d in lk.graph.edges(data=True):
        relations[d["relation"]] = relations.get(d["relation"], 0) + 1
    if fmt == "json":
        click.echo(json.dumps({
            "nodes": lk.graph.number_of_nodes(), "edges": relations,
            "coverage": {"jurisdictions": [L.iso3(j) for j in juris], "articles": arts,
                         "cells": {L.iso3(j): {a: matrix[(j, a)] for a in arts} for j in juris},
                         "via_element": {L.iso3(j): {a: through[(j, a)] for a in arts if matrix[(j, a)] == L.VIA_ELEMENT}
                                         for j in juris if any(matrix[(j, a)] == L.VIA_ELEMENT for a in arts)},
                         "note": "mapped / partly mapped: a direct provision mapping; via element: no mapping, but the "
                                 "jurisdiction has an article tagged with an element the Generic Law article is tagged "
                                 "with (listed under via_element); missing: neither"},
            "national_articles_without_counterpart": nat_alone, "model_articles_without_counterpart": model_alone,
            "amendment_chains": chains, "most_cited": cited}, indent=1))
        return
    kinds: dict[str, int] = {}
    for _, d in lk.graph.nodes(data=True):
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    click.echo(f"Law graph: {lk.graph.number_of_nodes()} nodes ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}), "
               f"{lk.graph.number_of_edges()} edges ({', '.join(f'{k} {v}' for k, v in sorted(relations.items()))})")
    click.echo(f"\nCoverage of the Generic Law ({len(juris)} jurisdictions x {len(arts)} articles; "
               "# mapped, ~ partly mapped, e via element, . missing):")
    click.echo("  (# and ~ come from direct provision mappings; e: no mapping, but the jurisdiction has an article "
               "tagged with an element the Generic Law article is tagged with)")
    head = "     " + " ".join(f"{(lk.resources[a]['number'] or '?'):>4}" for a in arts)
    click.echo(head)
    symbol = {L.MAPPED: "#", L.PARTLY: "~", L.VIA_ELEMENT: "e", L.MISSING: "."}
    for j in juris:
        click.echo(f"{L.iso3(j):<5}" + " ".join(f"{symbol[matrix[(j, a)]]:>4}" for a in arts))
    counts = {s: sum(1 for v in matrix.values() if v == s) for s in (L.MAPPED, L.PARTLY, L.VIA_ELEMENT, L.MISSING)}
    click.echo("  " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    def via(a: str) -> str:
        found = [L.iso3(j) for j in juris if matrix[(j, a)] == L.VIA_ELEMENT]
        return f" (via element: {', '.join(found)})" if found else ""

    click.echo(f"\nGeneric Law articles no national article is mapped to: {len(model_alone)}"
               + "".join(f"\n  art. {lk.resources[a]['number']} {lk.resources[a]['title'] or ''}{via(a)}" for a in model_alone))
    by_j: dict[str, int] = {}
    for a in nat_alone:
        j = L.iso3(lk.resources[a]["jurisdiction"])
        by_j[j] = by_j.get(j, 0) + 1
    click.echo(f"National articles with no Generic Law counterpart: {len(nat_alone)} of {len(lk.national_articles())}"
               + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(by_j.items())) + ")" if by_j else ""))
    click.echo(f"\nAmendment chains ({len(chains)} amended acts):")
    for c in chains:
        click.echo(f"  {c['jurisdiction']} {c['title']}")
        for step in c["amended_by"]:
            arts_ = f" [art./s. {', '.join(step['articles'])}]" if step["articles"] else ""
            click.echo(f"    <- {step['date']} {step['title']}{arts_}")
        for chain in c["chains"]:
            click.echo("    chain: " + " -> ".join(L._title(lk, x) for x in chain))
    click.echo(f"\nMost cited provisions (top {top}):")
    for r in cited:
        click.echo(f"  {r['total']:>3}  {r['label']}  ({', '.join(f'{k} {v}' for k, v in sorted(r['by'].items()))})")
    for path in (graphml, gexf, coverage_csv):
        if path:
            click.echo(f"Wrote {path}", err=True)


def _element_table(fmt: str, element: str | None, country: str | None) -> None:
    """kg links --elements: the comparative table jurisdiction x element in text, CSV or JSON."""
    from . import links as L
    from .compare import UnknownCountry, resolve_country

    store = _store()
    try:
        element_iri = L.resolve_element(store, element) if element else None
        country_iri = resolve_country(store, country)[0] if country else None
    except L.UnknownElement as exc:
        raise click.BadParameter(str(exc), param_hint="--element") from None
    except UnknownCountry as exc:
        raise click.BadParameter(str(exc), param_hint="--country") from None
    table = L.element_table(store, element=element_iri, country=country_iri)
    if fmt == "json":
        click.echo(json.dumps(table.as_json(), indent=1, ensure_ascii=False))
    elif fmt == "csv":
        L.write_element_csv(table, sys.stdout)
    else:
        click.echo(L.render_element_text(table), nl=False)


@links.command("suggest")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Review CSV to write (default: build/link-suggestions.csv).")
def links_suggest(out: Path | None) -> None:
    """Suggest mappings national article -> Generic Law article, ranked with the reason, into a review CSV.

    Nothing enters the graph: mark rows accept=yes with your name in `reviewer`, then `kg links accept FILE`."""
    from . import links as L

    lk = L.read(_store())
    suggestions = L.suggest(lk)
    out = out or click.get_current_context().find_root().obj["data_dir"] / "link-suggestions.csv"
    L.write_suggestions(lk, suggestions, out)
    click.echo(f"Wrote {len(suggestions)} suggestions to {out} (review them: accept=yes, reviewer=NAME; "
               "then `kg links accept FILE`). Nothing was added to the graph.")


@links.command("accept")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Turtle file under data/laws/ to append to (default: data/laws/int-glos-mappings-reviewed.ttl).")
def links_accept(file: Path, out: Path | None) -> None:
    """Turn rows marked accept=yes (with a reviewer) into assessed provision mappings (all or nothing).

    They are validated with the whole graph and written under data/laws/; they enter the store on the next `kg build`."""
    from . import links as L

    try:
        path, iris = L.accept(file, _store(), project_root(), out)
    except L.ReviewError as exc:
        raise _failure(str(exc)) from None
    click.echo(f"Wrote {len(iris)} provision mapping(s) to {path}; run `kg build` to load them.")


@click.command()
@click.option("--graphml", type=click.Path(dir_okay=False, path_type=Path), help="Write the organisation-case graph as GraphML.")
@click.option("--gexf", type=click.Path(dir_okay=False, path_type=Path), help="Write it as GEXF (Gephi).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write node-link JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML page with the graph drawn as SVG.")
@click.option("--top", default=10, show_default=True, help="How many partners to rank.")
def network(graphml: Path | None, gexf: Path | None, json_path: Path | None, html_path: Path | None, top: int) -> None:
    """Partnership network: who partners with whom, across countries; centrality; components."""
    from . import network as N

    net = N.read(_store())
    N.export(net, graphml, gexf, json_path)
    if html_path:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(N.render_network_page(net), encoding="utf-8")
    comps = N.components(net)
    cross = N.cross_country(net)
    click.echo(f"Partnership network: {len(net.organisations())} organisations, {len(net.cases())} cases, "
               f"{net.partners.number_of_edges()} partner pairs ({len(cross)} across countries), "
               f"{len(comps)} connected components")
    if comps:
        click.echo("Largest components: " + "; ".join(
            f"{len(c['organisations'])} organisations / {len(c['cases'])} cases ("
            + (", ".join(c["countries"][:8]) + (f" and {len(c['countries']) - 8} more" if len(c["countries"]) > 8 else "") or "-")
            + ")"
            for c in comps[:5]))
    click.echo(f"\n{'organisation':<45} {'sector':<26} {'ctry':<5} {'partners':>8} {'cases':>6} {'betweenness':>11}")
    for r in N.centrality(net, top):
        click.echo(f"{r['label'][:45]:<45} {(r['sector'] or r['kind'])[:26]:<26} {r['country']:<5} "
                   f"{r['partners']:>8} {r['cases']:>6} {r['betweenness']:>11.3f}")
    if cross:
        click.echo("\nPartners across countries:")
        for r in cross[:top]:
            click.echo(f"  {r['a_label']} ({r['a_country']}) - {r['b_label']} ({r['b_country']}): {len(r['cases'])} case(s)")
    for path in (graphml, gexf, json_path, html_path):
        if path:
            click.echo(f"Wrote {path}", err=True)


@click.command()
@click.argument("countries", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table", show_default=True)
def compare(countries: tuple[str, ...], fmt: str) -> None:
    """Compare countries side by side (ISO3 codes or names): private data, administrative data,
    microdata and international sharing, with articles, confidence and sources."""
    from . import compare as C

    if len(countries) < 1:
        raise click.UsageError("give at least one country")
    try:
        views = C.compare(_store(), list(countries))
    except C.UnknownCountry as exc:
        raise click.BadParameter(str(exc), param_hint="COUNTRIES") from None
    if fmt == "json":
        click.echo(json.dumps(C.as_dict(views), indent=1))
        return
    if fmt == "markdown":
        click.echo(C.as_markdown(views), nl=False)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_lines=True, header_style="bold")
    table.add_column("topic", overflow="fold")
    for v in views:
        table.add_column(f"{v.label} ({v.iso3})", overflow="fold")
    for t, label in C.TOPICS:
        table.add_row(label, *[escape(C.cell_text(v.topics[t])) for v in views])
    console = Console(width=max(120, 60 * len(views) + 25), file=sys.stdout, soft_wrap=False)
    console.print(table)
    click.echo("* = article the recorded position rests on; [text-read/secondary/recalled] = level of its evidence")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Exit 1 when evidence breaks a rule (names another provision than its "
                                              "fact, or is text-read without a quote or the provision read).")
def audit(fmt: str, strict: bool) -> None:
    """Evidence audit: facts by evidence level per jurisdiction and per case, positions resting only on
    secondary or recalled evidence, evidence naming another provision, text-read evidence without a quote."""
    from . import audit as A

    result = A.collect(_store())
    click.echo(json.dumps(result.as_json(), indent=1, ensure_ascii=False) if fmt == "json" else A.render_text(result))
    if strict and result.problems:
        raise _failure(f"{result.problems} evidence node(s) break the evidence rules (docs/evidence.md)")


@click.command()
@click.argument("country")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def profile(country: str, fmt: str) -> None:
    """A jurisdiction's profile (ISO3 code or name): its laws (article counts, complete article list or not),
    statistical office, element coverage, positions with articles and evidence level, amendment timeline, cases."""
    from . import profile as P
    from .compare import UnknownCountry

    try:
        p = P.collect(_store(), country)
    except UnknownCountry as exc:
        raise click.BadParameter(str(exc), param_hint="COUNTRY") from None
    click.echo(json.dumps(p.as_json(), indent=1, ensure_ascii=False) if fmt == "json" else P.render_text(p), nl=fmt == "json")


def register(main: click.Group) -> None:
    """Add the analysis commands to the `kg` group."""
    main.add_command(report)
    main.add_command(links)
    main.add_command(network)
    main.add_command(compare)
    main.add_command(audit)
    main.add_command(profile)
