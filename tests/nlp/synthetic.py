"""Small synthetic appeal corpus shared by the NLP tests (not a test module itself)."""

from __future__ import annotations

import random

KEYWORDS: dict[str, list[str]] = {
    "交通运输": ["公交车", "红绿灯", "停车位", "地铁站", "出租车", "道路拥堵"],
    "教育文体": ["学校", "老师", "学生", "幼儿园", "补课费", "校车"],
    "环境保护": ["噪音", "污水", "油烟", "空气污染", "垃圾焚烧", "排污"],
    "卫生计生": ["医院", "医生", "疫苗", "挂号", "药品", "护士"],
}
PLACES = ["A市A1区", "A市A2区", "A市A3区", "B县", "C镇", "D街道"]
FILLER = ["问题严重", "长期存在", "影响居民生活", "希望尽快处理", "多次反映无果", "请相关部门关注"]


def make_corpus(per_class: int = 12, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    for label, words in KEYWORDS.items():
        for _ in range(per_class):
            a, b = rng.sample(words, 2)
            texts.append(f"{rng.choice(PLACES)}{a}{rng.choice(FILLER)}，{b}{rng.choice(FILLER)}")
            labels.append(label)
    return texts, labels


HELD_OUT: list[tuple[str, str]] = [
    ("尊敬的领导您好：E区的公交车太少，红绿灯时间太短", "交通运输"),
    ("幼儿园老师乱收补课费，谢谢", "教育文体"),
    ("工厂排污导致空气污染，晚上还有噪音", "环境保护"),
    ("医院挂号难，医生态度差", "卫生计生"),
]
