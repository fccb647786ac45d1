"""Urgency from three sources and the text's danger cues, on the tuning parts of the set.

The unseen parts (bench/data/urgency_unseen*.csv) are measured by bench/urgency_bench.py only.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cityloop.domain.statuses import Urgency
from cityloop.domain.urgency import (
    CategoryUrgency,
    assess_urgency,
    detect_urgency,
    parse_category_urgency,
    raise_by_category,
)

TUNING = Path(__file__).resolve().parents[2] / "bench" / "data" / "urgency_tuning.csv"
ISSUE_EXAMPLE = "燃气味道很重，楼道里都能闻到，怀疑哪里漏气了，赶紧来人！"


def _tuning() -> dict[str, dict[str, str]]:
    with TUNING.open(encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


ROWS = _tuning()


def test_the_issue_s_gas_call_is_life_safety() -> None:
    a = assess_urgency(ISSUE_EXAMPLE)
    assert a.level is Urgency.URGENT and a.life_safety
    assert a.source == "text" and a.reason == "gas_leak"
    assert a.evidence is not None and "燃气味道很重" in a.evidence


@pytest.mark.parametrize(
    ("row_id", "hazard"),
    [
        ("t002", "gas_leak"),  # 楼道里一股煤气味
        ("t004", "gas_leak"),  # 然气 (typo)
        ("t073", "gas_leak"),  # 气味，像煤气
        ("t013", "fire"),
        ("t017", "fire"),  # 着活 (typo)
        ("t023", "live_wire"),  # wire down and sparking
        ("t026", "live_wire"),  # 线头全部露在外面, a child 被电麻了
        ("t029", "trapped"),
        ("t031", "trapped"),  # 电悌困人 (typo)
        ("t036", "fall_injury"),  # 摔倒起不来
        ("t039", "fall_injury"),  # 跌到了，爬不起来 (typo)
        ("t041", "no_sign_of_life"),  # 独居老人两天没开门
        ("t042", "flood_electric"),
        ("t047", "tree_on_wires"),
        ("t049", "collapse"),
        ("t058", "trapped"),  # 小孩掉水里了
        ("t067", "suicide_risk"),
    ],
)
def test_danger_said_in_many_ways_is_life_safety(row_id: str, hazard: str) -> None:
    row = ROWS[row_id]
    a = assess_urgency(row["text"])
    assert (a.level, a.life_safety, a.reason) == (Urgency.URGENT, True, hazard), row["text"]
    assert a.evidence and a.evidence in row["text"]


@pytest.mark.parametrize("row_id", ["t055", "t091", "t096"])
def test_urgent_without_a_life_at_stake(row_id: str) -> None:
    a = assess_urgency(ROWS[row_id]["text"])
    assert a.level is Urgency.URGENT and not a.life_safety


@pytest.mark.parametrize(
    ("row_id", "why"),
    [
        ("t106", None),  # 燃气费 question: no cue at all
        ("t112", "past"),  # 去年…燃气泄漏
        ("t114", "past"),  # 前年那次电梯困人
        ("t120", "hypothetical"),  # 万一着火
        ("t121", "hypothetical"),  # 怕哪天烧起来
        ("t127", "hypothetical"),  # 担心…会倒在电线上
        ("t129", None),  # lift certificate expired
        ("t133", None),  # 急死了
        ("t139", None),  # 被困在…退费的问题里 (figure of speech)
        ("t143", "handled"),  # 已经由燃气公司处理好了
        ("t144", "handled"),  # 已经被物业放出来了
        ("t150", "planned"),  # 通知说周六全楼停电检修
        ("t185", "inquiry"),  # 请问火灾后…补贴
        ("t191", "negated"),  # 不是燃气味
        ("t195", "negated"),  # 电梯没困人
        ("t199", "consumer"),  # 电热水壶漏电，商家拒绝退货
    ],
)
def test_near_misses_are_not_urgent(row_id: str, why: str | None) -> None:
    a = assess_urgency(ROWS[row_id]["text"])
    assert a.level is Urgency.NORMAL and not a.life_safety, ROWS[row_id]["text"]
    assert a.reason == why
    assert (a.evidence is None) is (why is None)


def test_every_tuning_row_is_judged_as_labelled() -> None:
    wrong = [
        r["id"]
        for r in ROWS.values()
        if (assess_urgency(r["text"]).level is Urgency.URGENT) != (r["label"] != "normal")
    ]
    assert wrong == []


def _all_tuning() -> list[dict[str, str]]:
    rows = []
    for path in sorted(TUNING.parent.glob("urgency_tuning*.csv")):
        with path.open(encoding="utf-8") as f:
            rows += list(csv.DictReader(f))
    return rows


def test_every_row_of_every_tuning_part_is_judged_and_flagged_as_labelled() -> None:
    rows = _all_tuning()
    assert len(rows) > 1000
    judged = {r["id"]: (r["label"], assess_urgency(r["text"])) for r in rows}
    wrong_level = [i for i, (lab, a) in judged.items() if a.urgent != (lab != "normal")]
    unflagged = [i for i, (lab, a) in judged.items() if lab == "life_safety" and not a.life_safety]
    assert (wrong_level, unflagged) == ([], [])


@pytest.mark.parametrize(
    ("text", "reason", "life"),
    [
        ("楼上燃起味好重，窗户都没开，敲门也没人", "gas_leak", True),  # typo 燃起味
        ("家里rq味很重 不敢开灯", "gas_leak", True),  # pinyin shorthand
        ("路口有个井没有盖子", "manhole_open", False),
        ("人行道的井该没了，晚上看不见", "manhole_open", False),
        ("来电人反映隧道里的照明灯全部熄灭，车辆只能开着大灯摸黑走。", "road_hazard", False),
        ("那个路口的红绿灯好几天都不得亮，车子乱窜", "road_hazard", False),
        ("有陌生男子连续几天在女生宿舍楼下蹲守，还跟着学生走。", "threat", False),
        ("电梯门开着下面是空的，我差一点就踩下去了", "lift_fault", True),
        ("小孩吃果冻卡主喉咙了，脸都憋紫了", "medical", True),
        ("全村停电一天一夜了 也没人来修", "mass_outage", False),
        ("我个仔只脚卡咗喺扶手电梯条罅度，拎唔出嚟", "trapped", True),  # Cantonese
        ("小区绿化带着了 火顺着风烧向车棚", "fire", True),
        ("插座冒火花了，还好没着火", "electric_spark", True),  # a fire denied, sparks still
        ("电梯停了，里面没人，但是电梯井里在冒烟", "smoke", True),  # trapped denied only
    ],
)
def test_wordings_from_the_later_tuning_parts(text: str, reason: str, life: bool) -> None:
    a = assess_urgency(text)
    assert a.level is Urgency.URGENT and a.reason == reason and a.life_safety is life


@pytest.mark.parametrize(
    "text",
    [
        "没得人受伤哈，就是树枝掉下来把车棚砸了个洞，喊人来收拾一下",  # 掉下来 is not 掉进
        "啲电线好乱，惊有日会着火",  # Cantonese 惊: feared
        "电线老化了会着火的，建议换一下",  # 会: what would happen
        "天天加班 人都快要炸了",
        "那个窗口的人态度差得很，把我气得冒烟",
        "闻到一股糊味 原来是楼下在烤红薯 没事",
        "那个落水的娃儿已经捞起来了，没得事，就是河边要装个栏杆",
        "不是着火哈，是隔壁在熏腊肉，烟大得很，喊他们莫在楼道熏",
        "来电人称楼道里有烟味，上去看了是邻居在煮中药，没有着火，但烟太大影响大家。",  # denied
        "燃气公司来测了没得漏气，就是那个表走得快",  # denied inside the cue's words
        "电梯门打不开 里面没人 外面等着用",  # the model keeps quiet too
        "要是哪天地震了 我们这个老楼肯定塌 有没有加固计划",  # a condition, then its consequence
        "来电人反映附近工厂每天傍晚排放刺鼻气味，已持续一个月，希望环保部门检测。",  # chronic
        "那个掉到沟里的老人家已经遭拉起来了，没得啥子事，就是那个沟要盖一下",
        "老人找到了 在亲戚家 不用找了",
        "垃圾站旁边的路面塌了个小坑 积水",
        "被狗咬了打狂犬疫苗在哪里打",
        "听到孩子考试成绩，我血压都上来了，差点晕过去",
    ],
)
def test_near_misses_from_the_later_tuning_parts_stay_calm(text: str) -> None:
    a = assess_urgency(text)
    assert a.level is Urgency.NORMAL and not a.life_safety, a


def test_the_highest_source_wins() -> None:
    calm = "小区路灯不亮已经一个星期了"
    assert assess_urgency(calm).level is Urgency.NORMAL
    assert assess_urgency(calm).source is None
    by_operator = assess_urgency(calm, operator_choice=Urgency.URGENT)
    assert (by_operator.level, by_operator.source, by_operator.life_safety) == (
        Urgency.URGENT,
        "operator",
        False,
    )
    by_category = assess_urgency(calm, category_default=CategoryUrgency.LIFE_SAFETY)
    assert (by_category.level, by_category.source, by_category.life_safety) == (
        Urgency.URGENT,
        "category",
        True,
    )
    # The operator choosing "normal" does not lower what the text shows.
    text_wins = assess_urgency(ISSUE_EXAMPLE, operator_choice=Urgency.NORMAL)
    assert (text_wins.level, text_wins.source, text_wins.life_safety) == (
        Urgency.URGENT,
        "text",
        True,
    )
    # Equal levels: the operator's word is the source, the text's evidence is still shown.
    both = assess_urgency(ISSUE_EXAMPLE, operator_choice=Urgency.URGENT)
    assert both.source == "text" and both.evidence  # life safety ranks above plain urgent
    plain = assess_urgency(ROWS["t055"]["text"], operator_choice=Urgency.URGENT)
    assert plain.source == "operator" and plain.reason == "manhole_open" and plain.evidence
    normal_category = assess_urgency(calm, category_default=CategoryUrgency.NORMAL)
    assert normal_category.level is Urgency.NORMAL and normal_category.source == "category"


def test_category_urgency_words() -> None:
    assert parse_category_urgency("紧急") is CategoryUrgency.URGENT
    assert parse_category_urgency(" life_safety ") is CategoryUrgency.LIFE_SAFETY
    assert parse_category_urgency("生命安全") is CategoryUrgency.LIFE_SAFETY
    assert parse_category_urgency("一般") is CategoryUrgency.NORMAL
    assert parse_category_urgency("") is None
    with pytest.raises(ValueError, match="urgent/紧急"):
        parse_category_urgency("very")


def test_detect_urgency_keeps_its_shape() -> None:
    urgency, phrase = detect_urgency(ISSUE_EXAMPLE)
    assert urgency is Urgency.URGENT and phrase and "燃气" in phrase
    assert detect_urgency(ROWS["t120"]["text"]) == (Urgency.NORMAL, None)


def test_sensor_maintenance_text_is_not_urgent() -> None:
    text = "【智能感知】独立式烟感报警器 SD-01（幸福里3栋）电量低（battery=8），请更换电池。"
    assert assess_urgency(text).level is Urgency.NORMAL


def test_a_category_known_later_raises_but_never_lowers() -> None:
    calm = assess_urgency("小区路灯不亮已经一个星期了")
    raised = raise_by_category(calm, CategoryUrgency.LIFE_SAFETY)
    assert (raised.level, raised.life_safety, raised.source, raised.reason) == (
        Urgency.URGENT,
        True,
        "category",
        "category_life_safety",
    )
    assert raised.evidence is None
    gas = assess_urgency(ISSUE_EXAMPLE)
    assert raise_by_category(gas, CategoryUrgency.NORMAL) == gas
    assert raise_by_category(gas, CategoryUrgency.URGENT) == gas
    assert raise_by_category(gas, None) == gas
    manhole = assess_urgency(ROWS["t055"]["text"])
    lifted = raise_by_category(manhole, CategoryUrgency.LIFE_SAFETY)
    assert lifted.life_safety and lifted.source == "category"
    assert lifted.reason == "manhole_open" and lifted.evidence == manhole.evidence
