"""Command line: ``python -m tpop_kb triage INPUT --as-of 2026-11-26T10:00 --output OUT.csv``.

Commands: ``triage`` (``--live`` asks La Poste's API for missing tracking
statuses when ``LAPOSTE_OKAPI_KEY`` is set), ``answer`` (one pasted order, as the
order assistant reads it; ``--json`` for the stable JSON form), ``info``, and
``check-article``
(has the published help article changed? exit 0 unchanged, 1 changed, 3
could not check), ``serve`` (the pages with Voila; ``--shared`` with a token), and
``events summary`` / ``events export`` (the learning loop's events, tpop_kb.events).

Argument parsing and printing only: reading, triage and texts come from the
same functions the pages use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from .knowledge import LANGUAGES, KnowledgeError, knowledge
from .orders import OrderFileError, parse_as_of, read_orders
from .serve import ServeError, serve
from .triage import OUTCOMES, triage_to_csv
from .workdays import calendar_version, now_paris

__all__ = ["main"]

EXIT_OK = 0
EXIT_CHANGED = 1
EXIT_INPUT = 2
EXIT_UNAVAILABLE = 3


def _as_of(text: str) -> dt.datetime:
    try:
        value = parse_as_of(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value is None:
        raise argparse.ArgumentTypeError("empty date")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tpop_kb",
        description="TPOP postal-tracking knowledge base: triage orders by the article's rules.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    triage = sub.add_parser(
        "triage",
        help="triage every order of a CSV or .xlsx file",
        description=(
            "Read orders (CSV with , ; or tab, UTF-8 or cp1252, or .xlsx), decide each "
            "order's next action, and write one result row per input row, in input order."
        ),
    )
    triage.add_argument(
        "input", metavar="INPUT", nargs="+",
        help="orders file (.csv or .xlsx); with --engine dask, one or more CSV or Parquet files",
    )
    triage.add_argument(
        "--as-of",
        type=_as_of,
        default=None,
        metavar="WHEN",
        help="the moment to judge at, Europe/Paris time: 2026-11-26T10:00 or 2026-11-26 "
        "(00:00); default: now",
    )
    triage.add_argument(
        "--output",
        "-o",
        default="-",
        metavar="OUT",
        help="where to write the result CSV; '-' (the default) is standard output",
    )

    triage.add_argument(
        "--engine",
        choices=("arrow", "dask", "pandas"),
        default="arrow",
        help="arrow (default): one process, the file read and triaged in Arrow columns "
        "('pandas' is its former name); dask: the same engine on Dask partitions, for very "
        "large or many files (CSV or Parquet); --output is then a folder of parts",
    )
    triage.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="with --engine dask: a Dask scheduler such as tcp://host:8786 (default: a local "
        "cluster)",
    )
    triage.add_argument(
        "--live",
        action="store_true",
        help="ask La Poste's tracking API (needs LAPOSTE_OKAPI_KEY) for the status of shipped "
        "orders whose file gives none; goes on offline, with a note, if the service fails",
    )

    one = sub.add_parser(
        "answer",
        help="answer for one pasted order (text, e-mail, tracking page, JSON...)",
        description=(
            "Read one pasted order (a file, or '-' for standard input) as the order "
            "assistant does, and print the fields read (value, source, certainty), the "
            "outcome, the questions still open, the dates, the links and the reply drafts. "
            "Exit status: 0 answered, 2 nothing usable in the paste."
        ),
    )
    one.add_argument("input", metavar="FILE", nargs="?", default="-",
                     help="the paste (UTF-8 text); '-' (the default) reads standard input")
    one.add_argument("--as-of", type=_as_of, default=None, metavar="WHEN",
                     help="the moment to judge at, Europe/Paris time (default: now)")
    one.add_argument("--lang", choices=LANGUAGES, default="fr",
                     help="language of the texts and drafts (default: fr)")
    one.add_argument("--json", action="store_true",
                     help="print the stable JSON form (schema tpop_kb.answer/1, see README)")

    sub.add_parser("info", help="show the knowledge base version and thresholds")

    pages = sub.add_parser(
        "serve",
        help="serve the pages with Voila (this machine, or --shared with a token)",
        description=(
            "Serve the pages with Voila, with the settings of voila.json (and, with "
            "--shared, of the shared server: token required, see docs/security.md). "
            "Without --shared: http://127.0.0.1:PORT only. With --shared the token comes "
            "from TPOP_KB_TOKEN (32 characters at least) or is generated and printed. "
            "Options after '--' go to Voila, e.g. -- --preheat_kernel=True --pool_size=4."
        ),
    )
    pages.add_argument("--shared", action="store_true",
                       help="serve to colleagues on the network, with a token")
    pages.add_argument("--host", default=None,
                       help="with --shared: the address to listen on (default 0.0.0.0)")
    pages.add_argument("--port", type=int, default=8866, help="the port (default 8866)")
    pages.add_argument("--pages", default=None, metavar="FOLDER",
                       help="a folder of pages to serve instead of the shipped ones")
    pages.add_argument("--dry-run", action="store_true",
                       help="print the address and the Voila command, do not start it")
    pages.add_argument("voila_args", nargs=argparse.REMAINDER, metavar="-- VOILA_OPTIONS",
                       help="options given to Voila as they are")

    check = sub.add_parser(
        "check-article",
        help="compare the published help article with the stored copy",
        description=(
            "Fetch the help article's public page, read its 'Updated on' date and text, and "
            "compare them with the stored copy. Exit status: 0 unchanged, 1 changed (the "
            "decision tree needs review), 3 could not check."
        ),
    )
    check.add_argument(
        "--url", default=None, help="the page to fetch (default: the article's source_url)"
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long to wait for the page (default: 5)",
    )
    ev = sub.add_parser("events", help="the learning loop's events: summary and export")
    ev_sub = ev.add_subparsers(dest="events_command", required=True, metavar="ACTION")
    ev_summary = ev_sub.add_parser("summary", help="answers, outcomes, paths and feedback")
    ev_summary.add_argument("--since", default=None, metavar="DATE",
                            help="only events from this day on (YYYY-MM-DD)")
    ev_summary.add_argument("--json", action="store_true", help="print JSON")
    ev_export = ev_sub.add_parser("export", help="write the events as a file")
    ev_export.add_argument("--format", choices=("csv", "parquet"), default="csv")
    ev_export.add_argument("--table", choices=("events", "feedback"), default="events")
    ev_export.add_argument("--output", "-o", default=None, metavar="FILE",
                           help="the file to write (default: standard output, CSV only)")
    return parser


def _events(args: argparse.Namespace) -> int:
    """``events summary`` and ``events export`` (tpop_kb.events)."""
    import json

    from . import events

    store = events.open_store()
    if args.events_command == "export":
        frame = store.frame(args.table)
        if args.format == "parquet":
            if not args.output:
                print("tpop_kb: --output is needed for parquet", file=sys.stderr)
                return EXIT_INPUT
            frame.to_parquet(args.output, index=False)
        elif args.output:
            frame.to_csv(args.output, index=False)
        else:
            frame.to_csv(sys.stdout, index=False)
        return EXIT_OK
    since = None
    if args.since:
        try:
            since = dt.date.fromisoformat(args.since).isoformat()
        except ValueError:
            print(f"tpop_kb: --since: not a date (YYYY-MM-DD): {args.since}", file=sys.stderr)
            return EXIT_INPUT
    found = events.summary(store, since=since)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"answers shown: {found['answers']}")
    print(f"bulk runs: {found['bulk_runs']} ({found['bulk_orders']} orders)")
    print("per outcome:")
    for outcome, n in found["per_outcome"].items():
        print(f"  {outcome}: {n}")
    feedback = found["feedback"]
    print(f"feedback: {feedback.get('yes', 0)} right, {feedback.get('no', 0)} wrong or unclear")
    for reason, n in found["flagged_by_reason"].items():
        print(f"  {reason or 'no reason'}: {n}")
    return EXIT_OK


def _summary(counts: Mapping[str, int], total: int) -> str:
    """``N orders: code=count, ...``, outcomes in the tree's order."""
    ordered = {code: counts.get(code, 0) for code in OUTCOMES}
    ordered.update({k: v for k, v in counts.items() if k not in ordered})
    parts = [f"{code}={count}" for code, count in ordered.items() if count]
    noun = "order" if total == 1 else "orders"
    return f"{total} {noun}: " + (", ".join(parts) if parts else "none")


def _triage_to_csv(orders: Any, as_of: dt.datetime,
                   output: str) -> tuple[dict[str, int], int]:
    """Triage canonical orders into UTF-8 CSV (``output``: a path, or '-' for standard
    output): :func:`~tpop_kb.triage.triage_to_csv`. Returns the count of each outcome and
    the number of orders."""
    import pyarrow as pa

    from .orders import canonical_table

    if not isinstance(orders, pa.Table):
        orders = canonical_table(orders)
    if output != "-":
        return triage_to_csv(orders, as_of, output), orders.num_rows
    sys.stdout.flush()
    try:
        return triage_to_csv(orders, as_of, sys.stdout.buffer), orders.num_rows
    finally:
        sys.stdout.buffer.flush()


def _release_memory() -> None:
    """Give the memory Arrow's reader threads freed back to the system, so that the triage
    that follows (on the main thread) does not stack its own on top of it."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _triage(args: argparse.Namespace) -> int:
    as_of = args.as_of or now_paris()
    if args.engine == "dask":
        return _triage_dask(args, as_of)
    if len(args.input) > 1:
        print("tpop_kb: one input file at a time (or use --engine dask)", file=sys.stderr)
        return EXIT_INPUT
    table = read_orders(args.input[0])
    orders = table.orders_table  # Arrow end to end: pandas is not even imported
    table.release_cells()  # the canonical orders are all the triage reads
    live_notes: list[str] = []
    if args.live:
        from .laposte import fill_tracking_status

        orders, live_notes = fill_tracking_status(table.orders, lang="en")
    _release_memory()
    try:
        counts, total = _triage_to_csv(orders, as_of, args.output)
    except OSError as exc:
        print(f"tpop_kb: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    for note in [*table.notes, *live_notes]:  # the file's notes come in while it is triaged
        print(f"tpop_kb: {note}", file=sys.stderr)
    print(f"tpop_kb: as of {as_of:%Y-%m-%d %H:%M} (knowledge base {knowledge().version}, "
          f"{calendar_version()}), " + _summary(counts, total), file=sys.stderr)
    return EXIT_OK


def _triage_dask(args: argparse.Namespace, as_of: object) -> int:
    if args.output == "-":
        print("tpop_kb: --engine dask writes a folder of parts: give --output FOLDER",
              file=sys.stderr)
        return EXIT_INPUT
    try:
        import dask.distributed  # noqa: F401  (optional dependency)

        from .dask_engine import triage_dask
    except ImportError:
        print("tpop_kb: --engine dask needs Dask: pip install 'tpop_kb[dask]'", file=sys.stderr)
        return EXIT_INPUT
    done = triage_dask(args.input, args.output, as_of, scheduler=args.scheduler)
    print(f"tpop_kb: as of {as_of:%Y-%m-%d %H:%M}, {len(done.files)} part(s) in {args.output}, "
          + _summary(done.counts, done.rows),
          file=sys.stderr)
    return EXIT_OK


def _info() -> int:
    kb = knowledge()
    article = kb.article
    print(f"knowledge base {kb.version}")
    print(f"working days: {calendar_version()} (France)")
    print(f"article: {article.title['en']} ({article.source_url}), updated on {article.updated_on}")
    for name, value in kb.tree.thresholds.items():
        print(f"{name}: {value}")
    print("outcomes: " + ", ".join(kb.tree.outcomes))
    return EXIT_OK


def _check_article(args: argparse.Namespace) -> int:
    from .article_watch import DEFAULT_TIMEOUT, check

    result = check(args.url, args.timeout if args.timeout is not None else DEFAULT_TIMEOUT)
    if result.status == "unavailable":
        print(f"tpop_kb: could not check the article {result.url}: {result.reason}",
              file=sys.stderr)
        return EXIT_UNAVAILABLE
    print(result.report())
    return EXIT_OK if result.status == "unchanged" else EXIT_CHANGED


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Python's cycle collector off while orders are triaged: the engine makes no cycles,
    and the collector kept scanning the many short-lived objects of a big file (about 5 %
    of the run); back on afterwards (tests call ``main`` in their own process)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _answer(args: argparse.Namespace) -> int:
    import json

    from .answer import answer, answer_error
    from .paste import PasteError

    try:
        if args.input == "-":
            text = sys.stdin.read()
        else:
            with open(args.input, encoding="utf-8-sig", errors="replace") as handle:
                text = handle.read()
    except OSError as exc:
        print(f"tpop_kb: cannot read {args.input}: {exc.strerror}", file=sys.stderr)
        return EXIT_INPUT
    try:
        result = answer(text, args.as_of, args.lang)
    except PasteError as error:
        if args.json:
            print(json.dumps(answer_error(error), ensure_ascii=False, indent=2))
        else:
            print(f"tpop_kb: {error}", file=sys.stderr)
        return EXIT_INPUT
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(_answer_text(result))
    return EXIT_OK


def _answer_text(result: Mapping[str, Any]) -> str:
    """The answer for a person at a terminal."""
    out = [f"{result['outcome']['title']}", f"  {result['outcome']['summary']}", ""]
    out += [f"  - {step}" for step in result["outcome"]["steps"]]
    out.append("")
    for name, found in result["fields"].items():
        how = f" ({found['explained']})" if found["explained"] else ""
        out.append(f"  {name}: {found['value']} [{found['certainty']}]{how}")
    for name in result["missing"]:
        out.append(f"  {name}: -")
    for flag in result["flags"]:
        out += ["", f"! {flag['title']}: {flag['text']}"]
    if result["questions"]:
        out.append("")
        for question in result["questions"]:
            choices = " / ".join(c["label"] for c in question["choices"])
            out.append(f"? {question['text']} [{choices}]")
    links = result["links"]
    if links["la_poste"] or links["destination_post"]:
        out.append("")
        if links["la_poste"]:
            out.append(f"  La Poste: {links['la_poste']}")
        if links["destination_post"]:
            post = links["destination_post"]
            out.append(f"  {post['name']}: {post['url']}")
    for draft in result["replies"]:
        out += ["", f"--- {draft['title']} ---", draft["text"].rstrip()]
    return "\n".join(out)


def _serve(args: argparse.Namespace) -> int:
    extra = list(args.voila_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return serve(shared=args.shared, host=args.host, port=args.port, pages=args.pages,
                 extra=extra, dry_run=args.dry_run)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "triage":
            with _no_cyclic_gc():
                return _triage(args)
        if args.command == "check-article":
            return _check_article(args)
        if args.command == "answer":
            return _answer(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "events":
            return _events(args)
        return _info()
    except (OrderFileError, KnowledgeError, ServeError) as exc:
        print(f"tpop_kb: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... | head`: the reader has what it wanted
        sys.stderr.close()
        return EXIT_OK
