"""Realistic order files for samples, tests and benchmarks.

``generate_orders(n, as_of, seed)`` returns canonical rows (dicts of text, as a
spreadsheet holds them) that cover every outcome and every flag around
``as_of``: weekends and French holidays, both sides of the activation window
and of the contact threshold, French and ISO dates, country names and codes,
and a share of invalid rows. ``write_canonical`` and ``write_french`` write the
same orders as an English CSV (UTF-8, commas, ISO values) and as a French
Excel-style export (cp1252, semicolons, French headers and values, dd/mm/yyyy).

Run ``python benchmarks/orders_gen.py`` to rebuild ``data/samples/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)

COUNTRIES = [
    # code, English name, French name, weight
    ("FR", "France", "France", 40),
    ("BE", "Belgium", "Belgique", 10),
    ("DE", "Germany", "Allemagne", 9),
    ("ES", "Spain", "Espagne", 6),
    ("IT", "Italy", "Italie", 6),
    ("NL", "Netherlands", "Pays-Bas", 5),
    ("GB", "United Kingdom", "Royaume-Uni", 5),
    ("CH", "Switzerland", "Suisse", 4),
    ("US", "United States", "États-Unis", 4),
    ("CA", "Canada", "Canada", 3),
    ("LU", "Luxembourg", "Luxembourg", 3),
    ("PT", "Portugal", "Portugal", 3),
    ("AT", "Austria", "Autriche", 2),
]
STATUS_FR = {
    "none": "en attente",
    "in_transit": "en cours d'acheminement",
    "delivered": "livré",
    "awaiting_collection": "en attente de retrait",
    "": "",
}
CLAIM_FR = {"none": "", "not_received": "non reçu", "still_not_received": "toujours non reçu"}
SYNC_FR = {"true": "oui", "false": "non", "": ""}
CANONICAL_HEADER = [
    "order_id",
    "shipped_at",
    "tracking_number",
    "destination_country",
    "tracking_status",
    "customer_claim",
    "store_tracking_synced",
]
FRENCH_HEADER = [
    "N° de commande",
    "Date d'expédition",
    "Numéro de suivi",
    "Pays de destination",
    "Statut du suivi",
    "Réclamation client",
    "Suivi synchronisé",
]

OUTCOME_WEIGHTS = {
    "not_shipped": 6,
    "wait_for_activation": 10,
    "check_destination_post": 10,
    "tracking_silent": 5,
    "wait_before_contact": 18,
    "contact_tpop": 10,
    "delivered": 24,
    "delivered_go_to_post_office": 6,
    "delivered_merchant_decides": 4,
    "collect_at_post_office": 4,
    "invalid_input": 8,
}


def s10_check_digit(serial: str) -> int:
    """UPU S10 check digit of 8 digits: weights 8 6 4 2 3 5 9 7, mod 11 (10->0, 11->5)."""
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def _tracking_number(rng: random.Random) -> str:
    if rng.random() < 0.6:
        serial = f"{rng.randrange(10**8):08d}"
        prefix = rng.choice(["LA", "LB", "RR", "CP", "LV"])
        return f"{prefix}{serial}{s10_check_digit(serial)}FR"
    return rng.choice(["6A", "8R", "5Y", "6C", "8V"]) + f"{rng.randrange(10**11):011d}"


def _mistyped(number: str, rng: random.Random) -> str:
    """A tracking number as staff sometimes paste it: a wrong S10 check digit, or a reference."""
    if len(number) == 13 and number[:2].isalpha() and rng.random() < 0.6:
        return number[:10] + str((int(number[10]) + 1) % 10) + number[11:]
    return rng.choice([number[:-1], "CMD" + number[-8:], number + "0"])


def _when(as_of: dt.datetime, days_ago: float, rng: random.Random) -> dt.datetime:
    moment = as_of - dt.timedelta(days=days_ago)
    return moment.replace(
        hour=rng.choice([8, 9, 10, 11, 14, 15, 16, 17]),
        minute=rng.choice([0, 15, 30, 45]),
        second=0,
        microsecond=0,
    )


def generate_orders(n: int, as_of: dt.datetime, seed: int = 7) -> list[dict[str, str]]:
    """``n`` orders as text cells, canonical columns (plus ``_outcome``: the intended outcome)."""
    rng = random.Random(seed)
    outcomes = list(OUTCOME_WEIGHTS)
    weights = list(OUTCOME_WEIGHTS.values())
    countries = [c for c in COUNTRIES]
    cweights = [c[3] for c in COUNTRIES]
    rows = []
    for i in range(n):
        # every outcome in the first rows, then by weight
        outcome = outcomes[i] if i < len(outcomes) else rng.choices(outcomes, weights)[0]
        code = rng.choices(countries, cweights)[0][0]
        status, claim, shipped = "none", "none", None
        if outcome == "not_shipped":
            status = rng.choice(["none", ""])
        elif outcome == "wait_for_activation":
            shipped = as_of - dt.timedelta(hours=rng.choice([2, 5, 20, 26, 30]))
        elif outcome == "check_destination_post":
            code = rng.choice([c for c in COUNTRIES if c[0] != "FR"])[0]
            shipped = _when(as_of, rng.randint(5, 21), rng)
        elif outcome == "tracking_silent":
            code = "FR"
            shipped = _when(as_of, rng.randint(5, 21), rng)
        elif outcome == "wait_before_contact":
            status = "in_transit"
            shipped = _when(as_of, rng.randint(4, 21), rng)
        elif outcome == "collect_at_post_office":
            status = "awaiting_collection"
            shipped = _when(as_of, rng.randint(3, 40), rng)
        elif outcome == "contact_tpop":
            status = rng.choice(["none", "in_transit", "in_transit"])
            shipped = _when(as_of, rng.randint(22, 45), rng)
        else:
            status = "delivered"
            claim = {
                "delivered": "none",
                "delivered_go_to_post_office": "not_received",
                "delivered_merchant_decides": "still_not_received",
            }.get(outcome, "none")
            shipped = _when(as_of, rng.randint(3, 40), rng)
        row = {
            "order_id": f"TP-{2026_00000 + i * 7 + seed:09d}",
            "shipped_at": shipped.strftime("%Y-%m-%d %H:%M") if shipped else "",
            "tracking_number": _tracking_number(rng) if shipped else "",
            "destination_country": code,
            "tracking_status": status,
            "customer_claim": "" if claim == "none" else claim,
            "store_tracking_synced": rng.choices(["true", "false", ""], [80, 12, 8])[0]
            if shipped
            else "",
            "_outcome": outcome,
        }
        if shipped and rng.random() < 0.05:
            row["tracking_number"] = ""
        if outcome == "invalid_input":
            broken = rng.choice(["date", "country", "status", "empty_id", "future", "claim"])
            row["shipped_at"] = _when(as_of, rng.randint(3, 30), rng).strftime("%Y-%m-%d %H:%M")
            if broken == "date":
                row["shipped_at"] = rng.choice(["31/02/2026", "2026-13-05", "yesterday"])
            elif broken == "country":
                row["destination_country"] = rng.choice(["Atlantis", "XX", "Narnia"])
            elif broken == "status":
                row["tracking_status"] = rng.choice(["lost in space", "teleported"])
            elif broken == "empty_id":
                row["order_id"] = ""
            elif broken == "future":
                row["shipped_at"] = (as_of + dt.timedelta(days=rng.randint(1, 9))).strftime(
                    "%Y-%m-%d %H:%M"
                )
            else:
                row["customer_claim"] = "angry"
        rows.append(row)
    # A few numbers pasted wrong (flags tracking_number_invalid / _unrecognized).
    # Their own random stream: the other cells stay as they were.
    typos = random.Random(seed + 1)
    for row in rows:
        if row["tracking_number"] and typos.random() < 0.05:
            row["tracking_number"] = _mistyped(row["tracking_number"], typos)
    return rows


def _french_date(text: str) -> str:
    try:
        moment = dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        return text  # invalid on purpose: keep it
    return moment.strftime("%d/%m/%Y %H:%M")


def _french_country(code: str) -> str:
    for c, _en, fr, _w in COUNTRIES:
        if c == code:
            return fr
    return code


def canonical_csv(
    rows: list[dict[str, str]], english_names: bool = True, french_dates_every: int = 0
) -> str:
    """English CSV: commas, ISO dates, English country names on every other row.

    With ``french_dates_every=k``, every k-th row has its date as dd/mm/yyyy HH:MM.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CANONICAL_HEADER)
    names = {c[0]: c[1] for c in COUNTRIES}
    for i, row in enumerate(rows):
        values = [row[c] for c in CANONICAL_HEADER]
        if english_names and i % 2 and row["destination_country"] in names:
            values[3] = names[row["destination_country"]]
        if french_dates_every and i % french_dates_every == 0:
            values[1] = _french_date(values[1])
        writer.writerow(values)
    return out.getvalue()


def french_csv(rows: list[dict[str, str]]) -> str:
    """French Excel export: semicolons, French headers and values, dd/mm/yyyy dates."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(FRENCH_HEADER)
    for row in rows:
        writer.writerow(
            [
                row["order_id"],
                _french_date(row["shipped_at"]),
                row["tracking_number"],
                _french_country(row["destination_country"]),
                STATUS_FR.get(row["tracking_status"], row["tracking_status"]),
                CLAIM_FR.get(row["customer_claim"] or "none", row["customer_claim"]),
                SYNC_FR.get(row["store_tracking_synced"], row["store_tracking_synced"]),
            ]
        )
    return out.getvalue()


SAMPLES_AS_OF = dt.datetime(2026, 11, 26, 10, 0)


def write_samples(folder: Path) -> None:
    rows = generate_orders(360, SAMPLES_AS_OF, seed=7)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orders.csv").write_text(canonical_csv(rows), encoding="utf-8")
    (folder / "orders_fr.csv").write_bytes(french_csv(rows).encode("cp1252"))


if __name__ == "__main__":
    write_samples(Path(__file__).resolve().parent.parent / "data" / "samples")


def realistic_csv(n: int, as_of: dt.datetime, seed: int = 11) -> str:
    """``n`` orders shaped like a real shop's export (issue 13), as English CSV text.

    The outcomes and their mix are :func:`generate_orders`'s; what changes is the shape of
    the cells: ship times to the second (nearly every one distinct; a third written
    dd/mm/yyyy hh:mm, which drops the seconds), each shipped order its own S10 number with
    a valid check digit (about 3 % Colissimo numbers, about 1 % with a wrong check digit,
    about 3 % blank), countries as codes, English names and French names in turn, and order
    ids like ``TP-2026-795610`` in random order.
    """
    rows = generate_orders(n, as_of, seed=seed)
    rng = random.Random(seed * 31 + 1)
    serials = rng.sample(range(10**8), n)  # distinct serials: distinct numbers
    ids = rng.sample(range(100_000, 100_000 + 10 * max(n, 1)), n)
    names = {c[0]: (c[1], c[2]) for c in COUNTRIES}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CANONICAL_HEADER)
    for i, row in enumerate(rows):
        values = [row[c] for c in CANONICAL_HEADER]
        values[0] = f"TP-2026-{ids[i]:06d}" if row["order_id"] else ""
        text = row["shipped_at"]
        try:
            moment = dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
        except ValueError:
            moment = None  # empty, or invalid on purpose: kept as it is
        if moment is not None:
            # the same hour, to the second (not past as-of: the hour is before it already)
            moment = moment.replace(minute=rng.randrange(60), second=rng.randrange(60))
            if moment > as_of and row["_outcome"] != "invalid_input":
                moment = as_of - dt.timedelta(seconds=rng.randrange(1, 3600))
            values[1] = (moment.strftime("%d/%m/%Y %H:%M") if i % 3 == 0
                         else moment.strftime("%Y-%m-%d %H:%M:%S"))
        if row["tracking_number"]:
            draw = rng.random()
            if draw < 0.03:
                values[2] = ""
            elif draw < 0.06:
                prefix = rng.choice(["6A", "8R", "5Y", "6C", "8V"])
                values[2] = f"{prefix}{serials[i] * 997 % 10**11:011d}"
            else:
                serial = f"{serials[i]:08d}"
                digit = s10_check_digit(serial)
                if draw < 0.07:
                    digit = (digit + 1 + rng.randrange(9)) % 10  # any other digit
                prefix = rng.choice(["LA", "LB", "RR", "CP", "LV", "RB"])
                values[2] = f"{prefix}{serial}{digit}FR"
        code = row["destination_country"]
        if code in names and i % 3:
            values[3] = names[code][i % 3 - 1]
        writer.writerow(values)
    return out.getvalue()
