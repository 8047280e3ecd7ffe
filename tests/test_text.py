"""Invisible and control characters (bidirectional overrides, zero-width characters, C0/C1
controls) never reach a field, a page, a reply draft or an export (tpop_kb/text.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tpop_kb import order_from_record, read_orders, triage_order
from tpop_kb.apps._base import esc
from tpop_kb.paste import parse_paste
from tpop_kb.replies import drafts
from tpop_kb.text import INVISIBLE_CLASS, clean, normalize_key, shorten, visible

AS_OF = dt.datetime(2026, 11, 26, 10, 0)
RLO, LRI, PDI, ZWSP, ALM = "\u202e", "\u2066", "\u2069", "\u200b", "\u061c"
SPOOFS = [RLO, LRI, PDI, ZWSP, ALM, "\u200e", "\u200f", "\u202a", "\ufeff", "\x00", "\x07",
          "\x1b", "\x7f", "\x9b"]
HIDDEN = re.compile(INVISIBLE_CLASS)


@pytest.mark.parametrize("char", SPOOFS)
def test_visible_removes_each_invisible_character(char):
    assert visible(f"TP{char}-1087") == "TP-1087"


def test_visible_keeps_text_whitespace_and_emoji_joiners():
    assert visible("a\tb\nc") == "a\tb\nc"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # ZWJ sequence stays
    assert visible(family) == family
    assert visible("Zoë – Ελλάδα — 東京") == "Zoë – Ελλάδα — 東京"
    assert visible("a\x0bb\x1fc") == "a b c"  # whitespace controls read as spaces
    assert visible(None) == "" and visible(1087) == "1087"


def test_python_and_arrow_agree_on_the_class():
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = [f"A{c}B" for c in SPOOFS]
    arrow = pc.replace_substring_regex(pa.array(texts), INVISIBLE_CLASS, "").to_pylist()
    assert arrow == [HIDDEN.sub("", t) for t in texts] == ["AB"] * len(SPOOFS)


def test_a_paste_with_a_right_to_left_override_gives_clean_fields():
    text = (f"Commande #{RLO}1087\nN° de suivi : 6A{ZWSP}12345678901\n"
            f"Date d'expédition : 20/11/2026 15:12\nPays : Belg{ALM}ique\n")
    pasted = parse_paste(text, AS_OF)
    record = pasted.record
    values = " ".join(str(v) for v in record.values())
    assert not HIDDEN.search(values), record
    assert record["order_id"].endswith("1087")
    assert record["tracking_number"] == "6A12345678901"
    assert record["destination_country"] == "BE"


def _file(order_id: str, tracking: str) -> bytes:
    return ("order_id,shipped_at,tracking_number,destination_country\n"
            f"{order_id},2026-11-20 15:12:09,{tracking},BE\n"
            "TP-2,2026-11-20 15:12:09,6A12345678902,FR\n").encode()


def test_files_lose_invisible_characters_in_ids_and_numbers():
    table = read_orders(_file(f"TP-{RLO}1087{PDI}", f"6A1234{ZWSP}5678901"), name="x.csv")
    frame = table.orders
    assert frame["order_id"].tolist() == ["TP-1087", "TP-2"]
    assert frame["tracking_number"].tolist()[0] == "6A12345678901"
    arrow = table.orders_table  # the command line's path
    assert arrow.column("order_id").to_pylist() == ["TP-1087", "TP-2"]


def test_reply_drafts_and_pages_never_carry_an_override():
    order = order_from_record({"order_id": f"TP-{RLO}1087", "shipped_at": "2026-10-01 10:00",
                               "tracking_number": "6A12345678901",
                               "tracking_status": "in_transit", "destination_country": "DE"})
    decision = triage_order(order, AS_OF)
    for lang in ("fr", "en"):
        for draft in drafts(decision, lang):
            assert not HIDDEN.search(draft.text), draft.text
            assert "TP-1087" in draft.text or "{order_id}" not in draft.text
    assert esc(f"<b>{RLO}gpj.exe</b>") == "&lt;b&gt;gpj.exe&lt;/b&gt;"


def test_normalize_key():
    assert normalize_key("N° de Commande") == normalize_key("n de commande") == "ndecommande"
    assert normalize_key("Date d'expédition") == "datedexpedition"


def test_clean_folds_spaces_and_drops_invisible_characters():
    assert clean(None) == "" and clean(float("nan")) == ""
    assert clean("  LA\u00a0123\u202f456 \u202e ") == "LA 123 456"


def test_shorten():
    assert shorten("abc", 5) == "abc"
    assert shorten("abcdefgh", 5) == "abcd…" and len(shorten("x" * 100)) == 60
