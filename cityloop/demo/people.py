"""Fictional residents: Chinese names and mainland mobile numbers, seeded and reproducible."""

from __future__ import annotations

import random

# Rough frequency order of common surnames; weights fall off so 王/李/张 dominate as in life.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏"
    "苏吕丁任沈姚卢姜崔钟谭陆汪范廖石金贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺顾毛郝龚邵万"
)
_GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕建国志文斌辉鹏宇浩然欣怡"
    "梓涵子轩雨桐佳琪思远晓东海燕春兰秋菊德福永利淑珍凤琴晨曦俊杰婷婷宏亮嘉豪一鸣诗雨瑞金荣"
)
# Real mainland mobile prefixes (3 digits); the remaining 8 digits are random.
_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
]


class PeopleGenerator:
    """Seeded source of fictional reporters."""

    def __init__(self, seed: int = 7) -> None:
        self._rng = random.Random(seed)
        n = len(_SURNAMES)
        self._surname_weights = [1.0 / (i + 3) for i in range(n)]

    def surname(self) -> str:
        return self._rng.choices(_SURNAMES, weights=self._surname_weights)[0]

    def full_name(self) -> str:
        given_len = 1 if self._rng.random() < 0.35 else 2
        given = "".join(self._rng.choice(_GIVEN_CHARS) for _ in range(given_len))
        return self.surname() + given

    def name(self) -> str:
        """A name as a hotline record holds it: full name, or 王女士/李先生, or 匿名."""
        r = self._rng.random()
        if r < 0.55:
            return self.full_name()
        if r < 0.95:
            return self.surname() + self._rng.choice(("先生", "女士"))
        return "匿名"

    def phone(self) -> str:
        """An 11-digit mainland mobile number matching ``1[3-9]\\d{9}``."""
        return self._rng.choice(_PREFIXES) + f"{self._rng.randrange(10**8):08d}"
