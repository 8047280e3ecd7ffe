"""benchmarks/capacity.py on a tiny level: its own code against a real shared Voila.

Two simulated members of staff open the order assistant (page, kernel websocket, widget
states) and ask for two answers each; the answers must arrive and every figure of the
report must be computed. The pastes it sends must all get an answer card naming their
order (not a question), or its click times would measure nothing.
"""

from __future__ import annotations

import pytest
from capacity import (  # benchmarks/ is on the path (tests/conftest.py)
    goal_rows,
    orders,
    parse_args,
    report,
    run_level,
    s10,
)

from tpop_kb.tracking import check_tracking_number


def test_every_paste_gets_an_answer_card_naming_its_order(tmp_path, monkeypatch):
    monkeypatch.setenv("TPOP_KB_EVENTS", "off")
    from tpop_kb.apps import OrderAssistantApp

    made = orders(80, seed=3)
    assert len({o.order_id for o in made}) == len(made)
    app = OrderAssistantApp()
    for order in made:
        app.state.paste = order.paste
        app._on_triage()
        assert app.state.phase == "result", order.paste
        assert "tpop-outcome" in app.outcome.value
        assert order.order_id in app.outcome.value


def test_tracking_numbers_are_valid_s10():
    for serial in (0, 12345678, 99999999, 31363057):
        number = s10(serial, "LA")
        assert check_tracking_number(number).valid, number
        wrong = number[:10] + str((int(number[10]) + 1) % 10) + "FR"
        assert not check_tracking_number(wrong).valid, wrong


@pytest.mark.slow
def test_two_staff_two_answers_each_against_a_real_server():
    args = parse_args(["--levels", "2", "--spacing", "0.5", "--hold", "4",
                       "--think", "0.5", "1", "--clicks", "2", "--browser-sample", "0"])
    level = run_level(2, args)
    assert level.errors == []
    assert len(level.opened) == 2 and all(0 < s < 120 for s in level.opened)
    assert len(level.clicks) == 4 and all(0 < s < 30 for s in level.clicks)
    assert len(level.first_clicks) == 2
    assert level.memory["kernels"] >= 2
    assert level.memory["kernel_median"]["pss"] > 10
    assert level.memory["server_pss"] > 10
    assert level.cpu["ramp_cores"] > 0 and level.cpu["client_hold_cores"] >= 0
    assert level.passed == (max(level.opened) <= 10 and sorted(level.clicks)[-1] * 1000 < 500)
    text = report([level], level if level.passed else None, args)
    assert "| 2 |" in text
    rows = goal_rows(level)
    assert rows[0][1] == "2 staff" and rows[0][2] is False  # 2 < the goal of 100
