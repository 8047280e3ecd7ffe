"""What one machine holds: N support staff on the order assistant, one shared server.

No browser: each simulated member of staff talks to Voila as the order assistant's page
does. Against one server started with ``make serve-shared``'s settings
(``benchmarks/_voila.py``, ``shared=True``: ``config/shared/voila.py`` on top of
``voila.json``, a token on every request), each session

1. GETs ``/voila/render/order_assistant.ipynb?token=…`` (Voila starts the page's kernel
   and builds the page), reads the kernel id from the page's ``jupyter-config-data``;
2. opens the kernel websocket with the v1 protocol (``benchmarks/_kernel_client.py``)
   and asks for the widgets' states (``request_states`` on ``jupyter.widget.control``):
   the session is *open* (GET to widgets ready);
3. then, every few seconds (think time, ``--think``, random and seeded), fills the paste
   area with an order (:func:`orders`: a dashboard page, a shop's order page, an e-mail
   or a chat, in French or English, each with its own order id and tracking number, ship
   date, country and status) and clicks "get the answer" (``{"event": "click"}`` on the
   button), timing the click to the widget update that carries the answer card (the
   ``.tpop-outcome`` card naming that order). The paste and the click are sent one after
   the other, as a paste then Ctrl+Enter would: the kernel reads the paste first, so its
   parsing is inside the measured time.

Sessions arrive one every ``--spacing`` seconds (a ramp, not all in one second); once the
last has opened, all of them keep clicking for ``--hold`` seconds. A level passes when
every session opens within 10 s, click-to-answer p95 is under 500 ms both over the whole
run and over the hold alone (everyone in and clicking), and nothing failed
(a page refused, a websocket closed, an answer not arriving within 30 s). Measured at each
level: open times, click times, errors, memory (PSS and RSS summed from ``/proc``, kernels
and server, sampled every few seconds, the peak kept), CPU (server, kernels, and this
client itself, which shares the machine's cores) over the ramp and over the hold.

The search goes up ``--levels`` (a fresh server each) until one fails, then bisects
between the last level passed and the first failed (``--bisect`` steps). After each
level's hold, while everyone keeps clicking, a few real Chromium page loads (Playwright,
``/usr/bin/chromium``, ``--browser-sample``) are made, one after the other, timed to the
paste area ready: the report gives those of the largest level passed (their kernels come
on top of the N sessions'). Chromium shares the server's cores here, as staff's browsers
would not, so the clicks made meanwhile are left out of the level's figures.

The server runs with ``--GuardedKernelManager.max_kernels_per_visitor=0`` (every
simulated member of staff comes from 127.0.0.1, i.e. one visitor; the documented setting
behind a proxy) and ``--GuardedKernelManager.max_kernels_total=0`` (the total cap is
what this benchmark measures; the report says what ``config/shared/voila.py``'s cap comes
to on this machine). Live La Poste status is off (no ``LAPOSTE_OKAPI_KEY``); the
learning loop's events go to a throw-away SQLite file.

Usage: ``python benchmarks/capacity.py [--levels 25 50 100 150 200] [--spacing 2]
[--hold 60] [--write]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _kernel_client import KernelClient, widget_by_class  # noqa: E402
from _results import record_goals, write_section  # noqa: E402
from _voila import (  # noqa: E402
    Server,
    all_pids,
    cpu_seconds,
    descends_from,
    launch_browser,
    memory_mb,
    percentile,
    server_kernels,
    voila,
)

HEADING = "### What one machine holds"
PAGE = "order_assistant.ipynb"
OPEN_LIMIT_S = 10.0
P95_LIMIT_MS = 500.0
GOAL_STAFF = 100
ANSWER_TIMEOUT_S = 30.0
CONFIG_JSON = re.compile(
    r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S
)
PARIS = ZoneInfo("Europe/Paris")

# -- the orders staff paste -----------------------------------------------------------

#: (name in French, name in English) of the destinations, and their weight in the mix
COUNTRIES = [("France", "France", 8), ("Belgique", "Belgium", 3), ("Suisse", "Switzerland", 2),
             ("Allemagne", "Germany", 2), ("Espagne", "Spain", 1), ("Royaume-Uni",
             "United Kingdom", 1), ("Italie", "Italy", 1), ("Canada", "Canada", 1)]
#: (French, English) tracking statuses as shops and La Poste show them
STATUSES = [("En cours d'acheminement", "In transit"),
            ("Aucun événement de suivi pour l'instant", "No tracking events yet"),
            ("Disponible en bureau de poste", "Available for pickup at the post office"),
            ("Avis de passage déposé", "Delivery attempted, notice left")]
FIRST = ["Pauline", "Hugo", "Lena", "Oliver", "Marie", "Lucas", "Chloé", "Noah", "Inès", "Sam"]
LAST = ["Chevalier", "Marchand", "Janssens", "Bennett", "Peeters", "Roux", "Fontaine", "Weber"]
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre"]
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

TEMPLATES = [
    # the TPOP dashboard, in French (tests/pastes/001-…)
    ("fr", "Commandes  ›  {order}\n\nCommande {order}\nExpédiée\n\nInformations\n"
     "Boutique\tAtelier Bruyère (Shopify)\nN° de commande boutique\t#{store}\n"
     "Expédiée le\t{shipped_fr}\nMode de livraison\tColissimo – avec suivi\n\nSuivi\n"
     "Transporteur : La Poste – Colissimo\nNuméro de suivi : {tracking}\n"
     "Dernier statut : {status_fr}\n\nAdresse de livraison\n{name}\n12 rue des Tanneurs\n"
     "{country_fr}\n\nProduits\nT-shirt bio unisexe – Blanc – M\n1 × 14,90 €\n"),
    # the TPOP dashboard, in English (tests/pastes/002-…)
    ("en", "← Back to orders\nOrder {order}\nShipped\n\nSummary\nStore: Northbound Prints "
     "(Shopify) · #{store}\nShipped on: {shipped_en}\nShipping method: Colissimo (tracked)"
     "\n\nTracking\nCarrier\tLa Poste / Colissimo\nTracking number\t{tracking}\n"
     "Tracking status\t{status_en}\n\nShip to\n{name}\n4 Station Road\n{country_en}\n\n"
     "Items\nPremium hoodie — Navy / L\t1\t€31.20\n"),
    # a support e-mail, in French (tests/pastes/041-…)
    ("fr", "Commande {order} expédiée le {shipped_fr}, suivi {tracking} : {status_fr}. "
     "Livraison : {country_fr}.\n\nDe : {name} <client@example.net>\nObjet : toujours "
     "rien\n\nBonjour,\nJe n'ai toujours rien reçu, c'est normal ?\nCordialement\n{name}\n"),
    # a chat, in English
    ("en", "{name}: hi, my order {order} hasn't arrived\nAgent: let me check\n"
     "Agent notes: shipped {shipped_en} · tracking {tracking} · status: {status_en} · "
     "ship to {country_en}\n"),
]


def s10(serial: int, prefix: str) -> str:
    """A valid UPU S10 number (check digit included) for an 8-digit serial."""
    digits = f"{serial:08d}"
    total = sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    check = {10: 0, 11: 5}.get(check, check)
    return f"{prefix}{digits}{check}FR"


@dataclass(frozen=True)
class Order:
    paste: str
    order_id: str  #: what the answer card names


def orders(count: int, seed: int, now: dt.datetime | None = None) -> list[Order]:
    """``count`` realistic pastes, each with its own order id and tracking number."""
    rng = random.Random(seed)
    now = now or dt.datetime.now(PARIS)
    countries = [c for c in COUNTRIES for _ in range(c[2])]
    made = []
    for i in range(count):
        lang, template = TEMPLATES[i % len(TEMPLATES)]
        shipped = (now - dt.timedelta(days=rng.randint(1, 20))).replace(
            hour=rng.randint(8, 18), minute=rng.randint(0, 59))
        country_fr, country_en, _ = rng.choice(countries)
        status_fr, status_en = rng.choice(STATUSES)
        order_id = f"TP-2026-{100000 + i}"
        text = template.format(
            order=order_id, store=1000 + i % 9000,
            # in words: 02/12/2026 could be 2 December or 12 February (the page asks)
            shipped_fr=f"{shipped.day} {MONTHS_FR[shipped.month - 1]} {shipped.year} à "
                       f"{shipped.strftime('%H:%M')}",
            shipped_en=f"{MONTHS_EN[shipped.month - 1]} {shipped.day}, {shipped.year}, "
                       f"{shipped.strftime('%I:%M %p').lstrip('0')}",
            tracking=s10(rng.randrange(10**8), rng.choice(["LA", "LV", "CB", "LF", "RR"])),
            status_fr=status_fr, status_en=status_en, country_fr=country_fr,
            country_en=country_en, name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        )
        made.append(Order(text, order_id))
    return made


# -- one member of staff ------------------------------------------------------------------


def page_kernel_id(html: str) -> str:
    """The kernel id a Voila page carries (its ``jupyter-config-data``)."""
    found = CONFIG_JSON.search(html)
    if not found:
        raise ValueError("the page carries no jupyter-config-data")
    return json.loads(found.group(1))["kernelId"]


def is_answer(order_id: str):  # noqa: ANN201
    """A predicate: the widget update that carries the answer card for ``order_id``."""
    def check(msg: dict[str, Any]) -> bool:
        data = msg.get("content", {}).get("data", {})
        if msg["header"]["msg_type"] != "comm_msg" or data.get("method") != "update":
            return False
        value = data.get("state", {}).get("value")
        return isinstance(value, str) and "tpop-outcome" in value and order_id in value
    return check


@dataclass
class Session:
    """One member of staff: opens the page, then pastes and clicks until told to stop."""

    server: Server
    number: int
    orders: list[Order]
    think: tuple[float, float]
    stop: threading.Event
    seed: int
    opened_s: float | None = None
    clicks: list[tuple[float, float]] = field(default_factory=list)  #: (when, seconds)
    first_s: float | None = None  #: the page's first answer (its kernel's first triage)
    error: str = ""
    step: str = ""

    def run(self) -> None:
        rng = random.Random(self.seed * 100_003 + self.number)
        client = None
        try:
            start = time.perf_counter()
            self.step = "page"
            with urllib.request.urlopen(self.server.page(PAGE), timeout=120) as reply:
                html = reply.read().decode("utf-8", errors="replace")
            kernel_id = page_kernel_id(html)
            self.step = "websocket"
            client = KernelClient(self.server, kernel_id, keep=False)
            self.step = "widgets"
            states = client.widget_states(60)
            paste = widget_by_class(states, "tpop-order-input")
            button = widget_by_class(states, "tpop-triage-button")
            self.opened_s = time.perf_counter() - start
            self.step = "answer"
            for order in self.orders:
                if self.stop.wait(rng.uniform(*self.think)):
                    break
                client.update(paste, {"value": order.paste})
                clicked = time.perf_counter()
                client.custom(button, {"event": "click"})
                arrived = is_answer(order.order_id)
                if not any(arrived(m) for m in client.read(ANSWER_TIMEOUT_S, until=arrived)):
                    raise TimeoutError(f"no answer for {order.order_id} "
                                       f"within {ANSWER_TIMEOUT_S:.0f} s")
                took = time.perf_counter() - clicked
                if self.first_s is None:
                    self.first_s = took
                self.clicks.append((time.monotonic(), took))
        except Exception as exc:  # a failed session is counted, not fatal
            detail = str(exc).splitlines()[0][:120] if str(exc) else ""
            self.error = f"{self.step}: {type(exc).__name__} {detail}".strip()
        finally:
            if client is not None:
                try:
                    client.close()
                except Exception:  # noqa: S110 - the server may have gone already
                    pass


# -- the machine ----------------------------------------------------------------------


class Monitor:
    """Memory (sampled) and CPU (accounted) of the server, its kernels and this client."""

    def __init__(self, server: Server, every: float = 3.0) -> None:
        self.server, self.every = server, every
        self.peak = {"kernels_pss": 0.0, "kernels_rss": 0.0, "server_pss": 0.0,
                     "server_rss": 0.0, "kernels": 0}
        self.last: dict[str, Any] = {}
        self._cpu: dict[int, tuple[float, float]] = {}  # pid -> (first seen, last seen)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="monitor", daemon=True)

    def _server_pids(self) -> list[int]:
        return [p for p in all_pids() if p == self.server.pid or descends_from(p, self.server.pid)]

    def server_cpu(self) -> float:
        """CPU seconds the server and its kernels have used since the monitor started."""
        for pid in self._server_pids():
            used = cpu_seconds(pid)
            first, _ = self._cpu.get(pid, (used if pid == self.server.pid else 0.0, 0.0))
            if used:
                self._cpu[pid] = (first, used)
        return sum(last - first for first, last in self._cpu.values())

    def sample(self) -> None:
        kernels = server_kernels(self.server)
        each = [memory_mb(pid) for pid in kernels]
        server = memory_mb(self.server.pid)
        self.last = {"kernels": each, "server": server}
        peak = self.peak
        peak["kernels_pss"] = max(peak["kernels_pss"], sum(m["pss"] for m in each))
        peak["kernels_rss"] = max(peak["kernels_rss"], sum(m["rss"] for m in each))
        peak["server_pss"] = max(peak["server_pss"], server["pss"])
        peak["server_rss"] = max(peak["server_rss"], server["rss"])
        peak["kernels"] = max(peak["kernels"], len(kernels))
        self.server_cpu()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def start(self) -> None:
        self.server_cpu()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (every core, every process: /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def client_cpu() -> float:
    """CPU seconds this process (the simulated staff) has used."""
    times = os.times()
    return times.user + times.system


# -- a level ------------------------------------------------------------------------------


@dataclass
class Level:
    staff: int
    opened: list[float]
    clicks: list[float]
    hold_clicks: list[float]
    first_clicks: list[float]
    errors: list[str]
    memory: dict[str, Any]
    cpu: dict[str, float]
    browser: list[float] | None = None
    browser_errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (not self.errors and len(self.opened) == self.staff and bool(self.clicks)
                and max(self.opened) <= OPEN_LIMIT_S
                and percentile(self.clicks, 0.95) * 1000 < P95_LIMIT_MS
                and (not self.hold_clicks
                     or percentile(self.hold_clicks, 0.95) * 1000 < P95_LIMIT_MS))

    def summary(self) -> str:
        opened = (f"open max {max(self.opened):.1f} s p95 {percentile(self.opened, 0.95):.1f} s"
                  if self.opened else "none opened")
        clicks = (f"click p50 {percentile(self.clicks, 0.5) * 1000:.0f} ms "
                  f"p95 {percentile(self.clicks, 0.95) * 1000:.0f} ms ({len(self.clicks)}), "
                  f"hold p95 {_ms(self.hold_clicks, 0.95)}"
                  if self.clicks else "no click answered")
        return (f"{self.staff} staff: {'PASS' if self.passed else 'FAIL'}; {opened}; {clicks}; "
                f"errors {len(self.errors)}; kernels {self.memory['kernels_pss']:.0f} MB PSS; "
                f"CPU {self.cpu['hold_cores']:.2f} cores in the hold, client "
                f"{self.cpu['client_hold_cores']:.2f}, others {self.cpu['other_hold_cores']:.2f}")


def browser_sample(server: Server, loads: int) -> tuple[list[float], list[str]]:
    """Real Chromium page loads: seconds to the order assistant's paste area ready."""
    from playwright.sync_api import sync_playwright

    times, errors = [], []
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            try:
                start = time.perf_counter()
                page.goto(server.page(PAGE), wait_until="commit", timeout=120_000)
                page.wait_for_selector(".tpop-order-input textarea:enabled", timeout=120_000)
                times.append(time.perf_counter() - start)
                page.close(run_before_unload=True)  # the page shuts its kernel down
            except Exception as exc:
                errors.append(type(exc).__name__)
            context.close()
            time.sleep(2)
        browser.close()
    return times, errors


def run_level(staff: int, args: argparse.Namespace, browser_loads: int = 0) -> Level:
    """``staff`` sessions against a fresh server; returns what was measured."""
    events_dir = Path(tempfile.mkdtemp(prefix="tpop-capacity-"))
    env = {"LAPOSTE_OKAPI_KEY": None, "TPOP_KB_EVENTS_DB": str(events_dir / "events.sqlite3")}
    extra = ["--GuardedKernelManager.max_kernels_total=0", *args.voila_arg]
    try:
        with voila(extra, shared=True, env=env) as server:
            return _run(server, staff, args, browser_loads)
    finally:
        shutil.rmtree(events_dir, ignore_errors=True)


def _run(server: Server, staff: int, args: argparse.Namespace, browser_loads: int) -> Level:
    stop = threading.Event()
    per_session = int((staff * args.spacing + args.hold) / args.think[0]) + 5
    if args.clicks:
        per_session = min(per_session, args.clicks)
    pastes = orders(staff * per_session, args.seed)
    sessions = [Session(server, n, pastes[n * per_session:(n + 1) * per_session],
                        tuple(args.think), stop, args.seed) for n in range(staff)]
    threads = [threading.Thread(target=s.run, name=f"staff-{s.number}", daemon=True)
               for s in sessions]
    monitor = Monitor(server)
    monitor.start()
    began, cpu0, client0 = time.monotonic(), monitor.server_cpu(), client_cpu()
    machine0 = machine_cpu()
    for n, thread in enumerate(threads):  # the ramp: one arrival every `spacing` seconds
        delay = began + n * args.spacing - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        thread.start()
    # Everyone in (or failed), then the hold: all of them clicking.
    deadline = time.monotonic() + 180
    while (any(s.opened_s is None and not s.error for s in sessions)
           and time.monotonic() < deadline):
        time.sleep(0.2)
    hold_start, cpu1, client1 = time.monotonic(), monitor.server_cpu(), client_cpu()
    machine1 = machine_cpu()
    time.sleep(max(0.0, hold_start + args.hold - time.monotonic()))
    monitor.sample()
    memory_at_hold = dict(monitor.last)
    hold_end, cpu2, client2 = time.monotonic(), monitor.server_cpu(), client_cpu()
    machine2 = machine_cpu()
    # Then real page loads in Chromium while everyone keeps clicking: Chromium runs on
    # the server's two cores here (on the staff's own computers in real use), so these
    # clicks are not counted in the level's figures.
    sample: tuple[list[float], list[str]] = ([], [])
    if browser_loads:
        sample = browser_sample(server, browser_loads)
    stop.set()
    for thread in threads:
        thread.join(timeout=ANSWER_TIMEOUT_S + 10)
    monitor.stop()
    ramp_s, hold_s = max(hold_start - began, 1e-6), max(hold_end - hold_start, 1e-6)
    each = memory_at_hold.get("kernels") or [{"rss": 0.0, "pss": 0.0, "uss": 0.0}]
    by_pss = sorted(each, key=lambda m: m["pss"])
    memory = {
        **monitor.peak,
        "kernel_median": by_pss[len(by_pss) // 2],
        "kernel_max": by_pss[-1],
        "kernels_hold_pss": sum(m["pss"] for m in each),
        "server_hold": memory_at_hold.get("server", {"rss": 0.0, "pss": 0.0}),
    }
    cpu = {
        "ramp_cores": (cpu1 - cpu0) / ramp_s, "hold_cores": (cpu2 - cpu1) / hold_s,
        "client_ramp_cores": (client1 - client0) / ramp_s,
        "client_hold_cores": (client2 - client1) / hold_s,
        # everything else on the machine (other people's runs; Chromium in the hold)
        "other_ramp_cores": max(0.0, (machine1 - machine0 - (cpu1 - cpu0)
                                      - (client1 - client0)) / ramp_s),
        "other_hold_cores": max(0.0, (machine2 - machine1 - (cpu2 - cpu1)
                                      - (client2 - client1)) / hold_s),
        "ramp_s": ramp_s, "hold_s": hold_s,
        "server_cpu_s": cpu2 - cpu0,
    }
    clicks = [t for when, t in (c for s in sessions for c in s.clicks) if when <= hold_end]
    hold_clicks = [t for when, t in (c for s in sessions for c in s.clicks)
                   if hold_start <= when <= hold_end]
    level = Level(
        staff=staff,
        opened=[s.opened_s for s in sessions if s.opened_s is not None],
        clicks=clicks, hold_clicks=hold_clicks,
        first_clicks=[s.first_s for s in sessions if s.first_s is not None],
        errors=[f"session {s.number}: {s.error}" for s in sessions if s.error],
        memory=memory, cpu=cpu,
        browser=sample[0] if browser_loads else None, browser_errors=sample[1],
    )
    print(level.summary(), flush=True)
    for error in level.errors[:5]:
        print("   ", error, flush=True)
    return level


def search(args: argparse.Namespace) -> tuple[list[Level], Level | None]:
    """Up the levels until one fails, then bisect; returns every level run and the
    largest passed (None when none did). Each level makes the browser sample during its
    hold, so that the largest passed has one, measured under its load."""
    levels: list[Level] = []
    best: Level | None = None
    failed: int | None = None
    for staff in args.levels:
        level = run_level(staff, args, browser_loads=args.browser_sample)
        levels.append(level)
        if not level.passed:
            failed = staff
            break
        best = level
    for _ in range(args.bisect):
        if best is None or failed is None:
            break
        middle = (best.staff + failed) // 2 // args.step * args.step
        if middle <= best.staff:
            break
        level = run_level(middle, args, browser_loads=args.browser_sample)
        levels.append(level)
        if level.passed:
            best = level
        else:
            failed = middle
    return levels, best


# -- the report -------------------------------------------------------------------------


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.0f} ms" if values else "–"


def _total_cap(budget_mib: int) -> int:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(4, memory // 2 // (budget_mib * 1024 * 1024))


def shared_budget_mib() -> int:
    text = (HERE.parent / "config" / "shared" / "voila.py").read_text(encoding="utf-8")
    found = re.search(r"kernel_budget_mib\s*=\s*(\d+)", text)
    return int(found.group(1)) if found else 400


def report(levels: list[Level], best: Level | None, args: argparse.Namespace) -> str:
    today = dt.date.today().isoformat()
    budget = shared_budget_mib()
    lines = [
        f"{HEADING} ({today})",
        "",
        f"`benchmarks/capacity.py`: one server with `make serve-shared`'s settings, "
        f"simulated staff on the order assistant without a browser (page GET, kernel "
        f"websocket v1, widget messages as the page sends them). Sessions arrive one every "
        f"{args.spacing:g} s; each pastes an order and clicks \"get the answer\" every "
        f"{args.think[0]:g}–{args.think[1]:g} s (random, seed {args.seed}); once all are "
        f"in, they keep at it for {args.hold:g} s. A level passes when every session opens "
        f"(GET to widgets ready) within {OPEN_LIMIT_S:.0f} s, click-to-answer p95 is under "
        f"{P95_LIMIT_MS:.0f} ms over the run and over the hold alone, and nothing fails. "
        "Then, staff still clicking, a few real page loads in Chromium (their clicks meanwhile "
        "are not counted: Chromium runs on the server's cores here). Per-visitor cap off "
        "(`--GuardedKernelManager.max_kernels_per_visitor=0`: every simulated member of "
        "staff is 127.0.0.1) and total cap off (`max_kernels_total=0`): "
        f"`config/shared/voila.py`'s own total cap ({budget} MiB a page, half the memory) "
        f"comes to {_total_cap(budget)} pages on this machine. This client shares the "
        "machine's two cores (its CPU is shown); staff's browsers would not. CPU in cores "
        "(CPU seconds per second, of 2); *other CPU*: every other process on the machine "
        "(anyone else's runs), from `/proc/stat`.",
        "",
        "| staff | passed | open max | open p95 | click p50 | click p95 | hold p95 | clicks "
        "| errors "
        "| kernels PSS (RSS) | server PSS | server + kernels CPU, ramp / hold | client CPU, "
        "hold | other CPU, ramp / hold |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    for level in levels:
        m, c = level.memory, level.cpu
        lines.append(
            f"| {level.staff} | {'yes' if level.passed else '**no**'} | "
            + (f"{max(level.opened):.1f} s | {percentile(level.opened, 0.95):.1f} s | "
               if level.opened else "– | – | ")
            + f"{_ms(level.clicks, 0.5)} | {_ms(level.clicks, 0.95)} | "
            f"{_ms(level.hold_clicks, 0.95)} | {len(level.clicks)} | "
            f"{len(level.errors)} | {m['kernels_pss']:.0f} MB ({m['kernels_rss']:.0f} MB) | "
            f"{m['server_pss']:.0f} MB | {c['ramp_cores']:.2f} / {c['hold_cores']:.2f} | "
            f"{c['client_hold_cores']:.2f} | {c['other_ramp_cores']:.2f} / "
            f"{c['other_hold_cores']:.2f} |"
        )
    errors = sorted({e.split(": ", 1)[1] for level in levels for e in level.errors})
    if errors:
        lines += ["", "Errors seen: " + "; ".join(f"`{e}`" for e in errors[:6]) + "."]
    if best is None:
        lines += ["", "No level passed."]
        return "\n".join(lines)
    m, c = best.memory, best.cpu
    kernel = m["kernel_median"]
    lines += [
        "",
        f"**Largest level passed: {best.staff} staff.**",
        "",
        "| at the largest level | result |",
        "| --- | ---: |",
        f"| sessions opened | {len(best.opened)} of {best.staff} |",
        f"| open time (GET to widgets ready), max / p95 / p50 | {max(best.opened):.1f} s / "
        f"{percentile(best.opened, 0.95):.1f} s / {percentile(best.opened, 0.5):.1f} s |",
        f"| click to answer, p50 / p95 (all {len(best.clicks)} clicks) | "
        f"{_ms(best.clicks, 0.5)} / {_ms(best.clicks, 0.95)} |",
        f"| click to answer, p50 / p95 (the hold: everyone in, {len(best.hold_clicks)} "
        f"clicks) | {_ms(best.hold_clicks, 0.5)} / {_ms(best.hold_clicks, 0.95)} |",
        f"| a page's first answer (its kernel's first triage), p50 / max | "
        f"{_ms(best.first_clicks, 0.5)} / {_ms(best.first_clicks, 1.0)} |",
        f"| one order-assistant kernel after its clicks (median), PSS / RSS / USS | "
        f"{kernel['pss']:.0f} / {kernel['rss']:.0f} / {kernel['uss']:.0f} MB |",
        f"| the largest kernel, PSS / RSS | {m['kernel_max']['pss']:.0f} / "
        f"{m['kernel_max']['rss']:.0f} MB |",
        f"| all kernels (peak), PSS / RSS | {m['kernels_pss']:.0f} / "
        f"{m['kernels_rss']:.0f} MB ({m['kernels']} kernels) |",
        f"| the server (Voila) at the peak, PSS / RSS | {m['server_pss']:.0f} / "
        f"{m['server_rss']:.0f} MB |",
        f"| server + kernels CPU, ramp / hold | {c['ramp_cores']:.2f} / "
        f"{c['hold_cores']:.2f} cores of 2 |",
        f"| this client's CPU, ramp / hold | {c['client_ramp_cores']:.2f} / "
        f"{c['client_hold_cores']:.2f} cores |",
        f"| every other process, ramp / hold | {c['other_ramp_cores']:.2f} / "
        f"{c['other_hold_cores']:.2f} cores |",
    ]
    if best.browser is not None:
        shown = ", ".join(f"{t:.1f} s" for t in best.browser) or "none"
        lines.append(
            f"| Chromium page loads after the hold, staff still clicking (to the paste area "
            f"ready) | {shown}"
            + (f"; failed: {', '.join(best.browser_errors)}" if best.browser_errors else "")
            + " |")
    return "\n".join(lines)


def goal_rows(best: Level | None, levels: list[Level] = ()) -> list[tuple[str, str,
                                                                          bool | None]]:
    label = "(one `make serve-shared` server, no browser)"
    if best is None:  # the first level's figures, for what failed
        rows = [(f"at least {GOAL_STAFF} staff at once on one 2-core machine {label}",
                 "no level passed", False)]
        if levels and levels[0].opened and levels[0].clicks:
            first = levels[0]
            rows += [
                (f"every session opens within {OPEN_LIMIT_S:.0f} s (at {first.staff} staff)",
                 f"max {max(first.opened):.1f} s", max(first.opened) <= OPEN_LIMIT_S),
                (f"click to answer p95 under {P95_LIMIT_MS:.0f} ms (at {first.staff} staff)",
                 _ms(first.clicks, 0.95), percentile(first.clicks, 0.95) * 1000 < P95_LIMIT_MS),
            ]
        return rows
    return [
        (f"at least {GOAL_STAFF} staff at once on one 2-core machine {label}",
         f"{best.staff} staff", best.staff >= GOAL_STAFF),
        (f"every session opens within {OPEN_LIMIT_S:.0f} s (at {best.staff} staff)",
         f"max {max(best.opened):.1f} s", max(best.opened) <= OPEN_LIMIT_S),
        (f"click to answer p95 under {P95_LIMIT_MS:.0f} ms (at {best.staff} staff; whole run "
         "/ hold, everyone in)",
         f"{_ms(best.clicks, 0.95)} / {_ms(best.hold_clicks, 0.95)}",
         percentile(best.clicks, 0.95) * 1000 < P95_LIMIT_MS
         and (not best.hold_clicks or percentile(best.hold_clicks, 0.95) * 1000 < P95_LIMIT_MS)),
        (f"memory at {best.staff} staff (a figure to report)",
         f"kernels {best.memory['kernels_pss'] / 1024:.1f} GB PSS + server "
         f"{best.memory['server_pss']:.0f} MB; {best.memory['kernel_median']['pss']:.0f} MB "
         "PSS a kernel", None),
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[25, 50, 100, 150, 200])
    parser.add_argument("--bisect", type=int, default=1, help="bisection steps after a failure")
    parser.add_argument("--step", type=int, default=10, help="bisection granularity (staff)")
    parser.add_argument("--spacing", type=float, default=2.0,
                        help="seconds between two sessions' arrivals (the ramp)")
    parser.add_argument("--hold", type=float, default=60.0,
                        help="seconds of clicking once every session is in")
    parser.add_argument("--think", type=float, nargs=2, default=[3.0, 8.0],
                        help="think time between clicks: min max seconds")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--browser-sample", type=int, default=3,
                        help="Chromium page loads during each level's hold (0: none)")
    parser.add_argument("--voila-arg", action="append", default=[],
                        help="an extra Voila option (repeatable), "
                        "e.g. --voila-arg=--preheat_kernel=True")
    parser.add_argument("--clicks", type=int, default=0,
                        help="at most this many clicks a session (0: until the hold ends)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    if sorted(args.levels) != args.levels:
        parser.error("--levels must go up")
    if args.think[0] <= 0 or args.think[1] < args.think[0]:
        parser.error("--think needs 0 < min <= max")
    return args


def main() -> None:
    args = parse_args()
    # Stopped with SIGTERM: stop the server and its kernels too (the launcher's cleanup).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    levels, best = search(args)
    text = report(levels, best, args)
    print(text)
    if args.write:
        write_section(HEADING, text)
        record_goals("capacity", goal_rows(best, levels), dt.date.today().isoformat())


if __name__ == "__main__":
    main()
