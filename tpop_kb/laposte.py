"""Live tracking status from La Poste's "Suivi v2" API (opt-in).

With the environment variable ``LAPOSTE_OKAPI_KEY`` set, the order assistant
and ``python -m tpop_kb triage ... --live`` ask La Poste for the tracking
status of orders whose data gives none::

    GET https://api.laposte.fr/suivi/v2/idships/{id1,id2,...}?lang=fr_FR
    X-Okapi-Key: <key>

- Up to ``max_numbers_per_call`` numbers a call and ``max_calls_per_second``
  calls a second (``data/postal.yaml``, ``la_poste.api``); numbers La Poste
  cannot take (not 11 to 15 letters and digits, or an S10 number with a wrong
  check digit) are not sent.
- Timeouts; retries with exponential backoff (or the server's ``Retry-After``)
  on HTTP 429, 5xx, timeouts and lost connections; a clear
  :class:`LaPosteAuthError` on 401/403; a 404 for a number ("not known yet")
  and the 207 multi-status answer give one :class:`LiveStatus` per number.
- The response's ``shipment.event[]`` codes map to the ``tracking_status``
  vocabulary (``none`` / ``in_transit`` / ``delivered``) through the table in
  ``data/postal.yaml``; the last event's label and date come along.
- The key is never logged, printed or put in an error message; logs hold
  counts only, no tracking numbers.
- ``LAPOSTE_API_URL`` (or the ``base_url`` argument) points the client at
  another server: the tests run a real HTTP server on loopback.

Whatever fails, the callers go on offline: :func:`live_status` never raises,
and :func:`fill_tracking_status` returns notes instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .knowledge import KnowledgeBase, KnowledgeError, knowledge, ui_text
from .messages import message as render
from .messages import translate
from .tracking import normalise_tracking_number, normalised_numbers, tracking_number_states
from .workdays import PARIS

if TYPE_CHECKING:
    import pandas as pd
    import requests

__all__ = [
    "ENV_KEY",
    "ENV_URL",
    "ApiSettings",
    "LaPosteAuthError",
    "LaPosteClient",
    "LaPosteError",
    "LaPosteUnavailable",
    "LiveReport",
    "LiveStatus",
    "api_key",
    "api_settings",
    "fetch_statuses",
    "fill_tracking_status",
    "live_enabled",
    "live_status",
]

log = logging.getLogger(__name__)

ENV_KEY = "LAPOSTE_OKAPI_KEY"
ENV_URL = "LAPOSTE_API_URL"
API_LANGS = {"fr": "fr_FR", "en": "en_GB"}
ACCEPTED_NUMBER = r"[A-Z0-9]{11,15}"  # La Poste's idShip: 11 to 15 letters and digits
MAX_RETRY_WAIT = 10.0  # seconds: a longer Retry-After is cut to this


class LaPosteError(Exception):
    """La Poste's API could not answer. ``str(error)`` is a message for staff (never the key)."""


class LaPosteAuthError(LaPosteError):
    """HTTP 401/403: the key is missing, wrong or not subscribed to Suivi."""


class LaPosteUnavailable(LaPosteError):
    """The service did not answer in time, or kept answering 429/5xx."""


# ---------------------------------------------------------------------------
# Settings from data/postal.yaml
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiSettings:
    base_url: str
    max_numbers_per_call: int
    max_calls_per_second: float
    timeout: float
    retries: int
    delivered: frozenset[str]
    none: frozenset[str]
    returned: frozenset[str]
    found: frozenset[int]
    not_yet_known: frozenset[int]


def api_settings(kb: KnowledgeBase | None = None) -> ApiSettings:
    """``la_poste.api`` of ``data/postal.yaml``, validated (KnowledgeError names the file)."""
    kb = kb or knowledge()
    path = kb.root / "postal.yaml"
    raw = (kb.postal.get("la_poste") or {}).get("api")
    if not isinstance(raw, Mapping):
        raise KnowledgeError(f"{path}: la_poste.api is missing")

    def number(key: str, kind: type = int) -> Any:
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise KnowledgeError(f"{path}: la_poste.api.{key} must be a number > 0")
        return kind(value)

    events = raw.get("events") or {}
    base_url = str(raw.get("base_url") or "")
    if not base_url.startswith("https://"):
        raise KnowledgeError(f"{path}: la_poste.api.base_url must be an https:// address")

    def words(name: str) -> frozenset[str]:
        value = events.get(name)
        if not isinstance(value, list) or not value:
            raise KnowledgeError(f"{path}: la_poste.api.events.{name} must list event codes")
        return frozenset(str(v).upper() for v in value)

    def ints(name: str) -> frozenset[int]:
        value = raw.get(name)
        if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
            raise KnowledgeError(f"{path}: la_poste.api.{name} must list return codes")
        return frozenset(value)

    retries = raw.get("retries", 0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise KnowledgeError(f"{path}: la_poste.api.retries must be a whole number >= 0")
    return ApiSettings(
        base_url=base_url.rstrip("/"),
        max_numbers_per_call=number("max_numbers_per_call"),
        max_calls_per_second=number("max_calls_per_second", float),
        timeout=number("timeout_seconds", float),
        retries=retries,
        delivered=words("delivered"),
        none=words("none"),
        returned=words("returned"),
        found=ints("found"),
        not_yet_known=ints("not_yet_known"),
    )


def api_key() -> str | None:
    """The Okapi key from ``LAPOSTE_OKAPI_KEY``, or None when it is not set."""
    key = os.environ.get(ENV_KEY, "").strip()
    return key or None


def live_enabled() -> bool:
    """Whether live La Poste status is switched on (a key is set)."""
    return api_key() is not None


# ---------------------------------------------------------------------------
# One number's status
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveStatus:
    """What La Poste's API says about one tracking number."""

    number: str
    tracking_status: str | None  # none | in_transit | delivered; None: no status to use
    event_code: str = ""  # the last event's code (DI1, ET1, ...)
    event_label: str = ""  # its label, in the language asked
    event_date: dt.datetime | None = None  # naive Europe/Paris time
    delivered_at: dt.datetime | None = None
    arrival_country: str = ""
    returned: bool = False  # going or gone back to the sender (DI2, RE1)
    product: str = ""
    return_code: int | None = None
    api_message: str = ""  # La Poste's own message, or why there is no status
    # "" | "not_yet_known" | "rejected" | "not_asked" | "off" | "unavailable" | "auth"
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.tracking_status is not None

    def message(self, lang: str = "en") -> str:
        """One sentence for staff: the last event and its date, or why there is none."""
        if self.problem == "off":
            return ui_text("postal.live.disabled", lang)
        if self.problem in ("unavailable", "auth"):
            return ui_text("postal.live.unavailable", lang,
                           message=translate(self.api_message, lang))
        if self.problem == "not_asked":
            return ui_text("postal.live.not_asked", lang)
        if self.problem == "not_yet_known":
            return ui_text("postal.live.not_yet_known", lang, message=self.api_message)
        if self.tracking_status is None:
            return ui_text("postal.live.error", lang, message=translate(self.api_message, lang))
        if self.event_label:
            date = (
                self.event_date.strftime(ui_text("postal.datetime_format", lang))
                if self.event_date
                else ""
            )
            key = "postal.live.returned" if self.returned else "postal.live.event"
            label = self.event_label.rstrip(" .")
            return ui_text(key, lang, label=label, date=date).replace(" ()", "")
        status = ui_text(f"postal.live.status.{self.tracking_status}", lang)
        return ui_text("postal.live.no_event", lang, status=status)


def _paris(text: Any) -> dt.datetime | None:
    """La Poste's ``2020-12-07T10:14:00+01:00`` -> naive Europe/Paris time."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(PARIS).replace(tzinfo=None)
    return moment


def _from_shipment(
    number: str, shipment: Mapping[str, Any], code: int, settings: ApiSettings
) -> LiveStatus:
    events = [e for e in shipment.get("event") or [] if isinstance(e, Mapping)]
    # anti-chronological as La Poste sends them; sort to be sure (stable for equal dates)
    events.sort(
        key=lambda e: _paris(e.get("date")) or dt.datetime.min,
        reverse=True,
    )
    event_codes = {str(e.get("code") or "").upper() for e in events}
    delivered_at = _paris(shipment.get("deliveryDate"))
    returned = bool(event_codes & settings.returned)
    if event_codes & settings.delivered:
        status = "delivered"
    elif event_codes - settings.none - {""}:
        status = "in_transit"
    elif events:
        status = "none"
    elif delivered_at is not None and not returned:
        status = "delivered"
    else:  # no event: the timeline tells whether anything happened after step 1
        steps = [s for s in shipment.get("timeline") or [] if isinstance(s, Mapping)]
        moved = any(s.get("status") is True and _int(s.get("id")) >= 2 for s in steps)
        status = "in_transit" if moved else "none"
    latest = events[0] if events else {}
    context = shipment.get("contextData") or {}
    return LiveStatus(
        number=number,
        tracking_status=status,
        event_code=str(latest.get("code") or ""),
        event_label=str(latest.get("label") or "").strip(),
        event_date=_paris(latest.get("date")),
        delivered_at=delivered_at,
        arrival_country=str(context.get("arrivalCountry") or "") if isinstance(context, Mapping)
        else "",
        returned=returned,
        product=str(shipment.get("product") or ""),
        return_code=code,
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _from_unit(unit: Mapping[str, Any], number: str, settings: ApiSettings) -> LiveStatus:
    code = _int(unit.get("returnCode"))
    message = str(unit.get("returnMessage") or "").strip()
    shipment = unit.get("shipment")
    if code in settings.found and isinstance(shipment, Mapping):
        return _from_shipment(number, shipment, code, settings)
    if code in settings.not_yet_known:
        return LiveStatus(
            number, "none", return_code=code, api_message=message, problem="not_yet_known"
        )
    return LiveStatus(
        number,
        None,
        return_code=code,
        api_message=message or render("live.return_code", code=code),
        problem="rejected",
    )


# ---------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------


def _distinct_numbers(numbers: Iterable[str | None]) -> list[str]:
    """The numbers given, normalised (:func:`~tpop_kb.tracking.normalised_numbers`, one
    column call however many there are), empty ones left out, each once, in order."""
    given = [n for n in numbers if n]
    if not given:
        return []
    return list(dict.fromkeys(normalised_numbers(given).to_pylist()))


class LaPosteClient:
    """A small client for ``GET {base_url}/idships/{ids}`` (La Poste Suivi v2)."""

    def __init__(
        self,
        key: str,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float = 0.5,
        settings: ApiSettings | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import requests

        if not key:
            raise LaPosteAuthError(render("live.no_key", setting=ENV_KEY))
        self._key = key
        self.settings = settings or api_settings()
        url = base_url or os.environ.get(ENV_URL, "").strip() or self.settings.base_url
        if not re.match(r"https?://", url):
            raise ValueError(f"{ENV_URL} must be an http(s):// address")
        self.base_url = url.rstrip("/")
        self.timeout = timeout if timeout is not None else self.settings.timeout
        self.retries = retries if retries is not None else self.settings.retries
        self.backoff = backoff
        self._session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._last_call: float | None = None
        self.calls = 0  # HTTP requests sent, retries included

    def __repr__(self) -> str:  # never the key
        return f"LaPosteClient(base_url={self.base_url!r}, key=<hidden>)"

    @classmethod
    def from_env(cls, **kwargs: Any) -> LaPosteClient | None:
        """A client with the key from ``LAPOSTE_OKAPI_KEY``; None when no key is set."""
        key = api_key()
        return cls(key, **kwargs) if key else None

    # -- HTTP ------------------------------------------------------------------
    def _throttle(self) -> None:
        interval = 1.0 / self.settings.max_calls_per_second
        if self._last_call is not None:
            wait = self._last_call + interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_call = self._clock()

    def _wait_before_retry(self, attempt: int, response: Any = None) -> None:
        wait = self.backoff * (2**attempt)
        header = response.headers.get("Retry-After") if response is not None else None
        if header is not None:
            try:
                wait = float(header)
            except ValueError:
                pass
        self._sleep(min(max(wait, 0.0), MAX_RETRY_WAIT))

    def _get(self, numbers: Sequence[str], lang: str) -> list[Mapping[str, Any]]:
        """One call for up to max_numbers_per_call numbers -> La Poste's unitary answers."""
        import requests

        path = ",".join(quote(n, safe="") for n in numbers)
        url = f"{self.base_url}/idships/{path}"
        headers = {"X-Okapi-Key": self._key, "Accept": "application/json"}
        params = {"lang": API_LANGS.get(lang, API_LANGS["fr"])}
        problem = ""
        for attempt in range(self.retries + 1):
            self._throttle()
            self.calls += 1
            try:
                response = self._session.get(
                    url, headers=headers, params=params, timeout=self.timeout
                )
            except requests.Timeout:
                problem = render("live.timeout", seconds=f"{self.timeout:g}")
            except requests.ConnectionError:
                problem = render("live.could_not_connect")
            except requests.RequestException as exc:
                raise LaPosteUnavailable(
                    render("live.not_asked", kind=type(exc).__name__)) from None
            else:
                status = response.status_code
                log.info("La Poste Suivi: %d number(s), HTTP %d", len(numbers), status)
                if status in (401, 403):
                    raise LaPosteAuthError(render("live.key_refused", status=status,
                                                  setting=ENV_KEY))
                if status == 429 or status >= 500:
                    problem = (render("live.too_many_requests") if status == 429
                               else render("live.http_status", status=status))
                    if attempt < self.retries:
                        self._wait_before_retry(attempt, response)
                    continue
                try:
                    body = response.json()
                except ValueError:
                    raise LaPosteError(
                        render("live.not_json", status=status, setting=ENV_URL)) from None
                if status in (200, 207, 400, 404):
                    units = body if isinstance(body, list) else [body]
                    return [u for u in units if isinstance(u, Mapping)]
                raise LaPosteError(render("live.answered", status=status))
            if attempt < self.retries:
                self._wait_before_retry(attempt)
        raise LaPosteUnavailable(
            render("live.gave_up", tries=self.retries + 1, problem=problem))

    # -- numbers -----------------------------------------------------------------
    def track(self, numbers: Iterable[str], lang: str = "fr") -> dict[str, LiveStatus]:
        """Statuses by normalised number. Raises :class:`LaPosteError` if a call fails.

        Numbers La Poste cannot take get a status with ``problem='not_asked'``.
        """
        wanted = _distinct_numbers(numbers)
        result: dict[str, LiveStatus] = {}
        askable = []
        if wanted:
            import numpy as np

            states = tracking_number_states(np.array(wanted, dtype=object))
            for number, state in zip(wanted, states, strict=True):
                if re.fullmatch(ACCEPTED_NUMBER, number) and state != "invalid":
                    askable.append(number)
                else:
                    result[number] = LiveStatus(number, None, problem="not_asked")
        size = self.settings.max_numbers_per_call
        for start in range(0, len(askable), size):
            batch = askable[start : start + size]
            result.update(self._batch(batch, lang))
        return result

    def _batch(self, batch: Sequence[str], lang: str) -> dict[str, LiveStatus]:
        units = self._get(batch, lang)
        found: dict[str, LiveStatus] = {}
        anonymous: list[Mapping[str, Any]] = []
        for unit in units:
            shipment = unit.get("shipment") if isinstance(unit.get("shipment"), Mapping) else {}
            number = normalise_tracking_number(
                str(shipment.get("idShip") or unit.get("idShip") or "")
            )
            if number in batch:
                found[number] = _from_unit(unit, number, self.settings)
            else:
                anonymous.append(unit)
        for number in batch:
            if number in found:
                continue
            if anonymous and (len(batch) == 1 or len(anonymous) == 1):
                found[number] = _from_unit(anonymous[0], number, self.settings)
            else:
                found[number] = LiveStatus(
                    number,
                    None,
                    api_message="the number is missing from La Poste's answer",
                    problem="rejected",
                )
        return found


# ---------------------------------------------------------------------------
# What the pages and the CLI call
# ---------------------------------------------------------------------------


def live_status(
    number: str | None,
    lang: str = "fr",
    client: LaPosteClient | None = None,
    *,
    timeout: float | None = None,
    retries: int | None = None,
) -> LiveStatus:
    """The live status of one number; never raises (``problem`` says what went wrong).

    Without ``client``, one is made from the environment; a page passes a short
    ``timeout`` and few ``retries`` so that a slow service never holds it long.
    """
    normalised = normalise_tracking_number(number)
    if client is None:
        try:
            client = LaPosteClient.from_env(timeout=timeout, retries=retries)
        except (KnowledgeError, ValueError) as exc:
            return LiveStatus(normalised, None, api_message=str(exc), problem="unavailable")
    if client is None:
        return LiveStatus(normalised, None, problem="off")
    if not normalised:
        return LiveStatus(normalised, None, problem="not_asked")
    try:
        return client.track([normalised], lang)[normalised]
    except LaPosteAuthError as exc:
        return LiveStatus(normalised, None, api_message=str(exc), problem="auth")
    except LaPosteError as exc:
        return LiveStatus(normalised, None, api_message=str(exc), problem="unavailable")


@dataclass
class LiveReport:
    """Statuses of many numbers, and notes on what could not be asked."""

    statuses: dict[str, LiveStatus] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failed: bool = False  # the service failed: some numbers were not asked


def fetch_statuses(
    numbers: Iterable[str], lang: str = "fr", client: LaPosteClient | None = None
) -> LiveReport:
    """Ask La Poste batch by batch; on an auth error or an outage, stop and say so."""
    report = LiveReport()
    if client is None:
        try:
            client = LaPosteClient.from_env()
        except (KnowledgeError, ValueError) as exc:
            report.notes.append(f"live status is off: {exc}")
            report.failed = True
            return report
    if client is None:
        report.notes.append(f"live status is off: {ENV_KEY} is not set")
        report.failed = True
        return report
    wanted = _distinct_numbers(numbers)
    size = client.settings.max_numbers_per_call
    for start in range(0, len(wanted), size):
        batch = wanted[start : start + size]
        try:
            report.statuses.update(client.track(batch, lang))
        except LaPosteError as exc:
            left = len(wanted) - start
            report.notes.append(f"{exc}; {left} number(s) not checked live")
            report.failed = True
            break
    return report


def fill_tracking_status(
    orders: pd.DataFrame, *, client: LaPosteClient | None = None, lang: str = "en"
) -> tuple[pd.DataFrame, list[str]]:
    """Fill ``tracking_status`` from La Poste where the file gives none.

    "None" is an absent status column or a status of ``none`` (no tracking
    event: the reader gives it to empty cells too, so the two cannot be told
    apart). A file's ``in_transit`` or ``delivered`` is kept: it comes from the
    TPOP platform, the article's source of truth. Only valid, shipped rows with
    a tracking number are asked. Returns a new frame (same index) and notes for the person running
    it; when the service fails or no key is set, the frame comes back as it
    was for those rows and a note says so.
    """
    status = orders["tracking_status"].to_numpy(dtype=object)
    numbers = orders["tracking_number"].to_numpy(dtype=object)
    wanted = (
        (orders["error"].to_numpy(dtype=object) == "")
        & ((status == "") | (status == "none"))
        & (numbers != "")
        & orders["shipped_at"].notna().to_numpy(dtype=bool)
    )
    if not wanted.any():
        return orders, ["live: no shipped order lacks a tracking status; La Poste was not asked"]
    normalised = (
        orders["tracking_number"]
        .astype(str)
        .str.replace(r"\s+", "", regex=True)
        .str.upper()
        .to_numpy(dtype=object)
    )
    report = fetch_statuses(normalised[wanted], lang=lang, client=client)
    notes = [f"live: {note}" for note in report.notes]
    table = {n: s.tracking_status for n, s in report.statuses.items() if s.tracking_status}
    found = (
        orders.loc[wanted, "tracking_number"]
        .astype(str)
        .str.replace(r"\s+", "", regex=True)
        .str.upper()
        .map(table)
    )
    filled = found.notna().to_numpy(dtype=bool)
    result = orders.copy()
    if filled.any():
        rows = orders.index[wanted][filled]
        result.loc[rows, "tracking_status"] = found[filled].astype(object).to_numpy()
    not_asked = sum(1 for s in report.statuses.values() if s.problem == "not_asked")
    rejected = sum(1 for s in report.statuses.values() if s.problem == "rejected")
    summary = (
        f"live: {int(filled.sum())} of {int(wanted.sum())} order(s) without a tracking "
        "status (or with 'none') got one from La Poste"
    )
    if not_asked:
        summary += f"; {not_asked} number(s) not of a shape La Poste takes"
    if rejected:
        summary += f"; {rejected} number(s) La Poste gave no status for"
    if not report.failed or filled.any():
        notes.append(summary)
    if report.failed:
        notes.append("live: the triage goes on with the file's data for the others")
    return result, notes
