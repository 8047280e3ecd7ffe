"""The triage rules, and the two engines giving identical results."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest
from conftest import SAMPLES, SAMPLES_AS_OF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tpop_kb import (
    OUTCOMES,
    OUTPUT_COLUMNS,
    Order,
    order_from_record,
    read_orders,
    triage_frame,
    triage_order,
    triage_table,
)
from tpop_kb.triage import order_facts

D = dt.datetime
AS_OF = D(2026, 11, 26, 10, 0)  # a Thursday


def decide(as_of=AS_OF, **fields):
    return triage_order(order_from_record({"order_id": "A1", **fields}), as_of)


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        ({"shipped_at": ""}, "not_shipped"),
        ({}, "not_shipped"),
        ({"shipped_at": "2026-11-25 09:00", "tracking_status": "none"}, "wait_for_activation"),
        ({"shipped_at": "2026-11-24 10:01", "tracking_status": "none"}, "wait_for_activation"),
        ({"shipped_at": "2026-11-24 10:00", "tracking_status": "none"}, "tracking_silent"),
        (
            {
                "shipped_at": "2026-11-24 09:59",
                "tracking_status": "none",
                "destination_country": "FR",
            },
            "tracking_silent",
        ),
        (
            {
                "shipped_at": "2026-11-24 09:59",
                "tracking_status": "none",
                "destination_country": "BE",
            },
            "check_destination_post",
        ),
        ({"shipped_at": "2026-11-24 09:59", "tracking_status": "none"}, "tracking_silent"),
        # a date without a time is read as the end of that day: the window is not over
        ({"shipped_at": "2026-11-24", "tracking_status": "none"}, "wait_for_activation"),
        ({"shipped_at": "2026-11-23", "tracking_status": "none"}, "tracking_silent"),
        # waiting at a post office: the customer collects it, whatever the days
        ({"shipped_at": "2026-11-20", "tracking_status": "avis de passage"},
         "collect_at_post_office"),
        ({"shipped_at": "2026-10-01", "tracking_status": "en attente de retrait"},
         "collect_at_post_office"),
        ({"shipped_at": "2026-10-01", "tracking_status": "available for pickup",
          "claim": "not received"}, "collect_at_post_office"),
        # a tracking number or a tracking event means shipped, even without a date
        ({"tracking_number": "LA123456785FR"}, "wait_for_activation"),
        ({"tracking_status": "in transit"}, "wait_before_contact"),
        ({"tracking_status": "livré"}, "delivered"),
        ({"tracking_status": "delivered", "claim": "not received"},
         "delivered_go_to_post_office"),
        ({"tracking_status": "avis de passage"}, "collect_at_post_office"),
        ({"shipped_at": "2026-11-25", "tracking_status": "in_transit"}, "wait_before_contact"),
        ({"shipped_at": "2026-11-05", "tracking_status": "in_transit"}, "wait_before_contact"),
        ({"shipped_at": "2026-11-04 23:59", "tracking_status": "in_transit"}, "contact_tpop"),
        (
            {"shipped_at": "2026-11-04", "tracking_status": "none", "destination_country": "DE"},
            "contact_tpop",
        ),
        ({"shipped_at": "2026-11-01", "tracking_status": "delivered"}, "delivered"),
        (
            {"shipped_at": "2026-11-01", "tracking_status": "livré", "claim": "non reçu"},
            "delivered_go_to_post_office",
        ),
        (
            {
                "shipped_at": "2026-11-01",
                "tracking_status": "delivered",
                "claim": "still_not_received",
            },
            "delivered_merchant_decides",
        ),
        ({"shipped_at": "2026-11-27", "tracking_status": "none"}, "invalid_input"),
        ({"shipped_at": "someday"}, "invalid_input"),
        ({"shipped_at": "2026-11-20", "tracking_status": "lost"}, "invalid_input"),
        ({"shipped_at": "2026-11-20", "claim": "angry"}, "invalid_input"),
        ({"shipped_at": "2026-11-20", "destination_country": "Atlantis"}, "invalid_input"),
    ],
)
def test_rules(fields, outcome):
    assert decide(**fields).code == outcome


def test_empty_order_id_is_invalid():
    decision = triage_order(order_from_record({"order_id": " ", "shipped_at": "2026-11-20"}), AS_OF)
    assert decision.code == "invalid_input"
    assert decision.to_row()["error"] == "order_id: empty"


def test_future_ship_date_names_column_and_value():
    row = decide(shipped_at="2026-11-27 08:00").to_row()
    assert row["error"] == (
        "shipped_at: '2026-11-27 08:00' is after the as-of moment 2026-11-26 10:00"
    )


def test_dates_and_row():
    row = decide(
        shipped_at="2026-11-20 15:00", tracking_status="none", tracking_number="LA123456785FR"
    ).to_row()
    assert row["outcome"] == "wait_for_activation" or row["outcome"] != ""
    decision = decide(
        as_of=D(2026, 11, 23, 9), shipped_at="2026-11-20 15:00", tracking_number="LA123456785FR"
    )
    row = decision.to_row()
    assert row["outcome"] == "wait_for_activation"
    assert row["recheck_at"] == "2026-11-24T15:00"
    assert row["contact_from"] == "2026-12-12"
    assert row["days_since_shipped"] == 3
    assert row["tracking_url"] == (
        "https://www.laposte.fr/outils/suivre-vos-envois?code=LA123456785FR"
    )
    assert row["article_ref"] == "activation-delay"
    assert "2026-11-24 15:00" in row["reason"]


def test_contact_from_is_shipped_plus_threshold_plus_one(tree):
    days = tree.thresholds["contact_after_days"]
    shipped = D(2026, 10, 1, 12)
    before = decide(
        as_of=shipped + dt.timedelta(days=days),
        shipped_at="2026-10-01 12:00",
        tracking_status="in_transit",
    )
    after = decide(
        as_of=shipped + dt.timedelta(days=days + 1),
        shipped_at="2026-10-01 12:00",
        tracking_status="in_transit",
    )
    assert before.code == "wait_before_contact" and after.code == "contact_tpop"
    assert (
        after.to_row()["contact_from"] == (shipped + dt.timedelta(days=days + 1)).date().isoformat()
    )


def test_delivered_has_no_contact_date():
    row = decide(shipped_at="2026-11-01", tracking_status="delivered").to_row()
    assert row["contact_from"] == "" and row["recheck_at"] == "" and row["days_since_shipped"] == 25


def test_flags():
    decision = decide(
        shipped_at="2026-11-01", tracking_status="in_transit", store_tracking_synced="non"
    )
    assert decision.flags == ("store_sync_missing", "tracking_number_missing")
    assert decision.to_row()["flags"] == "store_sync_missing;tracking_number_missing"
    assert decide(shipped_at="", store_tracking_synced="no").flags == ()
    assert (
        decide(
            shipped_at="2026-11-01", tracking_number="6A12345678901", store_tracking_synced="yes"
        ).flags
        == ()
    )


@pytest.mark.parametrize(
    ("number", "flags"),
    [
        ("LA123456785FR", ()),
        ("6A12345678901", ()),
        ("LA123456784FR", ("tracking_number_invalid",)),
        ("LA123456785ZZ", ("tracking_number_invalid",)),
        ("ORDER-1234", ("tracking_number_unrecognized",)),
        ("", ("tracking_number_missing",)),
    ],
)
def test_tracking_number_flags(number, flags):
    decision = decide(
        shipped_at="2026-11-20",
        tracking_status="in_transit",
        tracking_number=number,
        store_tracking_synced="yes",
    )
    assert decision.flags == flags
    expected = {"": None, "LA123456785FR": "ok", "6A12345678901": "ok"}.get(
        number, "unrecognized" if "-" in number else "invalid"
    )
    assert decision.facts["tracking_number_check"] == expected


def test_number_without_date_is_shipped_and_flagged():
    """A tracking number means shipped: never "not shipped"; the missing date is flagged
    and the reason says the dates need it."""
    decision = decide(shipped_at="", tracking_number="LA123456784FR")
    assert decision.code != "not_shipped"
    assert decision.flags == ("ship_date_missing", "tracking_number_invalid")
    assert "no ship date" in decision.reason("en")
    assert "sans date d'expédition" in decision.reason("fr")


def test_nothing_at_all_is_not_shipped_without_flags():
    assert decide(shipped_at="").flags == ()


def test_unknown_status_is_said_in_reasons():
    """No status given: the reason says so, never "no tracking event"."""
    unknown = decide(shipped_at="2026-11-10 09:00", destination_country="BE")
    assert unknown.code == "check_destination_post"
    assert "status not given" in unknown.reason("en")
    assert "non renseigné" in unknown.reason("fr")
    known = decide(shipped_at="2026-11-10 09:00", destination_country="BE",
                   tracking_status="none")
    assert "No tracking event yet" in known.reason("en")
    assert "status not given" not in known.reason("en")


@pytest.mark.parametrize(
    ("fields", "url"),
    [
        (
            {"destination_country": "BE"},
            "https://track.bpost.cloud/btr/web/#/search?lang=fr&itemCode=LA123456785FR",
        ),
        ({"destination_country": "Allemagne", "tracking_number": "LA 123 456 785 FR"},
         "https://www.deutschepost.de/de/s/sendungsverfolgung/verfolgen.html?piececode=LA123456785FR"),
        ({"destination_country": "LU"},
         "https://www.post.lu/en/particuliers/colis-courrier/track-and-trace"),
        ({"destination_country": "FR"}, ""),
        ({"destination_country": "BR"}, ""),  # no operator listed
        ({}, ""),  # destination unknown
        ({"destination_country": "BE", "tracking_number": ""}, ""),
        ({"destination_country": "BE", "shipped_at": "", "tracking_number": ""},
         ""),  # not shipped
        # shipped without a date (a tracking number): the link is already useful
        ({"destination_country": "BE", "shipped_at": ""},
         "https://track.bpost.cloud/btr/web/#/search?lang=fr&itemCode=LA123456785FR"),
        ({"destination_country": "BE", "tracking_status": "lost"}, ""),  # invalid order
        (
            {"destination_country": "BE", "tracking_status": "delivered"},
            "https://track.bpost.cloud/btr/web/#/search?lang=fr&itemCode=LA123456785FR",
        ),
    ],
)
def test_destination_post_url(fields, url):
    fields = {
        "shipped_at": "2026-11-10",
        "tracking_status": "none",
        "tracking_number": "LA123456785FR",
        **fields,
    }
    row = decide(**fields).to_row()
    assert row["destination_post_url"] == url
    frame = triage_frame(read_orders(_csv([{"order_id": "A1", **fields}]), name="x.csv").orders,
                         AS_OF)
    assert frame["destination_post_url"].iloc[0] == url


def _csv(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_decision_is_explained():
    decision = decide(shipped_at="2026-11-01", tracking_status="delivered", claim="non reçu")
    assert [s.node.id for s in decision.path] == ["q_valid", "q_shipped", "q_delivered", "q_claim"]
    assert all(step.known for step in decision.path)
    assert "go-to-post-office" in decision.passages
    assert "no-reshipment" in decision.passages
    assert decision.reason("fr") != decision.reason("en")


def test_unknown_facts_are_assumed_and_marked():
    decision = triage_order(Order(order_id="A1", shipped_at=D(2026, 11, 16)), AS_OF)
    assert decision.code == "tracking_silent"
    assert [s.node.id for s in decision.unknown_steps] == [
        "q_delivered",
        "q_at_post_office",
        "q_tracking_active",
        "q_abroad",
    ]
    answered = triage_order(
        Order(order_id="A1", shipped_at=D(2026, 11, 16)),
        AS_OF,
        answers={"delivered": "no", "awaiting_collection": "no", "tracking_active": "no",
                 "abroad": "yes"},
    )
    assert answered.code == "check_destination_post" and not answered.unknown_steps


def test_one_order_is_a_one_row_table_through_the_engine():
    """triage_order's facts are triage_table's for the same order (one engine), an order
    without an id is not an invalid one, and the path is in the order it was asked."""
    order = order_from_record({"shipped_at": "2026-11-20 15:00", "tracking_number":
                               "LA123456784FR", "destination_country": "Belgique"})
    assert order.order_id is None
    decision = triage_order(order, AS_OF)
    assert decision.facts["input_valid"] == "yes"
    assert decision.facts["tracking_number_check"] == "invalid"
    assert decision.activation_deadline == D(2026, 11, 24, 15)
    assert decision.path[0].node.id == decision.tree.root
    for before, after in zip(decision.path, decision.path[1:], strict=False):
        assert before.node.answers[before.answer] == after.node.id
    assert decision.path[-1].node.answers[decision.path[-1].answer] == decision.code
    facts, errors, deadline = order_facts(order, AS_OF)
    assert facts == {k: v for k, v in decision.facts.items()} and errors == ()
    assert deadline == decision.activation_deadline
    row = triage_table(_one_row_table(order, "A1"), AS_OF).to_pylist()[0]
    assert {**decision.to_row(), "order_id": "A1"} == row


def _one_row_table(order, order_id):
    import pyarrow as pa

    from tpop_kb.orders import canonical_table

    frame = pd.DataFrame([{
        "order_id": order_id, "shipped_at": order.shipped_at,
        "tracking_number": order.tracking_number or "",
        "destination_country": order.destination_country or "",
        "tracking_status": order.tracking_status or "", "customer_claim": "",
        "store_tracking_synced": order.store_tracking_synced, "error": ""}])
    table = canonical_table(frame)
    assert isinstance(table, pa.Table)
    return table


def test_late_and_empty_id_errors_read_alike_in_both_forms():
    """An order shipped after as-of with an empty id: the same errors, in the same order,
    one order or a table."""
    order = order_from_record({"order_id": "", "shipped_at": "2026-11-27 09:00"})
    decision = triage_order(order, AS_OF)
    assert decision.errors == (
        "order_id: empty",
        "shipped_at: '2026-11-27 09:00' is after the as-of moment 2026-11-26 10:00")
    table = read_orders(b"order_id,shipped_at\n,2026-11-27 09:00\n", name="x.csv")
    assert triage_table(table.orders_table, AS_OF).column("error").to_pylist() == [
        decision.to_row()["error"]]


def test_samples_give_their_intended_outcomes():
    import orders_gen

    rows = orders_gen.generate_orders(360, SAMPLES_AS_OF, seed=7)
    result = triage_frame(read_orders(SAMPLES / "orders.csv").orders, SAMPLES_AS_OF)
    assert list(result["outcome"]) == [r["_outcome"] for r in rows]
    assert set(result["outcome"]) == set(OUTCOMES)  # every outcome is in the samples
    flags = set(";".join(result["flags"]).split(";"))
    assert {
        "store_sync_missing",
        "tracking_number_missing",
        "tracking_number_invalid",
        "tracking_number_unrecognized",
    } <= flags
    assert result["destination_post_url"].str.startswith("https://").any()


def test_frame_keeps_order_and_length():
    table = read_orders(SAMPLES / "orders_fr.csv")
    result = triage_frame(table.orders, SAMPLES_AS_OF)
    assert len(result) == table.rows
    assert list(result["order_id"]) == list(table.orders["order_id"])
    assert list(result.columns) == list(OUTPUT_COLUMNS)


def test_empty_frame():
    table = read_orders(b"order_id,shipped_at\n", name="x.csv")
    assert len(triage_frame(table.orders, AS_OF)) == 0


# ---------------------------------------------------------------------------
# Property: the explainable engine and the vectorised engine agree
# ---------------------------------------------------------------------------

AS_OFS = [
    D(2026, 11, 26, 10),
    D(2026, 11, 12, 9, 30),
    D(2026, 11, 16, 0),
    D(2026, 12, 28, 8),
    D(2026, 11, 23, 23, 59),
    D(2027, 1, 4, 12),
    D(2026, 5, 15, 7),
    D(2026, 11, 14, 10),
]
OFFSETS = st.one_of(
    st.integers(min_value=0, max_value=6 * 24 * 60),  # around the activation window
    st.integers(min_value=19 * 24 * 60, max_value=24 * 24 * 60),  # around the 21 days
    st.integers(min_value=-2 * 24 * 60, max_value=60 * 24 * 60),
)


@st.composite
def raw_rows(draw, as_of):
    minutes = draw(OFFSETS)
    shipped = as_of - dt.timedelta(minutes=minutes)
    if draw(st.booleans()):
        shipped = shipped.replace(hour=0, minute=0)
    date_text = draw(
        st.sampled_from(
            [
                shipped.strftime("%Y-%m-%d %H:%M"),
                shipped.strftime("%d/%m/%Y %H:%M"),
                shipped.strftime("%Y-%m-%d"),
                shipped.strftime("%d/%m/%Y"),
                "",
                "31/02/2026",
                "soon",
            ]
        )
    )
    return {
        "order_id": draw(st.sampled_from(["A1", "B-2", "", " C3 ", "=1+1"])),
        "shipped_at": date_text,
        "tracking_number": draw(
            st.sampled_from(
                [
                    "",
                    "LA123456785FR",  # S10, valid
                    "la 1234 5678 5fr",  # the same, as typed
                    "LA123456784FR",  # S10, wrong check digit
                    "EB000717594HK",  # S10, wrong check digit
                    "RR123456785XX",  # S10, issuer is no country
                    "6A12345678901",  # Colissimo
                    "12345678",  # unrecognised
                    "a b/c",  # unrecognised, needs URL-encoding
                ]
            )
        ),
        "destination_country": draw(
            st.sampled_from(
                [
                    "", "FR", "France", "BE", "Belgique", "Allemagne", "US", "Atlantis",
                    "LU",  # search-only operator
                    "Portugal",  # {n} twice in the template
                    "Brésil",  # no operator listed
                ]
            )
        ),
        "tracking_status": draw(
            st.sampled_from(
                ["", "none", "pending", "in_transit", "en transit", "delivered", "livré", "lost"]
            )
        ),
        "customer_claim": draw(
            st.sampled_from(["", "none", "not_received", "non reçu", "still_not_received", "angry"])
        ),
        "store_tracking_synced": draw(st.sampled_from(["", "true", "non", "0", "oui", "maybe"])),
    }


@st.composite
def order_files(draw):
    as_of = draw(st.sampled_from(AS_OFS))
    columns = ["order_id", "shipped_at"] + draw(
        st.lists(
            st.sampled_from(
                [
                    "tracking_number",
                    "destination_country",
                    "tracking_status",
                    "customer_claim",
                    "store_tracking_synced",
                ]
            ),
            unique=True,
        )
    )
    rows = draw(st.lists(raw_rows(as_of), min_size=1, max_size=25))
    return as_of, columns, [{c: r[c] for c in columns} for r in rows]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order_files())
def test_single_and_vectorised_engines_agree(sample):
    as_of, columns, rows = sample
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    table = read_orders(buffer.getvalue().encode(), name="p.csv")
    frame = triage_frame(table.orders, as_of)
    # the command line's path (Arrow from the reader, dictionary-encoded output) is the same
    arrow = triage_table(table.orders_table, as_of, dictionaries=True)
    plain = triage_table(table.orders, as_of)
    assert arrow.cast(plain.schema).equals(plain)
    rows = [r for r in rows if any(v.strip() for v in r.values())]  # blank rows: skipped, noted
    singles = [triage_order(order_from_record(r), as_of).to_row() for r in rows]
    expected = pd.DataFrame(singles, columns=list(OUTPUT_COLUMNS))
    got = frame.reset_index(drop=True)
    for column in OUTPUT_COLUMNS:
        left = [None if pd.isna(v) else v for v in got[column]]
        right = [
            None if v is None or (isinstance(v, float) and pd.isna(v)) else v
            for v in expected[column]
        ]
        assert left == right, column


def test_a_file_without_a_status_column_says_the_status_is_unknown():
    """Bulk reasons never claim "no tracking event" when the file has no status column."""
    rows = [{"order_id": "S1", "shipped_at": "2026-11-10 09:00", "tracking_number":
             "LA123456785FR", "destination_country": "BE"},
            {"order_id": "S2", "shipped_at": "2026-11-16 09:00", "tracking_number":
             "LA123456785FR", "destination_country": "FR"}]
    frame = triage_frame(read_orders(_csv(rows), name="x.csv").orders, AS_OF)
    assert list(frame["outcome"]) == ["check_destination_post", "tracking_silent"]
    for reason in frame["reason"]:
        assert "status not given" in reason and "No tracking event" not in reason
