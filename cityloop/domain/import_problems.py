"""What is wrong with an administrator's import file, worded once for everyone who reads it.

A problem carries a stable ``code`` and its ``params`` (for programs and for the console,
which renders it in the chosen language), the row or feature it is on (1-based, as the
person importing counts: line 1 of a CSV is its header, feature 1 is the first feature;
0 means the file as a whole), the field, and from the catalogue below a Chinese and an
English message and what to do about it. An import with any problem writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

# Words that templates show in each language, by the value a param holds.
_WORDS: dict[str, tuple[str, str]] = {
    # region levels
    "city": ("市", "city"),
    "district": ("区", "district"),
    "street": ("街道", "street"),
    "community": ("社区", "community"),
    "grid": ("单元网格", "unit grid"),
    # what a choice is
    "level": ("层级", "level"),
    "role": ("角色", "role"),
    "device_type": ("设备类型", "device type"),
    "day_kind": ("类型", "kind"),
    "place_kind": ("地名类别", "place kind"),
    "urgency": ("紧急程度", "urgency"),
    "residence": ("居住类型", "residence"),
    # units a row is counted in
    "line": ("行", "line"),
    "feature": ("个要素", "feature"),
    "rule": ("条规则", "rule"),
}

# Why shapely finds a boundary invalid (explain_validity's words) in both languages.
GEOMETRY_REASONS: dict[str, tuple[str, str]] = {
    "Self-intersection": ("边界自相交", "the boundary crosses itself"),
    "Ring Self-intersection": ("环自相交", "a ring touches itself"),
    "Too few points": ("点数太少，不能构成面", "too few points for an area"),
    "Hole lies outside shell": ("内环（洞）在外边界之外", "a hole lies outside the outer ring"),
    "Nested holes": ("内环互相嵌套", "holes are nested"),
    "Interior is disconnected": ("面的内部被分割成不相连的部分", "the interior is split apart"),
    "Nested shells": ("多个外边界互相嵌套", "outer rings are nested"),
    "Duplicate Rings": ("有重复的环", "a ring appears twice"),
    "Invalid Coordinate": ("坐标无效（非数字）", "a coordinate is not a number"),
    "Ring is not closed": ("环未闭合（首尾点不同）", "a ring is not closed"),
}

# code: (Chinese message, English message, what to do in Chinese, what to do in English)
CATALOGUE: dict[str, tuple[str, str, str, str]] = {
    # -- the file -----------------------------------------------------------------------
    "file_encoding": (
        "文件既不是 UTF-8 或 GB18030 编码的文本，也不是 Excel（.xlsx）文件",
        "The file is neither UTF-8 or GB18030 text nor an Excel (.xlsx) workbook",
        "在 Excel 中“另存为”CSV UTF-8 或 .xlsx 后重新导入",
        "Save it from Excel as CSV UTF-8 or as .xlsx and import it again",
    ),
    "file_xls": (
        "不支持旧版 Excel（.xls）文件",
        "Old Excel (.xls) files are not supported",
        "在 Excel 中另存为 .xlsx 或 CSV UTF-8 后重新导入",
        "Save it as .xlsx or CSV UTF-8 and import it again",
    ),
    "file_excel": (
        "无法读取 Excel 文件：{detail}",
        "The Excel file cannot be read: {detail}",
        "确认文件没有损坏、没有加密，或另存为 CSV UTF-8",
        "Check that the file is not damaged or encrypted, or save it as CSV UTF-8",
    ),
    "file_csv": (
        "无法按 CSV 读取：{detail}",
        "Not readable as CSV: {detail}",
        "检查这一行的引号是否成对；单元格内的换行须放在引号内",
        "Check that the quotes on this line pair up; a line break in a cell must be quoted",
    ),
    "file_json": (
        "不是有效的 JSON：{detail}",
        "Not valid JSON: {detail}",
        "用 GIS 软件（如 QGIS）重新导出 GeoJSON，不要手工改动",
        "Export the GeoJSON again from GIS software (QGIS …) instead of editing it by hand",
    ),
    "file_yaml": (
        "不是有效的 YAML：{detail}",
        "Not valid YAML: {detail}",
        "检查缩进和冒号，或改用 CSV 模板",
        "Check the indentation and colons, or use the CSV template",
    ),
    "file_no_rows": (
        "文件中没有数据行",
        "The file has no data rows",
        "第一行写列名，从第二行起每行一条",
        "Put the column names on line 1 and one record per line from line 2",
    ),
    "file_too_many_rows": (
        "一次最多导入 {max} 行，本文件有 {count} 行",
        "At most {max} rows at a time; this file has {count}",
        "把文件拆成几份分批导入",
        "Split the file and import it in parts",
    ),
    "column_missing": (
        "缺少列“{column}”（文件中的列：{found}）",
        "Column '{column}' is missing (the file has: {found})",
        "在第一行加上列名“{column}”；可下载模板对照",
        "Add the column name '{column}' to line 1; the template shows the layout",
    ),
    "rules_not_list": (
        "YAML 中应为规则列表",
        "The YAML should hold a list of rules",
        "写成 rules: 下的列表，每条含 category、lead、normal",
        "Write a list under rules:, each with category, lead and normal",
    ),
    "not_mapping": (
        "应为一个键值对象",
        "Expected a mapping",
        "每条规则写成 category: …、lead: … 这样的键值",
        "Write each rule as keys such as category: …, lead: …",
    ),
    # -- GeoJSON ------------------------------------------------------------------------
    "geojson_collection": (
        "需要 GeoJSON FeatureCollection",
        "A GeoJSON FeatureCollection is required",
        '文件顶层应为 {{"type": "FeatureCollection", "features": [...]}}',
        'The top level should be {{"type": "FeatureCollection", "features": [...]}}',
    ),
    "geojson_no_features": (
        "FeatureCollection 中没有任何要素",
        "The FeatureCollection has no features",
        "导出时确认图层中有数据",
        "Check that the exported layer has data",
    ),
    "geojson_feature": (
        "不是 GeoJSON Feature",
        "Not a GeoJSON Feature",
        '每个要素应为 {{"type": "Feature", "properties": …, "geometry": …}}',
        'Each feature should be {{"type": "Feature", "properties": …, "geometry": …}}',
    ),
    "geojson_properties": (
        "缺少 properties",
        "The properties are missing",
        "给要素加上 properties：code、name、level、parent_code",
        "Give the feature properties: code, name, level, parent_code",
    ),
    "geometry_type": (
        "需要 Polygon 或 MultiPolygon 面状边界，实际为 {got}",
        "A Polygon or MultiPolygon boundary is required, got {got}",
        "区域和网格须为面；点和线请勿放入这个文件",
        "Regions and grids are areas; leave points and lines out of this file",
    ),
    "geometry_unreadable": (
        "边界坐标无法读取：{detail}",
        "The boundary's coordinates cannot be read: {detail}",
        "用 GIS 软件重新导出该要素",
        "Export the feature again from GIS software",
    ),
    "geometry_empty": (
        "边界为空",
        "The boundary is empty",
        "给该要素画上边界，或从文件中删去",
        "Draw the feature's boundary, or leave it out of the file",
    ),
    "geometry_invalid": (
        "边界无效：{reason_zh}，位置约在经度 {lon}、纬度 {lat}",
        "Invalid boundary: {reason_en} near lon {lon}, lat {lat}",
        "在 GIS 软件中修复该处（如 QGIS“修复几何”、PostGIS ST_MakeValid），再重新导出",
        "Repair it in GIS software (QGIS Fix geometries, PostGIS ST_MakeValid), export again",
    ),
    "geometry_range": (
        "坐标超出经纬度范围",
        "Coordinates are outside longitude/latitude",
        "确认坐标是 WGS84/CGCS2000 经纬度，而不是投影坐标（米）",
        "Use WGS84/CGCS2000 longitude and latitude, not projected metres",
    ),
    "city_has_parent": (
        "市级区域没有上级，parent_code 应留空",
        "A city has no parent; leave parent_code empty",
        "清空该要素的 parent_code",
        "Clear the feature's parent_code",
    ),
    "parent_required": (
        "{level_zh}须填写上级编码 parent_code",
        "A {level_en} needs a parent_code",
        "填上它所属{expected_zh}的编码",
        "Fill in the code of the {expected_en} it belongs to",
    ),
    "parent_unknown": (
        "上级编码 {parent} 在文件和系统中都不存在",
        "The parent {parent} is neither in the file nor in the system",
        "先导入上级区域，或把它放进同一个文件",
        "Import the parent first, or put it in the same file",
    ),
    "parent_level": (
        "{level_zh}的上级应为{expected_zh}，但 {parent} 是{parent_level_zh}",
        "A {level_en} must sit under a {expected_en}, but {parent} is a {parent_level_en}",
        "改正 parent_code 或 level",
        "Correct parent_code or level",
    ),
    "code_prefix": (
        "编码 {value} 应以上级编码 {parent} 开头",
        "The code {value} should start with its parent's code {parent}",
        "按 GB/T 30428.1 编码：下级编码以上级编码开头",
        "Codes follow GB/T 30428.1: a child's code starts with its parent's",
    ),
    "code_digits": (
        "编码“{value}”须全为数字",
        "The code '{value}' must be digits",
        "使用 GB/T 30428.1 的数字编码",
        "Use the numeric GB/T 30428.1 code",
    ),
    "code_length": (
        "{level_zh}编码应为 {length} 位数字，实际为 {got} 位",
        "A {level_en} code has {length} digits, got {got}",
        "核对编码位数：区 6 位、街道 9 位、社区 12 位、单元网格 15 位",
        "Check the length: district 6, street 9, community 12, unit grid 15 digits",
    ),
    # -- any cell -----------------------------------------------------------------------
    "required": (
        "“{field}”不能为空",
        "'{field}' is required",
        "填写这一项",
        "Fill it in",
    ),
    "not_one_of": (
        "“{value}”不是有效的{what_zh}，可填：{choices_zh}",
        "'{value}' is not a valid {what_en}; use one of {choices}",
        "改为 {choices} 之一",
        "Change it to one of {choices}",
    ),
    "choice_required": (
        "“{field}”不能为空，可填：{choices_zh}",
        "'{field}' is required; use one of {choices}",
        "填 {choices} 之一",
        "Fill in one of {choices}",
    ),
    "duplicate_line": (
        "“{value}”与第 {first} 行重复",
        "'{value}' repeats line {first}",
        "删去重复的一行，或改正其中一行",
        "Remove the repeated line or correct one of them",
    ),
    "duplicate_feature": (
        "编码 {value} 与第 {first} 个要素重复",
        "The code {value} repeats feature {first}",
        "删去重复的要素，或改正其编码",
        "Remove the repeated feature or correct its code",
    ),
    "already_exists": (
        "“{value}”已存在于系统中",
        "'{value}' already exists",
        "换一个编码，或从文件中删去这一项",
        "Use another code, or leave it out of the file",
    ),
    "too_long": (
        "不能超过 {max} 个字符",
        "Longer than {max} characters",
        "缩短到 {max} 个字符以内",
        "Shorten it to {max} characters",
    ),
    "bad_characters": (
        "含有不可见的控制字符（{detail}）",
        "Holds a control character ({detail})",
        "删去该单元格中的特殊字符后重新保存",
        "Remove the special character from the cell and save again",
    ),
    "not_number": (
        "“{value}”不是数字",
        "'{value}' is not a number",
        "填写数字，如 120.1536",
        "Write a number, such as 120.1536",
    ),
    "out_of_range": (
        "{value} 超出范围 {low}–{high}",
        "{value} is outside {low}–{high}",
        "确认经纬度没有写反、单位是度",
        "Check that longitude and latitude are not swapped and are in degrees",
    ),
    "unknown_region": (
        "辖区编码“{value}”不存在",
        "No region has the code '{value}'",
        "在“区域网格”页查到正确编码",
        "Look the code up on the Regions page",
    ),
    "unknown_grid": (
        "单元网格“{value}”不存在",
        "No unit grid has the code '{value}'",
        "填 15 位单元网格编码，可在“区域网格”页查到",
        "Use the 15-digit unit grid code from the Regions page",
    ),
    "unknown_department": (
        "承办单位“{value}”不存在",
        "No department has the code '{value}'",
        "在“部门”页查到正确编码，或先导入部门",
        "Look the code up on the Departments page, or import the department first",
    ),
    "unknown_owner": (
        "“{value}”既不是承办单位也不是辖区",
        "'{value}' is neither a department nor a region",
        "填部门编码或社区编码",
        "Use a department or community code",
    ),
    "unknown_category": (
        "分类“{value}”不存在",
        "No category '{value}'",
        "填分类编码或完整路径（如 城市管理/市容环境/井盖）",
        "Use the category code or its full path",
    ),
    "unknown_user": (
        "账号“{value}”不存在",
        "No user '{value}'",
        "先创建该账号，或留空",
        "Create the account first, or leave it empty",
    ),
    "outside_grids": (
        "位置（{lon}, {lat}）不在任何单元网格内",
        "The place ({lon}, {lat}) is outside every unit grid",
        "核对坐标，或先导入覆盖该处的网格",
        "Check the coordinates, or import the grid that covers them first",
    ),
    "outside_jurisdiction": (
        "不在您的辖区内",
        "Outside your jurisdiction",
        "只导入您辖区内的数据",
        "Import only records within your jurisdiction",
    ),
    "identifier_format": (
        "“{value}”只能由字母、数字和 _ . - 组成（1–64 位）",
        "'{value}' may hold letters, digits and _ . - only (1–64)",
        "去掉空格、汉字和其他符号",
        "Remove spaces, Chinese characters and other symbols",
    ),
    "geometry_point": (
        "需要点位 Point [经度, 纬度]",
        "A Point [lon, lat] is required",
        "地名库每项是一个点；面状边界请在“区域网格”中导入",
        "Each gazetteer entry is a point; import areas on the Regions page",
    ),
    "duplicate_place": (
        "同一区内的地名“{value}”与第 {first} 项重复",
        "The place name '{value}' repeats entry {first} in the same district",
        "删去重复项，或用 aliases 列写别名",
        "Remove the repeat, or put other names in the aliases column",
    ),
    "grid_code_format": (
        "“{value}”不是 15 位单元网格编码",
        "'{value}' is not a 15-digit unit grid code",
        "填 15 位单元网格编码，或留空由坐标确定",
        "Use the 15-digit grid code, or leave it empty to take it from the coordinates",
    ),
    # -- taxonomy and linkage -----------------------------------------------------------
    "path_gap": (
        "分类路径中间不能有空格子",
        "The category path has an empty level in the middle",
        "填上中间的分类名，或把下级移到左边",
        "Fill in the middle level or move the lower one left",
    ),
    "slash_in_name": (
        "分类名中不能有“/”",
        "A category name cannot hold '/'",
        "把“/”换成“、”或“或”",
        "Replace '/' with another word",
    ),
    "taxonomy_conflict": (
        "分类表有矛盾：{detail}",
        "The taxonomy contradicts itself: {detail}",
        "核对同名分类是否放在了不同的上级下",
        "Check whether a name sits under two parents",
    ),
    "urgency_value": (
        "“{value}”不是可用的紧急程度",
        "'{value}' is not an urgency",
        "填 一般/normal、紧急/urgent、生命安全/life_safety，或留空沿用上级",
        "Use normal, urgent, life_safety, or leave it empty to inherit",
    ),
    "time_limit": (
        "{detail}",
        "{detail_en}",
        "写成 3d（3 个工作日）、8h（8 小时）、2d@natural（2 个自然日）",
        "Write 3d (3 working days), 8h (8 hours) or 2d@natural (2 calendar days)",
    ),
    "lead_also_co": (
        "主办单位不能同时是协办单位",
        "The lead department cannot also co-handle",
        "从 co 中删去主办单位",
        "Remove the lead department from co",
    ),
    "co_twice": (
        "协办单位重复列出",
        "A co-handling department is listed twice",
        "删去重复的协办单位",
        "Remove the repeated department",
    ),
    "normal_limit_required": (
        "须填写一般件的办理时限（normal）",
        "A time limit for normal urgency is required",
        "在 normal 列填写时限，如 5d",
        "Fill in the normal column, such as 5d",
    ),
    "rule_repeats": (
        "分类和辖区与第 {first} 行相同",
        "Same category and region as line {first}",
        "合并这两行，或改正其中一行的辖区",
        "Merge the two lines or correct the region of one",
    ),
    # -- accounts -----------------------------------------------------------------------
    "username_format": (
        "用户名须为 2–80 位字母、数字或 _ . @ -",
        "A username is 2–80 letters, digits or _ . @ -",
        "用拼音或工号作用户名，不用汉字和空格",
        "Use pinyin or a staff number, without Chinese characters or spaces",
    ),
    "username_taken": (
        "用户名“{value}”已被使用",
        "The username '{value}' is taken",
        "换一个用户名，或在用户页编辑已有账号",
        "Choose another username, or edit the existing account on the Users page",
    ),
    "role_refused": (
        "{detail}",
        "{detail_en}",
        "请安全管理员导入此类账号",
        "Ask the security administrator to import such accounts",
    ),
    "region_needed": (
        "督办人员和网格员需要有效的辖区编码",
        "Supervisors and grid workers need a valid region code",
        "在 region_code 列填辖区编码（街道、区或单元网格）",
        "Fill region_code with a street, district or unit grid code",
    ),
    "department_needed": (
        "承办人员需要有效的承办单位编码",
        "Department handlers need a valid department code",
        "在 department_code 列填部门编码",
        "Fill department_code with the department's code",
    ),
    "phone_format": (
        "电话号码“{value}”格式无效",
        "The phone number '{value}' is not valid",
        "只写数字，可带 + 和 -，5–20 位",
        "Digits only, with + or -, 5–20 characters",
    ),
    "password_policy": (
        "{detail}",
        "The password breaks the policy: {detail_en}",
        "留空即由系统生成临时密码，或按密码规则改写",
        "Leave it empty for a temporary password, or follow the password rules",
    ),
    # -- the community database (社区数据库) ----------------------------------------------
    "resident_id": (
        "身份证号码无效（应为 18 位，末位校验码须正确）",
        "Not a valid resident ID number: {detail}",
        "核对身份证号码，末位 X 大小写均可",
        "Check the number; a final X may be either case",
    ),
    "id_repeats": (
        "身份证号码与第 {first} 行相同",
        "The ID number repeats line {first}",
        "同一居民只保留一行",
        "Keep one line per resident",
    ),
    "id_registered": (
        "该身份证号码已登记",
        "This ID number is already registered",
        "在社区数据库中编辑已有记录，不要重复导入",
        "Edit the existing record instead of importing it again",
    ),
    "account_twice": (
        "同一账号在文件中出现两次",
        "The account appears twice in the file",
        "一个账号只关联一位居民",
        "Link an account to one resident only",
    ),
    "account_linked": (
        "该账号已关联其他居民",
        "The account is already linked to a resident",
        "留空 username，或换一个账号",
        "Leave username empty, or use another account",
    ),
    "mobile_or_landline": (
        "电话“{value}”应为 11 位手机号或带区号的座机号",
        "The phone '{value}' should be an 11-digit mobile or an area-code landline",
        "如 13800000000 或 028-12345678",
        "Such as 13800000000 or 028-12345678",
    ),
    "unknown_care_tag": (
        "关爱标签“{value}”不存在",
        "No care tag '{value}'",
        "可填：{choices}",
        "Use one of: {choices}",
    ),
    # -- holidays -----------------------------------------------------------------------
    "not_date": (
        "“{value}”不是日期",
        "'{value}' is not a date",
        "写成 2027-01-01；Excel 中可把单元格设为日期格式",
        "Write 2027-01-01; in Excel the cell may be formatted as a date",
    ),
    "holiday_rule": (
        "{detail}",
        "{detail_en}",
        "改正这一行的日期、类型或名称",
        "Correct the day, kind or name on this line",
    ),
    "no_days": (
        "文件中没有任何日期",
        "There are no days in the file",
        "每行一天：日期,类型（休/班）,名称",
        "One day a line: date, kind (休/班), name",
    ),
    # -- anything older code reports in its own words ------------------------------------
    "invalid_value": ("{detail}", "{detail_en}", "", ""),
}

_BILINGUAL = re.compile(r"^(.*[\u3000-\u9fff\uff00-\uffef“”].*?)\s+([A-Za-z0-9][^\u3000-\u9fff]*)$")


def split_bilingual(text: str) -> tuple[str, str]:
    """'中文说明 English words' → ('中文说明', 'English words'); one language → (text, text)."""
    m = _BILINGUAL.match(text)
    return (m.group(1).strip(), m.group(2).strip()) if m else (text, text)


def _rendered(params: Mapping[str, Any], lang: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            out[key] = ("、" if lang == 0 else ", ").join(str(v) for v in value)
        else:
            out[key] = value
        if isinstance(value, str) and value in _WORDS:
            out[f"{key}_zh"], out[f"{key}_en"] = _WORDS[value]
    if "choices" in params:
        labelled = [f"{c}（{_WORDS[c][0]}）" if c in _WORDS else str(c) for c in params["choices"]]
        out["choices_zh"] = "、".join(labelled)
    out.setdefault("detail_en", params.get("detail", ""))
    return out


def _guess(params: Mapping[str, Any]) -> str | None:
    """The choice whose Chinese word the value holds ('区级' → district), if exactly one."""
    value, choices = str(params.get("value") or ""), params.get("choices")
    if not value or not isinstance(choices, (list, tuple)):
        return None
    hits = [c for c in choices if c in _WORDS and _WORDS[c][0] in value]
    hits.sort(key=lambda c: -len(_WORDS[c][0]))
    if hits and (len(hits) == 1 or len(_WORDS[hits[0]][0]) > len(_WORDS[hits[1]][0])):
        return str(hits[0])
    return None


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with one row (or feature) and field of an import."""

    row: int  # 1-based line (1 = the header) or feature number; 0: the whole file
    field: str
    message: str  # Chinese
    code: str = "invalid_value"
    params: Mapping[str, Any] = dc_field(default_factory=dict, compare=False, hash=False)
    message_en: str = ""
    hint: str = ""  # what to do, Chinese
    hint_en: str = ""

    def __post_init__(self) -> None:
        if not self.message_en:
            zh, en = split_bilingual(self.message)
            object.__setattr__(self, "message", zh)
            object.__setattr__(self, "message_en", en)
            if not self.params:
                object.__setattr__(self, "params", {"detail": zh, "detail_en": en})

    @classmethod
    def of(cls, row: int, field_name: str, code: str, **params: Any) -> ImportProblem:
        if code == "not_one_of" and not str(params.get("value") or "").strip():
            code = "choice_required"
        zh, en, hint_zh, hint_en = CATALOGUE[code]
        params.setdefault("field", field_name)
        p_zh, p_en = _rendered(params, 0), _rendered(params, 1)
        hint_zh, hint_en = hint_zh.format(**p_zh), hint_en.format(**p_en)
        guess = _guess(params)
        if guess:  # '区级' for a level: say which value was meant
            hint_zh = f"是否应为 {guess}（{_WORDS[guess][0]}）？{hint_zh}"
            hint_en = f"Did you mean {guess}? {hint_en}"
        return cls(
            row, field_name, zh.format(**p_zh), code, params, en.format(**p_en), hint_zh, hint_en
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "field": self.field,
            "code": self.code,
            "params": dict(self.params),
            "message": self.message,
            "message_en": self.message_en,
            "hint": self.hint,
            "hint_en": self.hint_en,
        }

    def where_zh(self, unit: str = "line") -> str:
        if self.row <= 0:
            return "整个文件"
        return f"第 {self.row} {_WORDS.get(unit, _WORDS['line'])[0]}"

    def __str__(self) -> str:
        return f"#{self.row} {self.field}: {self.message}"


def problem_lines_zh(problems: Sequence[ImportProblem], unit: str = "line") -> list[str]:
    """Each problem as a Chinese line naming the row and field, and what to do."""
    out = []
    for p in problems:
        what = f"；处理：{p.hint}" if p.hint else ""
        kind = "列" if unit == "line" and p.row > 0 else "字段"
        out.append(f"{p.where_zh(unit)}，“{p.field}”{kind}：{p.message}{what}")
    return out


class ImportRejected(Exception):
    """Input was rejected as a whole; nothing was written."""

    def __init__(self, problems: list[ImportProblem], what: str = "feature") -> None:
        self.problems = problems
        self.what = what if what in ("line", "feature", "rule") else "line"
        lines = "\n".join(f"  {line}" for line in problem_lines_zh(problems[:50], self.what))
        more = f"\n  … 另有 {len(problems) - 50} 个问题" if len(problems) > 50 else ""
        super().__init__(f"共 {len(problems)} 个问题，未导入任何数据：\n{lines}{more}")
