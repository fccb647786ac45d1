"""Build cityloop/services/data/common-passwords.txt, the list the password policy refuses.

The list is generated, not downloaded: the base words are the entries that head every
published leak-frequency ranking (English and pinyin, e.g. "password", "qwerty", "woaini",
"5201314"), keyboard walks and digit runs, each with the decorations people add to pass a
complexity rule ("Password@123", "Woaini1314!", "1qaz@WSX"). Entries are lower-case; the
policy compares lower-cased passwords.

    python scripts/make_common_passwords.py
"""

from __future__ import annotations

from itertools import product
from pathlib import Path


def _words(text: str) -> list[str]:
    return text.split()  # a long word list reads best as text


OUT = Path(__file__).resolve().parents[1] / "cityloop/services/data/common-passwords.txt"

WORDS = _words("""
password passwd pass passw0rd p@ssw0rd p@ssword pa55word p@$$w0rd qwerty qwertyui qwertyuiop
abc abcd abcdef abcdefg abc123 letmein monkey dragon iloveyou trustno1 sunshine master welcome
shadow football baseball superman batman michael jennifer hunter princess charlie starwars
whatever freedom admin administrator root login secret test tester guest changeme default
system manager user super service server computer internet hello hello1 love lover jordan
killer soccer ninja mustang access flower cookie summer winter spring autumn hockey ranger
daniel thomas jessica ashley andrew joshua matthew robert george pepper maggie buster tigger
chocolate orange banana apple samsung google yahoo facebook qazwsx zxcvbn zxcvbnm asdfgh
asdfghjkl china beijing shanghai shenzhen guangzhou chengdu wuhan hangzhou nanjing chongqing
tianjin xian cityloop yunhe gov zhengfu admin888 woaini woaiwojia woaini1314 aini aini1314
wangwei zhangwei lijing liuyang zhangmin wangfang lina zhangjing wangjing liwei zhanglei
zhangyan wangyan wangli lijun zhangyong wangyong liuwei zhangtao zhangjie wangtao liqiang
wang zhang li liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng
liang xie song tang han feng deng cao peng zeng xiao tian dong yuan pan cai jiang yu du
ye cheng wei su lu ding ren shen yao qian zhong tan fu fang bai zou meng xiong qin qiu
jiang hou shao xue yan duan lei long shi tao he mao hao gu gong wan yin
tiantian kuaile xingfu pingan shunli fafa facai aiqing baobao beibei xiaoxiao haha hehe
laopo laogong qq qqqq qq123 wocao nihao nihaoma taobao weixin wechat alipay baidu huawei
xiaomi lenovo haier
""")

WALKS = _words("""
1qaz2wsx 1qaz@wsx !qaz2wsx 1qaz!qaz 1q2w3e 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y qazwsxedc
qazwsx123 zaq12wsx zaq1xsw2 1qazxsw2 qweasd qweasdzxc qwe123 qwe123!@# asd123 zxc123
1234qwer qwer1234 asdf1234 zxcv1234 q1w2e3r4 a1b2c3d4 aa123456 a123456 a12345678 a1234567
abc12345 abcd1234 abc123456 password1 admin123 admin1234 admin12345 root123 test123
""")

DIGITS = [
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "87654321",
    "654321",
    "666666",
    "888888",
    "1234567890",
    "0123456789",
    "9876543210",
    "12345678910",
    "123123123",
    "1231231234",
    "12341234",
    "1234512345",
    "123456123456",
    "147258369",
    "1472583690",
    "159753",
    "159357",
    "5201314",
    "52013141314",
    "1314520",
    "7758521",
    "147852369",
    "741852963",
    "963852741",
    "123654789",
    "321654987",
    "112233",
    "11223344",
    "1122334455",
    "123321",
    "12344321",
    "19491001",
    "20080808",
    "88888888",
    "66666666",
    "11111111",
    "00000000",
] + [d * n for d in "0123456789" for n in (10, 11, 12)]

SUFFIXES = [
    "",
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "!",
    "!!",
    "@",
    "#",
    ".",
    "_",
    "1!",
    "12!",
    "123!",
    "1234!",
    "@1",
    "@12",
    "@123",
    "@1234",
    "@12345",
    "@123456",
    "#123",
    "#1234",
    "!@#",
    "!@#$",
    "123!@#",
    "123.",
    "_123",
    ".123",
    "888",
    "666",
    "520",
    "1314",
    "5201314",
    "@520",
    "@1314",
    "@888",
    "@666",
    "!123",
    "*123",
    "2008",
    "2010",
    "2015",
    "2018",
    "2019",
    "2020",
    "2021",
    "2022",
    "2023",
    "2024",
    "2025",
    "2026",
    "2027",
    "@2020",
    "@2021",
    "@2022",
    "@2023",
    "@2024",
    "@2025",
    "@2026",
    "#2024",
    "!2024",
    "2024!",
    "2025!",
    "2026!",
    "2024@",
    "2025@",
    "2026@",
    "01",
    "007",
    "99",
    "00",
]
PREFIXES = ["", "1", "@", "a", "qq", "my", "the", "i", "5201314", "1314"]


def build() -> list[str]:
    entries: set[str] = set()
    for word, suffix in product(WORDS, SUFFIXES):
        entries.add(f"{word}{suffix}")
    for word, prefix in product(WORDS[:60], PREFIXES):
        entries.add(f"{prefix}{word}")
        entries.add(f"{prefix}{word}123")
    for walk, suffix in product(WALKS, ["", "!", "@", "#", "!@#", "123", "!@#$", "."]):
        entries.add(f"{walk}{suffix}")
    entries.update(DIGITS)
    for d in DIGITS:
        entries.update({f"a{d}", f"{d}a", f"{d}!", f"qq{d}", f"@{d}", f"{d}@"})
    # Entries shorter than 6 fail any length rule anyway.
    return sorted(e.lower() for e in entries if len(e) >= 6)


if __name__ == "__main__":
    words = build()
    OUT.write_text("\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} entries → {OUT}")
