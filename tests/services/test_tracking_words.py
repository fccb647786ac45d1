"""What a resident reads next, in Chinese and in English, for every state of their appeal."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from cityloop.domain.statuses import OrderStatus
from cityloop.services.tracking import next_step, next_steps

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
DEPT = "市城市管理局"
DUE = datetime(2026, 12, 4, 18, 0)


@pytest.mark.parametrize("status", list(OrderStatus))
@pytest.mark.parametrize(("urgent", "life_safety"), [(False, False), (True, False), (True, True)])
def test_every_state_has_its_words_in_both_languages(status, urgent, life_safety):
    words = next_steps(status, DEPT, DUE, urgent=urgent, life_safety=life_safety)
    assert words["next_step"] == next_step(
        status, DEPT, DUE, urgent=urgent, life_safety=life_safety
    )
    # English but for the department's name, which is data; no template left unfilled.
    assert not CJK.search(words["next_step_en"].replace(DEPT, ""))
    assert "{" not in words["next_step_en"] and "{" not in words["next_step"]
    assert CJK.search(words["next_step"])


def test_a_date_reads_in_each_language_and_a_missing_department_is_named_generically():
    assert next_step(OrderStatus.DISPATCHED, DEPT, DUE) == (
        "已派给市城市管理局，市城市管理局将于2026年12月04日18:00前答复您。"
    )
    assert next_step(OrderStatus.DISPATCHED, DEPT, DUE, lang="en") == (
        "Sent to 市城市管理局, who will reply by 2026-12-04 18:00."
    )
    assert next_step(OrderStatus.IN_PROGRESS, None, None, lang="en") == (
        "The department is working on it and will reply by the time limit."
    )


def test_an_emergency_is_handled_now_in_either_language_never_by_a_date():
    for lang in ("zh", "en"):
        text = next_step(
            OrderStatus.DISPATCHED, DEPT, DUE, urgent=True, life_safety=True, lang=lang
        )
        assert "2026" not in text and "110/119/120" in text
