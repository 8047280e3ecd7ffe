"""Benchmark: the insights page's aggregations over 1M events (issue 16: under 3 s).

    .venv/bin/python benchmarks/insights.py [--events 1000000] [--db PATH]

Fills a temporary SQLite store (answers of varied paths, countries, languages and days,
a few bulk runs and flagged answers), then times :func:`tpop_kb.events.summary` (every
figure of the page) and the page's report built from it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
import uuid
from pathlib import Path


def fill(store, n: int) -> None:
    from tpop_kb import events

    rnd = random.Random(16)
    paths = [
        ("q_valid=yes q_shipped=yes q_delivered=no q_at_post_office=no q_tracking_active=yes "
         "q_contact_window_moving=no", "wait_before_contact"),
        ("q_valid=yes q_shipped=yes q_delivered=no q_at_post_office=no q_tracking_active=yes "
         "q_contact_window_moving=yes", "contact_tpop"),
        ("q_valid=yes q_shipped=yes q_delivered=yes q_claim=none", "delivered"),
        ("q_valid=yes q_shipped=no", "not_shipped"),
        ("q_valid=no", "invalid_input"),
    ]
    countries = ["FR", "BE", "DE", "ES", "IT", "CH", "GB", "US", ""]
    now = dt.datetime.now(dt.UTC)
    base = {c: "" for c in ("flags", "status", "claim", "synced", "counts")}
    refs = []
    batch = []
    for i in range(n):
        path, outcome = paths[rnd.randrange(len(paths))]
        ref = uuid.UUID(int=rnd.getrandbits(128)).hex
        hour = (now - dt.timedelta(hours=rnd.randrange(24 * 170))).strftime("%Y-%m-%dT%H:00")
        batch.append({**base, "ref": ref, "hour": hour, "page": "order_assistant",
                      "lang": rnd.choice(("fr", "en")), "outcome": outcome, "path": path,
                      "country": rnd.choice(countries), "age_band": "8-14",
                      "kb_version": "1.0", "total": 1})
        if i % 500 == 0:
            refs.append(ref)
        if len(batch) == 50_000:
            store.add_events(batch)
            batch = []
    if batch:
        store.add_events(batch)
    store.add_events([events.bulk_event({"contact_tpop": 40, "delivered": 60}, "fr")
                      for _ in range(100)])
    for ref in refs:
        store.add_feedback({"hour": now.strftime("%Y-%m-%dT%H:00"), "ref": ref,
                            "verdict": "no", "reason": "wrong_date", "comment": ""})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    from tpop_kb import events
    from tpop_kb.apps.insights_views import insights_html

    folder = tempfile.mkdtemp(prefix="tpop-insights-bench-")
    path = Path(args.db or Path(folder) / "events.sqlite3")
    store = events.EventStore(path)
    if store.count() < args.events:
        started = time.perf_counter()
        fill(store, args.events - store.count())
        print(f"filled {store.count():,} events in {time.perf_counter() - started:.1f} s")
    for label, since, lang in (("all, both languages", None, None),
                               ("last 30 days, French", (dt.date.today() - dt.timedelta(days=29))
                                .isoformat(), "fr")):
        started = time.perf_counter()
        found = events.summary(store, since=since, lang=lang)
        sql = time.perf_counter() - started
        html = insights_html(found, "fr")
        total = time.perf_counter() - started
        print(f"{label}: aggregations {sql:.2f} s, report {total:.2f} s "
              f"({found['answers']:,} answers, {len(html):,} characters)")


if __name__ == "__main__":
    main()
