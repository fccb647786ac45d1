"""The words of every refused command (InvalidCommand), in Chinese and English, once.

Each refusal carries a stable snake_case ``code`` and its variable parts as ``params`` (JSON
scalars; a list only where a list is meant, such as ``expected``, the choices of ``enum``). The
templates below word it with ``{param}`` placeholders: the API's English ``message``, the
CLIs' Chinese text and the console's words in either language all come from here. The console
gets them as web/src/commandMessages.json, written by ``python -m cityloop.domain.error_words``
(a test keeps the checked-in file equal to this catalogue).

Codes the console already knows from request validation (missing, enum, string_too_long …, see
web/src/fieldMessages.ts) keep the same words here, so a refusal reads the same whichever check
made it. As in the console, a list param is joined ("、" in Chinese, ", " in English) and the
choices of ``expected`` are offered to the templates as ``{choices}``.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cityloop.domain import console_files

LANGUAGES = ("zh", "en")
LIST_SEPARATORS = {"zh": "、", "en": ", "}

# code: (Chinese, English)
WORDS: dict[str, tuple[str, str]] = {
    # -- shared with request validation (same words as web/src/fieldMessages.ts) ---------
    "missing": ("必填", "Required"),
    "enum": ("应为以下之一：{choices}", "Must be one of: {choices}"),
    "int_type": ("应为整数", "Must be a whole number"),
    "bool_type": ("应为“是”或“否”", "Must be yes or no"),
    "string_too_long": ("最多 {max_length} 个字符", "At most {max_length} characters"),
    "string_too_short": ("至少 {min_length} 个字符", "At least {min_length} characters"),
    "too_short": ("至少 {min_length} 项", "At least {min_length} items"),
    "out_of_range": ("超出允许范围", "Out of range"),
    "phone_invalid": (
        "应为手机号（1 开头 11 位）或座机号（区号-号码，如 0571-88886666）",
        "A mobile (11 digits from 1) or a landline (area code-number, e.g. 0571-88886666)",
    ),
    # -- common to many commands -----------------------------------------------------------
    "reason_required": ("请说明理由", "Say why"),
    "reason_full_data": (
        "查看或导出完整个人信息须说明理由",
        "Say why the full personal data is needed",
    ),
    "text_required": ("此操作须填写理由或内容", "This action needs a reason or text"),
    "month_format": ("月份格式为 YYYY-MM，例如 2026-11", "A month as YYYY-MM, e.g. 2026-11"),
    "number_range": ("须在 {min} 到 {max} 之间", "Must be from {min} to {max}"),
    "text_length": ("须为 {min} 到 {max} 个字符", "Must be {min} to {max} characters"),
    "name_taken": ("“{name}”已被使用", "'{name}' is taken"),
    "changed_meanwhile": (
        "记录已被他人修改，请刷新后重试",
        "Changed meanwhile; reload and try again",
    ),
    "not_editable": ("此处不能修改该字段", "This field cannot be changed here"),
    "listed_twice": ("“{value}”重复", "'{value}' is listed twice"),
    "must_be_future": ("须晚于现在", "Must be later than now"),
    "after_today": ("不能晚于今天", "Cannot be later than today"),
    "time_zone_required": ("时间须带时区", "A time with its zone"),
    "outside_jurisdiction": ("不在您的辖区内", "Outside your jurisdiction"),
    "negative_amount": ("金额不能为负数", "The amount cannot be negative"),
    "unknown_category": ("没有分类 {code}", "Unknown category {code}"),
    "unknown_department": ("没有承办单位 {code}", "Unknown department {code}"),
    "unknown_order": ("没有工单 {id}", "No order {id}"),
    "unknown_household": ("没有户号为 {code} 的住户", "No household {code}"),
    "unknown_grid": ("“{code}”不是已知的单元网格编码", "'{code}' is not a known unit grid"),
    "unknown_role": ("“{value}”不是有效角色", "'{value}' is not a role"),
    # -- files -----------------------------------------------------------------------------
    "file_empty": ("文件是空的", "The file is empty"),
    "file_too_large": ("文件超过 {max_mb} MB", "The file is larger than {max_mb} MB"),
    "file_type": (
        "只接受 JPEG、PNG、WebP、GIF 图片和 PDF 文件",
        "Only JPEG, PNG, WebP, GIF images and PDF are accepted",
    ),
    "file_encoding": (
        "文件不是 UTF-8 或 GB18030 编码的文本",
        "The file is not UTF-8 or GB18030 text",
    ),
    "columns_missing": ("第 1 行缺少列：{columns}", "Line 1 lacks the column(s): {columns}"),
    "duplicate_in_file": ("“{value}”在文件中重复", "'{value}' appears twice in the file"),
    # -- work orders -----------------------------------------------------------------------
    "warn_after_due": (
        "预警时间不能晚于办理期限",
        "The warning time must not be after the deadline",
    ),
    "lead_also_co": ("主办单位不能同时为协办单位", "The lead department cannot also co-handle"),
    "extension_not_later": ("延期须使办理期限推后", "An extension must move the deadline later"),
    "not_co_department": (
        "只有协办单位可以提交协办意见",
        "Only a co-handling department can co-reply",
    ),
    "merge_into_self": ("工单不能并入自身", "An order cannot be merged into itself"),
    "extension_one_way": ("延期时长只填一种方式", "Give the extension one way only"),
    "extension_unit": (
        "单位须为 工作日（working_days）、小时（hours）或 自然日（natural_days）",
        "The unit must be working_days, hours or natural_days",
    ),
    "reply_only": ("办理结果只用于答复", "Only with a reply"),
    "reply_result": (
        "请选择办理结果：已解决、部分解决或无法解决",
        "Choose the outcome: resolved, partial or unresolved",
    ),
    "unresolved_note": (
        "无法解决须说明原因（至少 {min_length} 个字）",
        "Say why it cannot be solved (at least {min_length} characters)",
    ),
    "no_linkage_rule": (
        "没有匹配的联动规则，请选择主办单位",
        "No linkage rule matches; choose the lead department",
    ),
    "order_not_open": ("工单 {ticket} 已不在办理中", "Order {ticket} is no longer open"),
    "split_first_appeal": (
        "这条诉求是工单的首条诉求，无需拆分",
        "This appeal opened the order; nothing to split",
    ),
    "answer_or_merge": ("直接办结与并入只能选一项", "Answer or merge, not both"),
    "urgent_not_on_call": (
        "紧急或生命安全事项不能直接办结，须派单处置",
        "An urgent or life-safety matter cannot be closed on the call",
    ),
    "staff_only": ("仅话务员、派单员可以并入或直接办结", "Call-takers and dispatchers only"),
    "knowledge_answer_only": ("知识条目只用于直接办结", "A knowledge entry goes with an answer"),
    "unknown_knowledge": ("没有知识条目 {id}", "No knowledge entry {id}"),
    "question_exists": ("该分类下已有同样的问题", "The question exists in this category"),
    "on_spot_note": (
        "请写明现场处置情况（至少 {min_length} 个字）",
        "Describe what was done (at least {min_length} characters)",
    ),
    "on_spot_photo": ("就地处置须附处置后的现场照片", "A photo of the handled place is required"),
    "life_safety_dispatch": (
        "生命安全事项须联动处置，不能就地办结",
        "Life-safety matters are dispatched, not handled on the spot",
    ),
    "place_not_located": ("请定位到处置地点", "The place must be located in a grid"),
    "place_outside_grid": ("处置地点不在您的网格内", "The place is outside your grid"),
    "time_limit_syntax": (
        "时限“{value}”无法识别。允许的写法：30m@natural（30分钟，自然时间）、"
        "2h@natural（2小时，自然时间）、1d@natural（24小时）、2h 或 8wh（工作小时）、"
        "5d 或 3d@working（工作日）；紧急时限不写时钟时按自然时间计",
        "Time limit '{value}' not understood; allowed: 30m@natural, 2h@natural, "
        "1d@natural (24 h), 2h or 8wh (working hours), 5d or 3d@working (working days)",
    ),
    "time_limit_clock": (
        "时限“{value}”中的时钟“{clock}”未知，应为 natural（自然时间）或 working（工作时间）",
        "Time limit '{value}': unknown clock '{clock}' (natural or working)",
    ),
    "time_limit_unit": (
        "时限“{value}”中的单位“{unit}”未知，应为 m、h、wh、d 或 wd",
        "Time limit '{value}': unknown unit '{unit}' (m, h, wh, d or wd)",
    ),
    "time_limit_unit_clock": (
        "时限“{value}”的单位与时钟矛盾",
        "Time limit '{value}': the unit and the clock disagree",
    ),
    "time_limit_minutes": (
        "时限“{value}”：分钟须写明时钟，如 30m@natural",
        "Time limit '{value}': minutes need a clock, e.g. 30m@natural",
    ),
    "time_limit_positive": ("时限“{value}”须大于 0", "Time limit '{value}' must be above 0"),
    # -- accounts and settings -------------------------------------------------------------
    "region_required": (
        "督办人员和网格员需要有效的辖区",
        "Supervisors and grid workers need a known region",
    ),
    "department_required": (
        "承办人员需要有效的承办单位",
        "Department handlers need a known department",
    ),
    "current_password_wrong": ("当前密码错误", "The current password is wrong"),
    "quiet_hours_format": (
        "免打扰时段格式应为 22:00-07:00",
        "Quiet hours are written like 22:00-07:00",
    ),
    "holiday_year_range": ("年份须在 {min}–{max} 之间", "The year must be {min}–{max}"),
    "holiday_kind": (
        "类型须为 holiday（休）或 workday（班）",
        "The kind must be holiday or workday",
    ),
    "makeup_day_weekend": (
        "{day} 本来就是工作日，调休上班只能是周六或周日",
        "{day} is a working day already; a make-up working day must be a Saturday or Sunday",
    ),
    "holiday_name_required": (
        "名称不能为空（如 春节、国庆节调休）",
        "The name is required (e.g. 春节, 国庆节调休)",
    ),
    "not_in_calendar": ("{day} 不在节假日表中", "{day} is not in the calendar"),
    # -- sensing and Open311 -----------------------------------------------------------------
    "tenant_format": (
        "租户名为 1 到 64 个字母、数字或 _ . -",
        "1 to 64 letters, digits or _ . -",
    ),
    # -- community: points -------------------------------------------------------------------
    "recycling_weight_required": (
        "回收须填写品类和重量（千克）",
        "Recycling needs the material and the kilograms",
    ),
    "unknown_reward": ("没有编号为 {id} 的兑换商品", "No reward {id}"),
    "out_of_stock": ("库存不足", "Out of stock"),
    "task_claimed": ("该任务已被认领", "The task is already claimed"),
    "task_not_claimed": ("只有已认领的任务可以完成", "Only a claimed task can be completed"),
    "unknown_point_rule": ("未配置积分规则“{name}”", "No point rule '{name}' is configured"),
    "unknown_material": (
        "未知的回收品类“{value}”，可选：{choices}",
        "Unknown material '{value}'; known: {choices}",
    ),
    "weight_range": (
        "重量须大于 0 且不超过 {max} 千克",
        "The weight must be above 0 and at most {max} kg",
    ),
    "reversal_not_reversible": (
        "冲销记录不能再被冲销，请重新记一笔正确的记录",
        "A reversal cannot itself be reversed; post a new, correct one",
    ),
    "entry_too_short": (
        "一笔记录至少需要一借一贷两行",
        "An entry needs at least a debit and a credit",
    ),
    "posting_zero": ("积分为 0 的记账行", "A posting of zero points"),
    "postings_unbalanced": ("借贷积分不相等", "Debits and credits differ"),
    "unknown_points_account": ("没有积分账户 {account}", "No points account {account}"),
    "insufficient_points": (
        "{account} 积分不足：现有 {balance}，需要 {needed}",
        "{account} has {balance} points, needs {needed}",
    ),
    "points_changed": (
        "{account} 的积分已变动，余额不足",
        "{account} changed meanwhile; not enough points",
    ),
    "ledger_key_reused": (
        "键 {key} 已被另一笔交易使用",
        "Key {key} is already used by another transaction",
    ),
    "unknown_transaction": ("没有交易 {key}", "No transaction {key}"),
    "already_reversed": ("交易 {key} 已被冲销", "{key} is already reversed"),
    # -- community: registry -----------------------------------------------------------------
    "id_number_format": (
        "身份证号码应为 17 位数字加 1 位数字或 X",
        "The ID number must be 17 digits and a digit or X",
    ),
    "id_number_check_digit": (
        "身份证号码的校验码不符",
        "The ID number's check digit does not match",
    ),
    "id_number_birth_date": (
        "身份证号码中的出生日期不存在",
        "The ID number carries an impossible birth date",
    ),
    "id_number_taken": ("该身份证号码已登记给他人", "Already registered for someone else"),
    "unknown_care_tag": (
        "未知的关爱标签“{value}”，可选：{choices}",
        "Unknown care tag '{value}'; known: {choices}",
    ),
    "unknown_resident_account": (
        "没有用户名为“{username}”的居民账号",
        "No resident account named '{username}'",
    ),
    "account_linked": ("该账号已关联其他居民", "The account is linked to another resident"),
    # -- community: trust property -----------------------------------------------------------
    "owner_or_developer": (
        "请填写业主（居民编号），或标明为开发商未售房屋",
        "Give the owner (resident id) or mark the house as the developer's unsold one",
    ),
    "house_not_in_compound": (
        "第 {n} 条：房屋 {house_id} 不在本小区",
        "Item {n}: house {house_id} is not in this compound",
    ),
    "owner_resident_unknown": (
        "第 {n} 条：没有编号为 {resident_id} 的居民",
        "Item {n}: no resident {resident_id}",
    ),
    "owner_already_registered": (
        "第 {n} 条：房屋 {house_id} 的这位业主已登记",
        "Item {n}: this owner of house {house_id} is registered already",
    ),
    "vote_matter": (
        "表决事项须为《民法典》第二百七十八条第 1 至 9 项",
        "The matter must be item 1 to 9 of article 278 of the Civil Code",
    ),
    "owner_roll_empty": (
        "业主名册不完整，无法计票：本小区没有登记房屋",
        "The owner roll is incomplete: the compound has no houses registered",
    ),
    "owner_roll_no_area": (
        "业主名册不完整，无法计票：房屋 {house_id}（{room}）没有登记专有部分面积"
        "（共 {count} 处问题）",
        "The owner roll is incomplete: house {house_id} ({room}) has no area registered"
        " ({count} problem(s) in all)",
    ),
    "owner_roll_no_owner": (
        "业主名册不完整，无法计票：房屋 {house_id}（{room}）没有登记业主（共 {count} 处问题）",
        "The owner roll is incomplete: house {house_id} ({room}) has no owner registered"
        " ({count} problem(s) in all)",
    ),
    "ballot_choice": (
        "表决意见只能是 agree（同意）、oppose（反对）或 abstain（弃权）",
        "The choice must be agree, oppose or abstain",
    ),
    "vote_closed": ("表决已截止", "The vote has closed"),
    "house_not_in_vote": (
        "房屋 {house_id} 不在本次表决的业主名册中",
        "House {house_id} is not on this vote's owner roll",
    ),
    "vote_counted": ("表决已经计票公布", "The vote is counted and published already"),
    "vote_not_due": (
        "未到截止时间，不能提前计票",
        "The vote cannot be counted before it closes",
    ),
    "unknown_estate": ("没有编号为 {id} 的小区", "No estate {id}"),
    "compound_exists": ("该小区已经实行信托制物业", "The estate runs trust property already"),
    "trust_capacity": (
        "身份只能是 property（物业记账员）或 committee（业委会成员）",
        "The capacity must be property (bookkeeper) or committee (owners' committee)",
    ),
    "trust_member_exists": (
        "该用户已是本小区信托物业成员",
        "The user is a member of this compound already",
    ),
    "budget_expense_only": (
        "预算只能按支出科目编制",
        "A budget is made of expense accounts only",
    ),
    "entry_already_reversed": (
        "该凭证已由第 {entry_no} 号凭证冲销",
        "The entry is reversed already by entry {entry_no}",
    ),
    "entry_reviewed": ("该凭证已审核", "The entry is reviewed already"),
    "unknown_account": ("没有科目 {account}", "No account {account}"),
    "one_side": (
        "每行只能填借方或贷方其中之一，且金额大于 0",
        "Each line is a debit or a credit, one of them, above 0",
    ),
    "unbalanced": (
        "借贷不平衡：借方 {debit} 元，贷方 {credit} 元",
        "Debits and credits differ: debit {debit} yuan, credit {credit} yuan",
    ),
    # -- community: groups -------------------------------------------------------------------
    "leader_kind": (
        "微网格长身份只能是“居民”或“社区工作者”",
        "The leader is a resident or a community worker",
    ),
    "unknown_estate_in_grid": (
        "网格 {grid} 中没有小区“{estate}”",
        "No estate '{estate}' in grid {grid}",
    ),
    "micro_grid_exists": ("微网格编码 {code} 已存在", "Micro-grid {code} exists already"),
    "grid_outside_area": ("网格 {code} 不在您的辖区", "Grid {code} is outside your area"),
    "chat_platform": (
        "平台只能是 wecom（企业微信）或 export（导出记录）",
        "The platform must be wecom or export",
    ),
    "chat_group_exists": ("该群已登记", "The group is registered already"),
    "topic_decided": ("该主题已处理", "The topic is decided already"),
    "overview_level": (
        "层级只能是 district（区）、street（街道）或 community（社区）",
        "The level must be district, street or community",
    ),
    "json_invalid_at": ("不是有效的 JSON（第 {line} 行）", "Not valid JSON (line {line})"),
    "json_line_object": (
        "第 {line} 行不是有效的 JSON 对象",
        "Line {line} is not a valid JSON object",
    ),
    "json_record_object": ("第 {record} 条应为 JSON 对象", "Record {record} must be a JSON object"),
    "wecom_record_fields": (
        "第 {record} 条缺少 msgid、from、msgtime 或 text.content，或其值无效",
        "Record {record} lacks msgid, from, msgtime or text.content, or holds a bad value",
    ),
    "chat_line_start": (
        "第 {line} 行应以“日期 时间 昵称: 内容”开头",
        "Line {line} must begin with 'date time nickname: text'",
    ),
    "chat_time_invalid": ("第 {line} 行时间“{value}”无效", "Line {line}: bad time '{value}'"),
    "chat_csv_time": (
        "第 {line} 行“时间”应为“2026-11-28 07:30”，实为“{value}”",
        "Line {line}: the time must be like '2026-11-28 07:30', not '{value}'",
    ),
    "chat_sender_text": (
        "第 {line} 行“发送人”和“内容”不能为空",
        "Line {line}: the sender and the text are required",
    ),
    # -- community: mediation, snaps, wishes -------------------------------------------------
    "parties_too_few": ("纠纷至少有 {min} 方当事人", "A dispute has at least {min} parties"),
    "community_or_grid_code": ("应为社区或单元网格编码", "A community or unit grid code"),
    "mediation_top_level": ("已在区级调解，不能再上移", "The case is at the district already"),
    "unknown_step": ("未知的步骤 {step}", "Unknown step {step}"),
    "step_not_allowed": (
        "案件处于 {status} 状态时不能执行 {step}",
        "'{step}' is not possible when the case is {status}",
    ),
    "photo_required": ("请附照片（先上传）", "A photo is needed (upload it first)"),
    "not_uploaded": ("不是本系统上传的附件", "Not an uploaded attachment"),
    "describe_problem": ("请用几句话说明问题", "Say in a few words what is wrong"),
    "outside_city_grids": ("该地点不在本市网格范围内", "The place is outside the city's grids"),
    "no_community": ("居民所在网格没有所属社区", "The resident's grid has no community"),
    "wish_closed": ("该心愿已关闭", "The wish is closed"),
    "not_voted": ("您还没有为该心愿投票", "You have not voted on this wish"),
    "wish_not_open": ("只有进行中的心愿可以关闭", "Only an open wish can be closed"),
}

_FORMATTER = string.Formatter()


def placeholders(template: str) -> set[str]:
    """The names a template fills in ({name})."""
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


class _Filled(dict[str, Any]):
    def __missing__(self, key: str) -> str:  # a param not given reads as nothing
        return ""


def _shown(value: Any, lang: str) -> Any:
    if isinstance(value, list | tuple):
        return LIST_SEPARATORS[lang].join(str(v) for v in value)
    return value


def render(code: str, params: Mapping[str, Any] | None = None, lang: str = "en") -> str:
    """The refusal `code` with its `params` in `lang` ("zh" or "en"); an unknown code reads
    as itself (a test keeps every code used in cityloop/ in the catalogue)."""
    pair = WORDS.get(code)
    if pair is None:
        return code
    values = _Filled({k: _shown(v, lang) for k, v in (params or {}).items()})
    expected = (params or {}).get("expected")
    if isinstance(expected, list | tuple) and "choices" not in (params or {}):
        values["choices"] = _shown(expected, lang)
    return pair[LANGUAGES.index(lang)].format_map(values)


def _console(template: str) -> str:
    # vue-i18n reads @ (a linked message) and | (plural forms) as syntax: quote them.
    return template.replace("@", "{'@'}").replace("|", "{'|'}")


def console_messages() -> dict[str, dict[str, str]]:
    """The catalogue as the console's vue-i18n messages, by language."""
    return {
        lang: {code: _console(pair[i]) for code, pair in sorted(WORDS.items())}
        for i, lang in enumerate(LANGUAGES)
    }


CONSOLE_FILE = Path(__file__).resolve().parents[2] / "web" / "src" / "commandMessages.json"


def console_json() -> str:
    return json.dumps(console_messages(), ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write web/src/commandMessages.json (or the path given) from the catalogue."""
    return console_files.write(console_json(), CONSOLE_FILE, f"{len(WORDS)} codes", argv)


if __name__ == "__main__":
    raise SystemExit(main())
