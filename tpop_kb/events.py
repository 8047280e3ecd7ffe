"""The learning loop's event store: which answers were shown, and what staff said of them.

Privacy first, by construction: an event is built here from a decision's tree ids and
vocabulary only (allow-lists), never from the order's texts. It holds the time to the
hour (UTC), the page, the language, the outcome, the path through the tree (node ids and
answers), the flags, the destination country (an ISO code), the days since shipping as a
band (``data/events.yaml``), the order's tracking status, claim and store sync as the
tree's words, the knowledge base version, and for a bulk run the counts per outcome.
Never an order id, a tracking number, a date, a customer's text, a name, an address or
an IP. A feedback comment is scrubbed of tracking numbers, e-mail addresses, phone
numbers and long numbers before it is stored.

The store: SQLite by default (``TPOP_KB_EVENTS_DB``, else ``events.sqlite3`` in the
user's data folder), WAL, schema created and migrated here (table ``schema_version``);
an SQLAlchemy URL (``postgresql://…``) for a shared deployment. Retention
(``retention_days``) is applied when the store is first opened by a process.
``TPOP_KB_EVENTS=off`` records nothing.

Writes never slow or break a page: :func:`record_answer`, :func:`record_bulk` and
:func:`record_feedback` put the event on a queue that one background thread writes; a
failed write is logged once and dropped. :func:`flush` waits for the queue (tests, CLI).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import os
import queue
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .knowledge import LANGUAGES, data_dir, knowledge, load_yaml

__all__ = [
    "PAGES",
    "SCHEMA_VERSION",
    "EventStore",
    "age_band",
    "answer_event",
    "bulk_event",
    "edge_uses",
    "enabled",
    "events_target",
    "feedback_reasons",
    "flush",
    "open_store",
    "record_answer",
    "record_bulk",
    "record_feedback",
    "scenario_draft",
    "scrub_comment",
    "settings",
    "store_exists",
    "summary",
]

log = logging.getLogger("tpop_kb.events")

#: the pages that record events
PAGES = ("order_assistant", "bulk_triage")
SCHEMA_VERSION = 1
_LANGS = LANGUAGES
_STATUSES = ("none", "in_transit", "delivered")
_CLAIMS = ("none", "not_received", "still_not_received")
_COUNTRY = re.compile(r"[A-Z]{2}")
_OFF = {"off", "0", "false", "no", "none"}


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------


@functools.cache
def settings() -> dict[str, Any]:
    """``data/events.yaml``: retention, age bands, feedback reasons."""
    return load_yaml(data_dir() / "events.yaml")


def feedback_reasons() -> list[str]:
    return [str(r) for r in settings()["feedback_reasons"]]


def enabled() -> bool:
    """Whether events are recorded (``TPOP_KB_EVENTS=off`` turns recording off)."""
    return os.environ.get("TPOP_KB_EVENTS", "on").strip().lower() not in _OFF


def events_target() -> str:
    """Where events go: ``TPOP_KB_EVENTS_DB`` (a file path or an SQLAlchemy URL), else
    ``events.sqlite3`` in the user's data folder."""
    env = os.environ.get("TPOP_KB_EVENTS_DB", "").strip()
    if env:
        return env
    try:
        from platformdirs import user_data_dir

        folder = Path(user_data_dir("tpop_kb", appauthor=False))
    except ImportError:  # pragma: no cover - platformdirs comes with Jupyter
        folder = Path.home() / ".local" / "share" / "tpop_kb"
    return str(folder / "events.sqlite3")


def age_band(days: int | None) -> str:
    """Days since shipping -> its band's label (``data/events.yaml``); '' when unknown."""
    if days is None:
        return ""
    for band in settings()["age_bands"]:
        upto = band.get("upto")
        if upto is None or days <= int(upto):
            return str(band["label"])
    return ""


def _hour(moment: dt.datetime | None = None) -> str:
    moment = moment or dt.datetime.now(dt.UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:00")


# ---------------------------------------------------------------------------
# Events, built from allow-lists only
# ---------------------------------------------------------------------------


def _word(value: Any, allowed: Iterable[str]) -> str:
    return value if isinstance(value, str) and value in set(allowed) else ""


def _country(value: Any) -> str:
    return value if isinstance(value, str) and _COUNTRY.fullmatch(value) else ""


def answer_event(decision: Any, lang: str, page: str = "order_assistant",
                 *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The event of one answer shown (a :class:`tpop_kb.triage.Decision`): tree ids and
    words, the country code, the age band; nothing the customer or the order wrote."""
    tree = decision.tree or knowledge().tree
    nodes = set(tree.nodes)
    steps = []
    for step in decision.path:
        node = step.node
        if node.id not in nodes:
            continue
        answer = _word(step.answer, node.answers)
        steps.append(f"{node.id}={answer}" + ("" if step.known else "?"))
    outcome = _word(decision.outcome.id, nodes)
    order = decision.order
    synced = order.store_tracking_synced
    return {
        "ref": uuid.uuid4().hex,
        "hour": _hour(now),
        "page": _word(page, PAGES),
        "lang": _word(lang, _LANGS),
        "outcome": outcome,
        "path": " ".join(steps),
        "flags": " ".join(f for f in decision.flags if f in tree.flags),
        "country": _country(order.destination_country),
        "age_band": age_band(decision.days_since_shipped
                             if isinstance(decision.days_since_shipped, int) else None),
        "status": _word(order.tracking_status, _STATUSES),
        "claim": _word(order.customer_claim, _CLAIMS),
        "synced": "" if synced is None else ("yes" if synced is True else "no"),
        "kb_version": knowledge().version,
        "total": 1,
        "counts": "",
    }


def bulk_event(counts: Mapping[str, int], lang: str, *,
               now: dt.datetime | None = None) -> dict[str, Any]:
    """The event of one bulk triage run: the counts per outcome (tree outcome ids only)."""
    nodes = set(knowledge().tree.nodes)
    kept = {str(k): int(v) for k, v in counts.items() if str(k) in nodes and int(v) > 0}
    return {
        "ref": uuid.uuid4().hex,
        "hour": _hour(now),
        "page": "bulk_triage",
        "lang": _word(lang, _LANGS),
        "outcome": "",
        "path": "",
        "flags": "",
        "country": "",
        "age_band": "",
        "status": "",
        "claim": "",
        "synced": "",
        "kb_version": knowledge().version,
        "total": sum(kept.values()),
        "counts": json.dumps(kept, sort_keys=True),
    }


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_S10_SPACED = re.compile(r"\b[A-Za-z]{2}[\s.-]?(?:\d[\s.-]?){9}[A-Za-z]{2}\b")
_PHONE = re.compile(r"(?<![\w])\+?\d(?:[\s.()/-]{0,2}\d){7,}(?![\w])")
#: any word holding five digits or more: order ids, tracking numbers of other shapes
_NUMBERED = re.compile(r"\b(?=[\w-]*(?:\d[\w-]*){5})[\w-]+\b")


def scrub_comment(text: str | None) -> str:
    """A feedback comment fit to store: tracking numbers, e-mail addresses, phone numbers
    and words holding long numbers replaced by ``[…]``; cut to ``comment_max_chars``."""
    from .paste import find_tracking_numbers
    from .text import visible

    value = visible(text or "").strip()
    for pattern in (_EMAIL, _S10_SPACED, _PHONE, _NUMBERED):
        value = pattern.sub("[…]", value)
    for number in find_tracking_numbers(value):
        value = re.sub(re.escape(number), "[…]", value, flags=re.IGNORECASE)
    return value[: int(settings()["comment_max_chars"])]


# ---------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------

_EVENT_COLUMNS = ("ref", "hour", "page", "lang", "outcome", "path", "flags", "country",
                  "age_band", "status", "claim", "synced", "kb_version", "total", "counts")
_FEEDBACK_COLUMNS = ("hour", "ref", "verdict", "reason", "comment")


def _migrations(serial: str) -> list[list[str]]:
    """Schema steps, one list of statements per version (index 0 -> version 1)."""
    text_columns = ", ".join(f"{c} TEXT NOT NULL DEFAULT ''" for c in _EVENT_COLUMNS
                             if c != "total")
    return [[
        f"CREATE TABLE events (id {serial}, {text_columns}, total INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX events_hour ON events (hour)",
        "CREATE INDEX events_ref ON events (ref)",
        f"CREATE TABLE feedback (id {serial}, hour TEXT NOT NULL, ref TEXT NOT NULL, "
        "verdict TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', "
        "comment TEXT NOT NULL DEFAULT '')",
        "CREATE INDEX feedback_ref ON feedback (ref)",
    ]]


#: the key of the advisory lock PostgreSQL's migrations take ("tpop" in ASCII)
_PG_SCHEMA_LOCK = 0x74706F70


def _wal(conn: sqlite3.Connection, *, seconds: float = 10.0) -> None:
    """Switch to write-ahead logging. SQLite does not wait on its busy timeout for this
    pragma: while another process creates the same database it answers "locked" at
    once, so try again for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class EventStore:
    """One event database: ``EventStore(path_or_url)``; created and migrated on opening,
    retention applied. ``rows(sql, params)`` runs a query (named ``:params``)."""

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.target = str(target)
        self.url = "://" in self.target and not self.target.startswith("sqlite:///")
        self._lock = threading.Lock()
        if self.url:
            from sqlalchemy import create_engine

            self._engine = create_engine(self.target, pool_pre_ping=True)
        else:
            path = self.target.removeprefix("sqlite:///")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.path = path
            self._local = threading.local()
        self.migrate()
        self.apply_retention()

    # -- connections ---------------------------------------------------------------
    def _sqlite(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 10000")
            _wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

    def run(self, statements: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Statements in one transaction."""
        with self._transaction() as execute:
            for sql, params in statements:
                execute(sql, params)

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        if self.url:
            from sqlalchemy import text

            with self._engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql), dict(params or {}))]
        return self._sqlite().execute(sql, dict(params or {})).fetchall()

    def close(self) -> None:
        if self.url:
            self._engine.dispose()
        else:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                conn.close()
                self._local.conn = None

    # -- schema ----------------------------------------------------------------------
    def version(self) -> int:
        try:
            found = self.rows("SELECT MAX(version) FROM schema_version")
        except Exception:
            return 0
        return int(found[0][0] or 0) if found else 0

    def migrate(self) -> None:
        """Create the tables, or bring an older schema up to :data:`SCHEMA_VERSION`.

        The version table is created, the version read and the steps applied in one write
        transaction, so two pages opening a new database at once do not both create it:
        SQLite's write lock is held from its start; PostgreSQL's transaction first takes
        an advisory lock (two ``CREATE TABLE IF NOT EXISTS`` at once can both try to
        create), then ``LOCK TABLE schema_version IN EXCLUSIVE MODE``."""
        serial = "SERIAL PRIMARY KEY" if self.url else "INTEGER PRIMARY KEY AUTOINCREMENT"
        postgres = bool(self.url) and self._engine.dialect.name == "postgresql"
        with self._lock, self._transaction(schema_lock=True) as execute:
            execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
                    "applied TEXT NOT NULL)")
            if postgres:
                execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
            found = execute("SELECT MAX(version) FROM schema_version")
            current = int(found[0][0] or 0) if found else 0
            for number, steps in enumerate(_migrations(serial), start=1):
                if number <= current:
                    continue
                for sql in steps:
                    execute(sql)
                execute("INSERT INTO schema_version (version, applied) VALUES (:v, :at)",
                        {"v": number, "at": _hour()})

    @contextlib.contextmanager
    def _transaction(self, *, schema_lock: bool = False):
        """One write transaction, holding SQLite's write lock from its start (and with
        ``schema_lock`` PostgreSQL's advisory lock of the schema, released at its end);
        yields ``execute(sql, params) -> rows``. Rolled back when anything in it fails."""
        if self.url:
            from sqlalchemy import text

            with self._engine.begin() as conn:
                if schema_lock and conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": _PG_SCHEMA_LOCK})

                def execute(sql: str, params: Mapping[str, Any] | None = None) -> list:
                    result = conn.execute(text(sql), dict(params or {}))
                    return [tuple(r) for r in result] if result.returns_rows else []

                yield execute
            return
        conn = self._sqlite()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield lambda sql, params=None: conn.execute(sql, dict(params or {})).fetchall()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (e.g. disk full)
                conn.execute("ROLLBACK")
            raise

    def apply_retention(self, days: int | None = None, *, now: dt.datetime | None = None) -> int:
        """Delete events and feedback older than ``days`` (``retention_days``)."""
        days = int(settings()["retention_days"] if days is None else days)
        cutoff = _hour((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days))
        before = self.rows("SELECT COUNT(*) FROM events WHERE hour < :c", {"c": cutoff})[0][0]
        self.run([("DELETE FROM events WHERE hour < :c", {"c": cutoff}),
                  ("DELETE FROM feedback WHERE hour < :c", {"c": cutoff})])
        return int(before)

    # -- writes ------------------------------------------------------------------------
    def add_events(self, events: Sequence[Mapping[str, Any]]) -> None:
        sql = (f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) VALUES "
               f"({', '.join(':' + c for c in _EVENT_COLUMNS)})")
        self.run([(sql, {c: e.get(c, "" if c != "total" else 0) for c in _EVENT_COLUMNS})
                  for e in events])

    def add_feedback(self, item: Mapping[str, Any]) -> None:
        sql = (f"INSERT INTO feedback ({', '.join(_FEEDBACK_COLUMNS)}) VALUES "
               f"({', '.join(':' + c for c in _FEEDBACK_COLUMNS)})")
        self.run([(sql, {c: item[c] for c in _FEEDBACK_COLUMNS})])

    # -- reads ---------------------------------------------------------------------------
    def count(self) -> int:
        return int(self.rows("SELECT COUNT(*) FROM events")[0][0])

    def frame(self, table: str = "events") -> Any:
        """A table as a pandas frame (analysts, ``events export``)."""
        import pandas as pd

        if table not in ("events", "feedback"):
            raise ValueError(table)
        columns = ["id", *(_EVENT_COLUMNS if table == "events" else _FEEDBACK_COLUMNS)]
        return pd.DataFrame(self.rows(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"),
                            columns=columns)


def store_exists(target: str | None = None) -> bool:
    """Whether the store at ``target`` (default :func:`events_target`) may hold events: a
    database URL always may; an SQLite file only once it exists (reading must not create
    one, e.g. on a server where recording is off)."""
    target = target or events_target()
    if "://" in target and not target.startswith("sqlite:///"):
        return True
    return Path(target.removeprefix("sqlite:///")).is_file()


_STORES: dict[str, EventStore] = {}
_STORES_LOCK = threading.Lock()


def open_store(target: str | None = None) -> EventStore:
    """The store at ``target`` (default :func:`events_target`), opened once per process
    (created, migrated, retention applied the first time)."""
    target = target or events_target()
    with _STORES_LOCK:
        store = _STORES.get(target)
        if store is None:
            store = _STORES[target] = EventStore(target)
        return store


# ---------------------------------------------------------------------------
# Recording, off the page's thread
# ---------------------------------------------------------------------------

_QUEUE: queue.Queue[tuple[str, str, Any]] = queue.Queue()
_WRITER: threading.Thread | None = None
_WRITER_LOCK = threading.Lock()
_FAILED = False


def _write(kind: str, target: str, item: Any) -> None:
    global _FAILED
    try:
        store = open_store(target)
        if kind == "events":
            store.add_events([item])
        else:
            store.add_feedback(item)
    except Exception as exc:  # a failed write never reaches the page
        if not _FAILED:
            _FAILED = True
            log.warning("could not record an event (%s); recording goes on without it",
                        type(exc).__name__)


def _drain() -> None:
    while True:
        kind, target, item = _QUEUE.get()
        try:
            _write(kind, target, item)
        finally:
            _QUEUE.task_done()


def _put(kind: str, item: Any) -> None:
    global _WRITER
    with _WRITER_LOCK:
        if _WRITER is None or not _WRITER.is_alive():
            _WRITER = threading.Thread(target=_drain, name="tpop-events", daemon=True)
            _WRITER.start()
    _QUEUE.put((kind, events_target(), item))


def flush(timeout: float = 10.0) -> bool:
    """Wait until every recorded event is written (True) or ``timeout`` passes (False)."""
    done = threading.Event()

    def wait() -> None:
        _QUEUE.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)


def record_answer(decision: Any, lang: str, page: str = "order_assistant") -> str:
    """Record an answer shown; returns its reference (for feedback), '' when off or the
    event could not be built. Never raises, never waits for the database."""
    if not enabled():
        return ""
    try:
        event = answer_event(decision, lang, page)
    except Exception as exc:
        log.warning("could not build an event (%s)", type(exc).__name__)
        return ""
    _put("events", event)
    return str(event["ref"])


def record_bulk(counts: Mapping[str, int], lang: str) -> None:
    """Record one bulk triage run (its counts per outcome). Never raises."""
    if not enabled():
        return
    try:
        _put("events", bulk_event(counts, lang))
    except Exception as exc:
        log.warning("could not build an event (%s)", type(exc).__name__)


def record_feedback(ref: str, verdict: str, reason: str = "", comment: str = "") -> bool:
    """Record staff's word on an answer: ``verdict`` "yes" or "no"; for "no" a reason of
    ``data/events.yaml`` and a comment (scrubbed). False when off or not valid."""
    if not enabled() or not re.fullmatch(r"[0-9a-f]{32}", ref or "") \
            or verdict not in ("yes", "no"):
        return False
    try:
        item = {
            "hour": _hour(),
            "ref": ref,
            "verdict": verdict,
            "reason": _word(reason, feedback_reasons()) if verdict == "no" else "",
            "comment": scrub_comment(comment) if verdict == "no" else "",
        }
    except Exception as exc:
        log.warning("could not build a feedback record (%s)", type(exc).__name__)
        return False
    _put("feedback", item)
    return True


# ---------------------------------------------------------------------------
# Aggregations (in SQL), for the insights page and ``events summary``
# ---------------------------------------------------------------------------


def _where(since: str | None, until: str | None, lang: str | None,
           prefix: str = "") -> tuple[str, dict[str, Any]]:
    parts, params = ["1 = 1"], {}
    if since:
        parts.append(f"{prefix}hour >= :since")
        params["since"] = since
    if until:
        parts.append(f"{prefix}hour < :until")
        params["until"] = until
    if lang:
        parts.append(f"{prefix}lang = :lang")
        params["lang"] = lang
    return " AND ".join(parts), params


def summary(store: EventStore, *, since: str | None = None, until: str | None = None,
            lang: str | None = None) -> dict[str, Any]:
    """Everything the insights page and ``events summary`` show, each a GROUP BY:

    ``answers`` (answers shown), ``bulk_runs`` and ``bulk_orders``; ``per_day``
    [(day, outcome, n)] of answers; ``per_outcome`` {outcome: n} (answers and bulk
    counts); ``paths`` [(path, n)] most used first; ``feedback`` {verdict: n};
    ``flagged_by_reason`` {reason: n}; ``flagged_by_node`` [(outcome, n)];
    ``countries`` [(country, outcome, n)]; ``flagged`` the latest flagged answers.
    ``since``/``until``: ``YYYY-MM-DD`` (until excluded); ``lang``: "en"/"fr".
    """
    where, params = _where(since, until, lang)
    answers = f"page = 'order_assistant' AND {where}"
    out: dict[str, Any] = {}
    # one scan of the answers, grouped by everything the page splits them by (a few
    # thousand groups for a million events); the figures are sums over these groups
    groups = [(str(d), str(o), str(p), str(c), int(n)) for d, o, p, c, n in store.rows(
        f"SELECT substr(hour, 1, 10) AS day, outcome, path, country, COUNT(*) FROM events "
        f"WHERE {answers} GROUP BY day, outcome, path, country", params)]
    out["answers"] = sum(g[4] for g in groups)
    runs, orders = store.rows(
        f"SELECT COUNT(*), COALESCE(SUM(total), 0) FROM events "
        f"WHERE page = 'bulk_triage' AND {where}", params)[0]
    out["bulk_runs"], out["bulk_orders"] = int(runs), int(orders)
    per_day: dict[tuple[str, str], int] = {}
    per_outcome: dict[str, int] = {}
    paths: dict[tuple[str, str], int] = {}
    countries: dict[tuple[str, str], int] = {}
    for day, outcome, path, country, n in groups:
        per_day[(day, outcome)] = per_day.get((day, outcome), 0) + n
        per_outcome[outcome] = per_outcome.get(outcome, 0) + n
        paths[(path, outcome)] = paths.get((path, outcome), 0) + n
        countries[(country, outcome)] = countries.get((country, outcome), 0) + n
    out["per_day"] = [(d, o, n) for (d, o), n in sorted(per_day.items())]
    for counts, n in store.rows(
            f"SELECT counts, COUNT(*) FROM events WHERE page = 'bulk_triage' AND {where} "
            "GROUP BY counts", params):
        for outcome, k in (json.loads(counts) if counts else {}).items():
            per_outcome[outcome] = per_outcome.get(outcome, 0) + int(k) * int(n)
    out["per_outcome"] = dict(sorted(per_outcome.items(), key=lambda kv: (-kv[1], kv[0])))
    out["paths"] = [(p, o, n) for (p, o), n in
                    sorted(paths.items(), key=lambda kv: (-kv[1], kv[0]))]
    out["countries"] = [(c, o, n) for (c, o), n in
                        sorted(countries.items(), key=lambda kv: (kv[0][0], -kv[1]))]
    fwhere, fparams = _where(since, until, lang, prefix="e.")
    joined = f"FROM feedback f JOIN events e ON e.ref = f.ref WHERE {fwhere}"
    out["feedback"] = {str(v): int(n) for v, n in store.rows(
        f"SELECT f.verdict, COUNT(*) {joined} GROUP BY f.verdict", fparams)}
    out["flagged_by_reason"] = {str(r): int(n) for r, n in store.rows(
        f"SELECT f.reason, COUNT(*) AS n {joined} AND f.verdict = 'no' "
        "GROUP BY f.reason ORDER BY n DESC", fparams)}
    out["flagged_by_node"] = [(str(o), int(n)) for o, n in store.rows(
        f"SELECT e.outcome, COUNT(*) AS n {joined} AND f.verdict = 'no' "
        "GROUP BY e.outcome ORDER BY n DESC", fparams)]
    columns = ("ref", "hour", "lang", "outcome", "path", "flags", "country", "age_band",
               "status", "claim", "synced", "kb_version", "reason", "comment")
    out["flagged"] = [dict(zip(columns, row, strict=True)) for row in store.rows(
        "SELECT e.ref, f.hour, e.lang, e.outcome, e.path, e.flags, e.country, e.age_band, "
        f"e.status, e.claim, e.synced, e.kb_version, f.reason, f.comment {joined} "
        "AND f.verdict = 'no' ORDER BY f.id DESC LIMIT 50", fparams)]
    return out


def edge_uses(paths: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    """Uses per arrow of the tree, ``(node id, answer) -> n``, from ``summary()['paths']``
    (a handful of distinct paths, already counted in SQL)."""
    uses: dict[tuple[str, str], int] = {}
    for path, _outcome, n in paths:
        for step in path.split():
            node, _, answer = step.rstrip("?").partition("=")
            uses[(node, answer)] = uses.get((node, answer), 0) + n
    return uses


def scenario_draft(flagged: Mapping[str, Any]) -> str:
    """A draft for data/scenarios.yaml from a flagged answer: the anonymised facts, the
    outcome the app gave, a blank for the right one. Plain YAML text."""
    band = flagged.get("age_band") or "?"
    facts = {
        "destination_country": flagged.get("country") or None,
        "tracking_status": flagged.get("status") or None,
        "customer_claim": flagged.get("claim") or None,
        "store_tracking_synced": flagged.get("synced") or None,
    }
    order = "".join(f"      {k}: {v}\n" for k, v in facts.items() if v)
    flags = ", ".join(flagged.get("flags", "").split())
    return (
        f"  - id: flagged-{str(flagged.get('ref', ''))[:8]}\n"
        "    title:\n      en: TODO\n      fr: TODO\n"
        "    story:\n      en: >-\n        TODO\n      fr: >-\n        TODO\n"
        '    as_of: "TODO"\n'
        "    order:\n"
        f"      # shipped {band} days before as_of: pick a date in that band\n"
        "      shipped_at: TODO\n"
        f"{order}"
        "    expect:\n"
        f"      # the app said: {flagged.get('outcome', '')} "
        f"(path: {flagged.get('path', '')}; reason flagged: {flagged.get('reason', '')})\n"
        "      outcome: TODO\n"
        f"      flags: [{flags}]\n"
        "      passage: TODO\n"
    )
