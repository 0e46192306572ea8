"""A canned query against an earlier text of it, on one built store: same rows, and how long each takes.

    python -m bench.query_compare DATA_DIR NAME OLD.rq [--reps 9] [--root .] [--offset N | --page-number P]

Checks that the query NAME (queries/NAME.rq under --root) gives exactly the rows of OLD.rq, in the
same order, for the first page and for every row; then times both on the first page (the query's
`# page: N`, as `kg query` and the benchmark's kg-queries step run it), the two texts interleaved
(old, new, new, old, ...) so that a machine shared with other work slows both alike. Prints one JSON
object: rows, median and min of each in ms, and the ratio of the medians (old / new). With --offset N (or
--page-number P: offset (P-1) x page size) the page compared and timed starts at row N + 1 instead, as a
deep page link of the web page asks for it.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def answer(store, query, limit: int | None, offset: int = 0) -> tuple[list[str], list[tuple]]:
    """The variables and every row (terms in order) of a canned query or SPARQL text, or of a page."""
    from kg import queries

    result = queries.run(store, query, {}, limit=limit, offset=offset)
    variables = [v.value for v in result.variables]
    return variables, [tuple(solution[v] for v in variables) for solution in result]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("name")
    parser.add_argument("old", type=Path, help="the earlier text of the query (a .rq file)")
    parser.add_argument("--reps", type=int, default=9, help="runs of each text (interleaved)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--no-full", action="store_true", help="compare the first page only (every row can take long)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--offset", type=int, default=0, help="rows skipped before the page (default 0: the first page)")
    where.add_argument("--page-number", type=int, help="the page to compare and time (1 = the first; 50 = offset 49 x page size)")
    args = parser.parse_args()

    from kg import queries
    from kg.store import open_store

    store = open_store(args.data_dir)
    new = queries.resolve(args.name, args.root)
    old = queries.parse_header(args.old)
    page = new.page
    offset = (args.page_number - 1) * (page or 0) if args.page_number else args.offset
    same_page = answer(store, old, page, offset) == answer(store, new, page, offset)
    same_all = None if args.no_full else answer(store, old, None) == answer(store, new, None)
    times: dict[str, list[float]] = {"old": [], "new": []}
    for i in range(args.reps):
        for which in (("old", "new") if i % 2 == 0 else ("new", "old")):
            started = time.perf_counter()
            n = len(answer(store, old if which == "old" else new, page, offset)[1])
            times[which].append(time.perf_counter() - started)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({"query": args.name, "page": page, "offset": offset, "rows": n, "same_page": same_page, "same_all": same_all,
                      "old_median_ms": round(med["old"] * 1000, 1), "new_median_ms": round(med["new"] * 1000, 1),
                      "old_min_ms": round(min(times["old"]) * 1000, 1), "new_min_ms": round(min(times["new"]) * 1000, 1),
                      "ratio": round(med["old"] / med["new"], 1), "reps": args.reps}))


if __name__ == "__main__":
    main()
