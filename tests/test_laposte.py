"""La Poste Suivi v2 client, against a real HTTP server on loopback (pytest-httpserver)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT
from werkzeug import Response

from tpop_kb import read_orders
from tpop_kb.laposte import (
    ENV_KEY,
    ENV_URL,
    LaPosteAuthError,
    LaPosteClient,
    LaPosteUnavailable,
    fetch_statuses,
    fill_tracking_status,
    live_enabled,
    live_status,
)
from tpop_kb.tracking import s10_check_digit

KEY = "okapi-test-key-7f3a9c"
BASE = "/suivi/v2"


def event(code, label, date):
    return {"code": code, "label": label, "date": date}


def answer(number, events, *, code=200, timeline=None, delivery_date=None, country="BE"):
    """One unitary answer, shaped as La Poste's documentation shows it."""
    shipment = {
        "idShip": number,
        "holder": 4,
        "product": "Colissimo",
        "isFinal": any(e["code"].startswith("DI") for e in events),
        "entryDate": "2026-11-16T09:14:00+01:00",
        "timeline": timeline
        or [
            {"id": 1, "shortLabel": "Pris en charge", "status": bool(events), "type": 1},
            {"id": 2, "shortLabel": "En cours d'acheminement", "status": False, "type": 1},
        ],
        "event": events,
        "contextData": {"originCountry": "FR", "arrivalCountry": country},
        "url": f"https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
    }
    if delivery_date:
        shipment["deliveryDate"] = delivery_date
    return {"lang": "fr_FR", "scope": "open", "returnCode": code, "shipment": shipment}


def not_found(number, code=104):
    return {
        "lang": "fr_FR",
        "scope": "open",
        "returnCode": code,
        "returnMessage": "Votre suivi n'est pas encore disponible.",
        "idShip": number,
    }


IN_TRANSIT = [
    event("ET1", "Votre colis est en cours d'acheminement.", "2026-11-17T06:12:00+01:00"),
    event("PC1", "Votre colis a été pris en charge.", "2026-11-16T18:30:00+01:00"),
]
DELIVERED = [
    event("DI1", "Votre colis est livré.", "2026-11-19T14:05:00+01:00"),
    event("MD2", "Votre colis est en cours de livraison.", "2026-11-19T08:01:00+01:00"),
    *IN_TRANSIT,
]
RETURNED = [
    event("DI2", "Votre colis a été livré à l'expéditeur.", "2026-11-25T10:00:00+01:00"),
    event("AG1", "Votre colis vous attend en bureau de poste.", "2026-11-20T09:00:00+01:00"),
    *IN_TRANSIT,
]


def s10(serial: int) -> str:
    digits = f"{serial:08d}"
    return f"LA{digits}{s10_check_digit(digits)}FR"


@pytest.fixture
def client(httpserver):
    return LaPosteClient(KEY, base_url=httpserver.url_for(BASE), backoff=0.01)


def test_one_number_in_transit(httpserver, client):
    httpserver.expect_request(
        f"{BASE}/idships/6A12345678901",
        query_string={"lang": "fr_FR"},
        headers={"X-Okapi-Key": KEY, "Accept": "application/json"},
    ).respond_with_json(answer("6A12345678901", IN_TRANSIT))
    status = client.track(["6a 1234 5678 901"])["6A12345678901"]
    assert status.tracking_status == "in_transit"
    assert (status.event_code, status.event_label) == (
        "ET1",
        "Votre colis est en cours d'acheminement.",
    )
    assert status.event_date == dt.datetime(2026, 11, 17, 6, 12)
    assert status.arrival_country == "BE" and status.product == "Colissimo"
    assert not status.returned and status.problem == ""
    assert status.message("fr") == (
        "La Poste, en direct : Votre colis est en cours d'acheminement (17/11/2026 06:12)."
    )


def test_delivered_returned_and_announced(httpserver, client):
    answers = {
        "6A00000000001": answer("6A00000000001", DELIVERED, delivery_date="2026-11-19T14:05:00Z"),
        "6A00000000002": answer("6A00000000002", RETURNED),
        "6A00000000003": answer(
            "6A00000000003", [event("DR1", "Votre colis est annoncé.", "2026-11-16T08:00:00Z")]
        ),
        "6A00000000004": answer("6A00000000004", []),
        "6A00000000005": answer(
            "6A00000000005",
            [],
            timeline=[
                {"id": 1, "shortLabel": "Pris en charge", "status": True, "type": 1},
                {"id": 3, "shortLabel": "Arrivé dans le pays", "status": True, "type": 1},
            ],
        ),
    }
    httpserver.expect_request(f"{BASE}/idships/" + ",".join(answers)).respond_with_json(
        list(answers.values()), status=207
    )
    got = client.track(list(answers))
    delivered = got["6A00000000001"]
    assert delivered.tracking_status == "delivered"
    assert delivered.delivered_at == dt.datetime(2026, 11, 19, 15, 5)  # UTC -> Paris
    assert delivered.event_code == "DI1"
    returned = got["6A00000000002"]
    assert (returned.tracking_status, returned.returned, returned.event_code) == (
        "in_transit",
        True,
        "DI2",
    )
    assert "retourné à l'expéditeur" in returned.message("fr")
    assert got["6A00000000003"].tracking_status == "none"
    assert got["6A00000000004"].tracking_status == "none"
    assert got["6A00000000004"].message("en") == "La Poste, live: no tracking event yet."
    assert got["6A00000000005"].tracking_status == "in_transit"
    assert client.calls == 1


def test_multi_status_with_an_unknown_number(httpserver, client):
    httpserver.expect_request(
        f"{BASE}/idships/LA123456785FR,6A12345678901"
    ).respond_with_json(
        [answer("LA123456785FR", DELIVERED), not_found("6A12345678901")], status=207
    )
    got = client.track(["LA123456785FR", "6A12345678901"])
    assert got["LA123456785FR"].tracking_status == "delivered"
    unknown = got["6A12345678901"]
    assert (unknown.tracking_status, unknown.problem, unknown.return_code) == (
        "none",
        "not_yet_known",
        104,
    )
    assert "pas encore disponible" in unknown.message("fr")


def test_404_for_one_number_is_an_answer_not_an_error(httpserver, client):
    httpserver.expect_request(f"{BASE}/idships/6A12345678901").respond_with_json(
        not_found("6A12345678901"), status=404
    )
    status = live_status("6A12345678901", "en", client)
    assert status.problem == "not_yet_known" and status.tracking_status == "none"
    assert status.message("en").startswith("La Poste does not show this number yet")


def test_a_rejected_number(httpserver, client):
    httpserver.expect_request(f"{BASE}/idships/6A12345678901").respond_with_json(
        {"returnCode": 400, "returnMessage": "Le numéro n'est pas valide.", "idShip": "x"},
        status=400,
    )
    status = client.track(["6A12345678901"])["6A12345678901"]
    assert status.tracking_status is None and status.problem == "rejected"
    assert "n'est pas valide" in status.message("fr")


def test_401_says_so_and_never_shows_the_key(httpserver, client, caplog):
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(f"{BASE}/idships/6A12345678901").respond_with_json(
        {"code": "UNAUTHORIZED", "message": "This action requires an authorization"}, status=401
    )
    with pytest.raises(LaPosteAuthError) as info:
        client.track(["6A12345678901"])
    assert "HTTP 401" in str(info.value) and ENV_KEY in str(info.value)
    assert KEY not in str(info.value)
    status = live_status("6A12345678901", "fr", client)
    assert status.problem == "auth" and KEY not in status.message("fr")
    assert KEY not in caplog.text  # not in any logger, urllib3's included
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("tpop_kb")]
    assert ours and not any("6A12345678901" in m for m in ours)  # no customer data
    assert KEY not in repr(client)
    assert client.calls == 2  # no retry on 401


def test_429_then_success_retries_with_backoff(httpserver, client):
    uri = f"{BASE}/idships/6A12345678901"
    httpserver.expect_ordered_request(uri).respond_with_data(
        "", status=429, headers={"Retry-After": "0"}
    )
    httpserver.expect_ordered_request(uri).respond_with_data("busy", status=503)
    httpserver.expect_ordered_request(uri).respond_with_json(answer("6A12345678901", DELIVERED))
    status = client.track(["6A12345678901"])["6A12345678901"]
    assert status.tracking_status == "delivered"
    assert client.calls == 3
    httpserver.check_assertions()


def test_service_down_after_every_retry(httpserver):
    httpserver.expect_request(f"{BASE}/idships/6A12345678901").respond_with_data(
        "down", status=503
    )
    client = LaPosteClient(KEY, base_url=httpserver.url_for(BASE), backoff=0.01, retries=2)
    with pytest.raises(LaPosteUnavailable, match=r"after 3 tries \(HTTP 503\)"):
        client.track(["6A12345678901"])
    assert client.calls == 3
    status = live_status("6A12345678901", "fr", client)
    assert status.problem == "unavailable"
    assert status.message("fr").startswith("Le service de suivi de La Poste est injoignable")


def test_timeout_is_retried_then_reported(httpserver):
    release = threading.Event()

    def slow(request):
        release.wait(5)
        return Response("{}", status=200, content_type="application/json")

    httpserver.expect_request(f"{BASE}/idships/6A12345678901").respond_with_handler(slow)
    client = LaPosteClient(
        KEY, base_url=httpserver.url_for(BASE), timeout=0.2, retries=1, backoff=0.01
    )
    started = time.monotonic()
    with pytest.raises(LaPosteUnavailable, match="no answer within 0.2 s"):
        client.track(["6A12345678901"])
    assert client.calls == 2 and time.monotonic() - started < 3
    release.set()  # let the server answer both requests before the next test
    while len(httpserver.log) < 2 and time.monotonic() - started < 10:
        time.sleep(0.01)


def test_connection_refused_is_unavailable():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = LaPosteClient(KEY, base_url=f"http://127.0.0.1:{port}/suivi/v2", backoff=0.01)
    with pytest.raises(LaPosteUnavailable, match="could not connect"):
        client.track(["6A12345678901"])


def test_not_json_is_a_clear_error(httpserver, client):
    httpserver.expect_request(f"{BASE}/idships/6A12345678901").respond_with_data(
        "<html>Not Found</html>", status=404, content_type="text/html"
    )
    status = live_status("6A12345678901", "en", client)
    assert status.problem == "unavailable" and "not JSON" in status.api_message


def test_batches_of_ten_at_most_ten_calls_a_second(httpserver):
    import requests

    numbers = [s10(i) for i in range(23)]
    asked_batches, languages, sent = [], [], []

    class Recording(requests.Session):
        def get(self, *args, **kwargs):  # when the client sends, by its own clock
            sent.append(time.monotonic())
            return super().get(*args, **kwargs)

    def handler(request):
        asked = request.path.rsplit("/", 1)[1].split(",")
        asked_batches.append(asked)
        languages.append(request.args.get("lang"))
        body = [answer(n, IN_TRANSIT) for n in asked]
        return Response(json.dumps(body), status=207, content_type="application/json")

    httpserver.expect_request(re.compile(rf"{BASE}/idships/.+")).respond_with_handler(handler)
    client = LaPosteClient(KEY, base_url=httpserver.url_for(BASE), session=Recording())
    got = client.track(numbers, lang="en")
    assert set(got) == set(numbers)
    assert all(s.tracking_status == "in_transit" for s in got.values())
    assert [len(b) for b in asked_batches] == [10, 10, 3]
    assert sorted(n for b in asked_batches for n in b) == sorted(numbers)
    assert languages == ["en_GB"] * 3
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    assert len(sent) == 3 and min(gaps) >= 0.099  # 10 calls a second at most


def test_numbers_la_poste_cannot_take_are_not_sent(httpserver, client):
    got = client.track(["LA123456784FR", "ORDER-12", "1234"])
    assert all(s.problem == "not_asked" for s in got.values())
    assert len(httpserver.log) == 0 and client.calls == 0
    assert "n'a pas une forme" in got["ORDER-12"].message("fr")


def test_off_without_a_key(monkeypatch):
    monkeypatch.delenv(ENV_KEY, raising=False)
    assert not live_enabled()
    status = live_status("6A12345678901", "fr")
    assert status.problem == "off"
    assert "désactivé" in status.message("fr")
    report = fetch_statuses(["6A12345678901"])
    assert report.failed and ENV_KEY in report.notes[0]


def test_key_and_address_from_the_environment(httpserver, monkeypatch):
    monkeypatch.setenv(ENV_KEY, KEY)
    monkeypatch.setenv(ENV_URL, httpserver.url_for(BASE))
    httpserver.expect_request(
        f"{BASE}/idships/6A12345678901", headers={"X-Okapi-Key": KEY}
    ).respond_with_json(answer("6A12345678901", DELIVERED))
    assert live_enabled()
    assert live_status("6A12345678901", "fr").tracking_status == "delivered"
    assert live_status("6A12345678901", "fr", timeout=2, retries=0).tracking_status == (
        "delivered"
    )


def test_a_bad_address_in_the_environment_is_a_note(monkeypatch):
    monkeypatch.setenv(ENV_KEY, KEY)
    monkeypatch.setenv(ENV_URL, "ftp://nowhere")
    report = fetch_statuses(["6A12345678901"])
    assert report.failed and "http" in report.notes[0]
    assert live_status("6A12345678901").problem == "unavailable"


# ---------------------------------------------------------------------------
# Filling a file's tracking_status, and the CLI's --live
# ---------------------------------------------------------------------------

ORDERS = (
    "order_id,shipped_at,tracking_number,destination_country,tracking_status\n"
    "A1,2026-11-10,6A00000000001,FR,\n"  # asked: delivered
    "A2,2026-11-10,6A00000000002,FR,in_transit\n"  # has a status: not asked
    "A3,,6A00000000003,FR,\n"  # not shipped: not asked
    "A4,2026-11-10,LA123456784FR,FR,\n"  # wrong check digit: not asked
    "A5,2026-11-10,6A00000000005,Atlantis,\n"  # invalid row: not asked
    "A6,2026-11-10,6A00000000006,FR,\n"  # asked: unknown to La Poste
)


def test_fill_tracking_status(httpserver, client):
    httpserver.expect_request(f"{BASE}/idships/6A00000000001,6A00000000006").respond_with_json(
        [answer("6A00000000001", DELIVERED), not_found("6A00000000006")], status=207
    )
    orders = read_orders(ORDERS.encode(), name="o.csv").orders
    filled, notes = fill_tracking_status(orders, client=client)
    # an empty cell reads as "none" (no event yet): the same as no status for --live
    assert list(orders["tracking_status"]) == ["none", "in_transit"] + ["none"] * 4
    assert list(filled["tracking_status"]) == ["delivered", "in_transit"] + ["none"] * 4
    assert filled.index.equals(orders.index)
    assert any("2 of 3 order(s)" in n and "1 number(s) not of a shape" in n for n in notes)


def test_fill_goes_on_offline_when_the_service_fails(httpserver):
    httpserver.expect_request(f"{BASE}/idships/6A00000000001,6A00000000006").respond_with_data(
        "", status=502
    )
    client = LaPosteClient(KEY, base_url=httpserver.url_for(BASE), backoff=0.01, retries=1)
    orders = read_orders(ORDERS.encode(), name="o.csv").orders
    filled, notes = fill_tracking_status(orders, client=client)
    assert filled["tracking_status"].tolist() == orders["tracking_status"].tolist()
    assert any("HTTP 502" in n for n in notes)
    assert any("goes on with the file's data" in n for n in notes)


def _cli(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "tpop_kb", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, **env},
    )


def test_cli_live_fills_the_status(httpserver, tmp_path):
    httpserver.expect_request(f"{BASE}/idships/6A00000000001,6A00000000006").respond_with_json(
        [answer("6A00000000001", DELIVERED), not_found("6A00000000006")], status=207
    )
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    done = _cli(
        "triage", str(path), "--as-of", "2026-11-26T10:00", "--live",
        env={ENV_KEY: KEY, ENV_URL: httpserver.url_for(BASE)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outcomes = [row[1] for row in list(csv.reader(io.StringIO(done.stdout)))[1:]]
    assert outcomes[0] == "delivered"  # offline: tracking_silent
    assert "2 of 3 order(s) without a tracking status (or with 'none') got one" in done.stderr
    assert KEY not in done.stderr + done.stdout


def test_cli_live_without_a_key_goes_on_offline(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != ENV_KEY}
    done = subprocess.run(
        [sys.executable, "-m", "tpop_kb", "triage", str(path), "--as-of", "2026-11-26", "--live"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"live status is off: {ENV_KEY} is not set" in done.stderr
    outcomes = [row[1] for row in list(csv.reader(io.StringIO(done.stdout)))[1:]]
    assert outcomes[0] == "tracking_silent"
    assert "Traceback" not in done.stderr
