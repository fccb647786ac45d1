"""The department league: a composite of on-time rate, satisfaction and overdue, hand-computed."""

from __future__ import annotations

from cityloop.domain.league import MIN_REPLIED, DepartmentFigures, league, score


def F(code: str, **kw: int) -> DepartmentFigures:  # noqa: N802 - a short constructor for tables
    return DepartmentFigures(department=code, name=code, orders=kw.pop("orders", 10), **kw)


def test_score_weights_the_three_components():
    # on time 9/10 = .9, satisfaction 6/8 = .75, punctuality 1 − 1/4 = .75
    # 100 × (.40·.9 + .35·.75 + .25·.75) = 100 × (.36 + .2625 + .1875) = 81.0
    a = F("A", replied=10, on_time=9, rated=8, good=6, held=4, overdue=1)
    assert score(a) == 81.0


def test_a_component_without_data_drops_out_and_the_rest_renormalise():
    # nothing rated: 100 × (.40·1 + .25·.5) / (.40 + .25) = 100 × .525 / .65 = 80.77 → 80.8
    c = F("C", replied=20, on_time=20, held=10, overdue=5)
    assert score(c) == 80.8
    # only held orders, all overdue: punctuality 0 → 0.0 (a score, not None)
    assert score(F("H", held=2, overdue=2)) == 0.0
    # nothing replied, nothing held: no score at all
    assert score(F("G")) is None


def test_volume_alone_does_not_rank_and_ties_break_on_overdue_then_sample():
    rows = league(
        [
            F("A", replied=10, on_time=9, rated=8, good=6, held=4, overdue=1),  # 81.0
            F("B", replied=1, on_time=1, rated=1, good=1),  # 100.0 but one reply
            F("C", replied=20, on_time=20, held=10, overdue=5),  # 80.8
            F("D", replied=5, on_time=4, rated=5, good=5, held=2),  # 32 + 35 + 25 = 92.0
            F("E", replied=10, on_time=9, rated=8, good=6, held=8, overdue=2),  # 81.0, 2 overdue
            F("F", replied=20, on_time=18, rated=16, good=12, held=4, overdue=1),  # 81.0, 20
            F("G", orders=3),  # no data
            F("H", held=2, overdue=2),  # 0.0, nothing replied
            F("Z", orders=200, replied=200, on_time=100, rated=100, good=50, held=100, overdue=50),
        ]
    )
    # Z: 100 × (.40·.5 + .35·.5 + .25·.5) = 50.0 — the most orders, ranked by how it did.
    assert [(r["department"], r["rank"], r["score"]) for r in rows] == [
        ("D", 1, 92.0),
        ("F", 2, 81.0),
        ("A", 3, 81.0),
        ("E", 4, 81.0),
        ("C", 5, 80.8),
        ("Z", 6, 50.0),
        ("B", None, 100.0),
        ("H", None, 0.0),
        ("G", None, None),
    ]
    by = {r["department"]: r for r in rows}
    assert by["A"]["overdue_rate"] == 0.25 and by["A"]["on_time_rate"] == 0.9
    assert by["B"]["ranked"] is False and by["D"]["ranked"] is True  # exactly MIN_REPLIED
    assert MIN_REPLIED == 5


def test_the_minimum_is_a_parameter():
    figures = [F("B", replied=1, on_time=1, rated=1, good=1), F("Z", replied=25, on_time=20)]
    # both ranked: B's 100 is above Z's 80
    assert [(r["department"], r["rank"]) for r in league(figures, min_replied=1)] == [
        ("B", 1),
        ("Z", 2),
    ]
    # neither ranked: listed by score all the same
    assert [(r["department"], r["rank"]) for r in league(figures, min_replied=30)] == [
        ("B", None),
        ("Z", None),
    ]
