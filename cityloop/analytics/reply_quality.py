"""Reply quality (答复质量): check a handler's reply before it is sent.

Three parts, each 0–1, and a score 0–100 = 40·relevance + 35·completeness + 25·explanation:

- relevance: cosine of the appeal's and the reply's word vectors (jieba tokens, stopwords
  removed, with IDF weights learnt from the calibration corpus when given), rescaled so that
  0.35 cosine (the calibration median's order) already counts as fully relevant;
- completeness: the questions the appeal raises (sentences with ？/吗/能否/是否/何时/为什么/
  怎么/如何/请求/希望/要求 …) whose key words the reply takes up, as a share of all questions;
- explanation: the reply cites a rule (《…》, 条例/规定/办法/第…条/政策/标准), states a fact
  (经核实/经调查/现场/date/number) and gives a next step (将/下一步/计划/预计/已安排/联系电话/
  如有疑问); one third each.

Hints (Chinese) name what is missing.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from cityloop.nlp.normalize import normalize
from cityloop.nlp.segment import tokenize

_SENT_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_QUESTION_RE = re.compile(
    r"[？?]|吗|能否|可否|是否|何时|什么时候|为什么|为何|怎么|如何|怎样|多久|哪里|请求|希望|要求|"
    r"建议|恳请|请.{0,6}(?:解决|处理|答复|回复|核实|查处|整改)"
)
_RULE_RE = re.compile(
    r"《[^》]{2,40}》|条例|规定|办法|第[一二三四五六七八九十百\d]+条|政策|标准|规范|文件"
)
_FACT_RE = re.compile(
    r"经核实|经调查|经查|经了解|现场|核查|调查|\d{4}年|\d{1,2}月\d{1,2}日|\d+(?:户|元|米|平方米|个|次|天|人)"
)
_NEXT_RE = re.compile(
    r"下一步|将[^，。]{0,12}(?:加强|督促|安排|推进|处理|整改|完成|跟进)|计划|预计|已安排|已责令|"
    r"联系电话|咨询电话|如有疑问|可拨打|可联系|持续|跟踪"
)
_GENERIC = frozenset(
    {"您好", "感谢", "支持", "信任", "网友", "市民", "同志", "回复", "答复", "如下", "反映"}
)


@dataclass
class ReplyCheck:
    score: float
    relevance: float
    completeness: float
    explanation: float
    questions: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    cites: dict[str, bool] = field(default_factory=dict)


class ReplyChecker:
    """Stateless unless `fit` learnt IDF weights from a corpus of appeals and replies."""

    def __init__(self) -> None:
        self.idf: dict[str, float] = {}
        self.default_idf = 1.0

    def fit(self, texts: Iterable[str]) -> ReplyChecker:
        df: Counter[str] = Counter()
        n = 0
        for t in texts:
            n += 1
            df.update(set(_words(t)))
        self.idf = {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items()}
        self.default_idf = math.log(1 + n) + 1
        return self

    def _vec(self, words: list[str]) -> dict[str, float]:
        tf = Counter(words)
        return {w: (1 + math.log(c)) * self.idf.get(w, self.default_idf) for w, c in tf.items()}

    def check(self, appeal: str, reply: str) -> ReplyCheck:
        a_words = _words(appeal)
        r_words = _words(reply)
        r_set = set(r_words)
        cos = _cosine(self._vec(a_words), self._vec(r_words))
        relevance = min(1.0, cos / 0.35)
        questions = [q for q in _sentences(appeal) if _QUESTION_RE.search(q)][:8]
        unanswered = []
        for q in questions:
            keys = [w for w in _words(q) if len(w) > 1 and w not in _GENERIC]
            keys = sorted(keys, key=lambda w: -self.idf.get(w, self.default_idf))[:4]
            if keys and not any(k in r_set or k in reply for k in keys):
                unanswered.append(q.strip()[:60])
        completeness = 1.0 - len(unanswered) / len(questions) if questions else 1.0
        cites = {
            "rule": bool(_RULE_RE.search(reply)),
            "fact": bool(_FACT_RE.search(reply)),
            "next_step": bool(_NEXT_RE.search(reply)),
        }
        explanation = sum(cites.values()) / 3
        hints = []
        if relevance < 0.5:
            hints.append("答复与诉求内容关联度低：请针对诉求中提到的地点、对象和问题作答。")
        for q in unanswered:
            hints.append(f"未回应诉求中的问题：“{q}”")
        if not cites["rule"]:
            hints.append("未引用依据：请说明所依据的法规、政策或标准（如《……条例》第几条）。")
        if not cites["fact"]:
            hints.append("未说明核实情况：请写明现场核查或调查的时间、结果等事实。")
        if not cites["next_step"]:
            hints.append("未给出下一步：请说明后续处理安排、完成时限或联系方式。")
        if len(reply.strip()) < 30:
            hints.append("答复过于简短，请完整说明处理经过和结果。")
        score = round(100 * (0.40 * relevance + 0.35 * completeness + 0.25 * explanation), 1)
        return ReplyCheck(
            score=score,
            relevance=round(relevance, 3),
            completeness=round(completeness, 3),
            explanation=round(explanation, 3),
            questions=[q.strip()[:60] for q in questions],
            unanswered=unanswered,
            hints=hints,
            cites=cites,
        )


def _words(text: str) -> list[str]:
    return [w for w in tokenize(normalize(text)) if len(w) > 1 and not w.isdigit()]


def _sentences(text: str) -> list[str]:
    return [s for s in _SENT_RE.findall(" ".join(text.split())) if len(s.strip()) >= 4]


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


_default: ReplyChecker | None = None


def default_checker() -> ReplyChecker:
    global _default
    if _default is None:
        _default = ReplyChecker()
    return _default
