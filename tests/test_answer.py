"""`python -m tpop_kb answer`: one paste in, the documented JSON out."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from tpop_kb.answer import SCHEMA, answer
from tpop_kb.paste import PasteError

AS_OF = dt.datetime(2026, 11, 26, 10, 0)
KEYS = {"schema", "as_of", "lang", "kb_version", "format", "fields", "missing", "ignored",
        "problems", "notes", "outcome", "flags", "errors", "questions", "dates", "links",
        "replies"}


def run(*args: str, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tpop_kb", "answer", *args], input=text,
                          capture_output=True, text=True, check=False)


def test_json_form_is_the_documented_one():
    done = run("-", "--as-of", "2026-11-26T10:00", "--lang", "en", "--json", text=(
        "Commande TP-2026-1001 expédiée le 20/11/2026 à 15h12, suivi LA123456785FR, "
        "livraison en Belgique. Le suivi n'affiche rien."
    ))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == KEYS and result["schema"] == SCHEMA
    assert result["fields"]["shipped_at"]["value"] == "2026-11-20 15:12"
    assert result["fields"]["destination_country"] == {
        "value": "BE", "source": "text", "label": "", "certainty": "inferred",
        "why": "country_from_address", "detail": "",
        "explained": "given with the delivery address or the destination"}
    assert result["outcome"]["code"] == "check_destination_post"
    assert result["links"]["destination_post"]["name"] == "bpost"
    assert result["dates"]["contact_from"] == "2026-12-12"
    assert {d["to"] for d in result["replies"]} == {"customer"}
    assert all(d["lang"] == "en" for d in result["replies"])


def test_nothing_usable_is_exit_2_with_a_json_error():
    done = run("--json", text="bonjour, merci beaucoup")
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"]["code"] == "nothing_usable"
    plain = run(text="")
    assert plain.returncode == 2 and "Nothing was pasted" in plain.stderr


def test_ambiguous_date_is_a_question_with_both_readings():
    result = answer("Order A1, shipped 05/11/2026, tracking LA123456785FR", AS_OF, "en")
    assert "shipped_at" not in result["fields"]
    (question, *_) = result["questions"]
    assert question["kind"] == "field" and question["fact"] == "shipped_at"
    assert [c["value"] for c in question["choices"]] == ["2026-11-05", "2026-05-11"]
    # until it is answered, the order is shipped (a tracking number) without a date
    assert "ship_date_missing" in {f["id"] for f in result["flags"]}


def test_open_tree_questions_carry_fact_text_and_choices():
    result = answer("N° de suivi : LA123456785FR\nExpédiée le : 20/11/2026", AS_OF, "fr")
    tree_questions = [q for q in result["questions"] if q["kind"] == "tree"]
    assert tree_questions[0]["fact"] == "delivered"
    assert [c["value"] for c in tree_questions[0]["choices"]] == ["yes", "no"]
    assert result["dates"]["ship_time_given"] is False
    assert result["fields"]["shipped_at"]["why"] == "time_not_given"


def test_paste_error_is_the_only_exception():
    with pytest.raises(PasteError):
        answer("   ", AS_OF)
