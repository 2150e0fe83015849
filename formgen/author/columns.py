"""The authoring workbook's vocabulary: sheets, columns, types and their Chinese aliases.

The workbook follows the XLSForm convention (ODK, KoboToolbox): a ``survey`` sheet, a ``choices`` sheet and a
``settings`` sheet, translated columns written ``label::中文 (zh)``.  formgen's own concepts are extra columns
and sheets that XLSForm tools ignore.  Every column has a canonical English name; the Chinese aliases below
are read as the same column, so a workbook can be written in Chinese throughout.
"""

from __future__ import annotations

import re

#: The languages of translated columns: (language code in the workbook, formgen language).
LANGUAGES = {"zh": "zh_CN", "en": "en"}
LANGUAGE_LABELS = {"zh": "中文 (zh)", "en": "English (en)"}
_LANGUAGE_ALIASES = {"zh": "zh", "zh_cn": "zh", "zh-cn": "zh", "中文": "zh", "chinese": "zh", "汉语": "zh",
                     "en": "en", "english": "en", "英文": "en", "英语": "en"}

#: Columns that are translated (``label::English (en)``); without a language they are Chinese.
TRANSLATED = {"label", "hint", "section", "form_title", "message", "constraint_message", "relevant_label"}

SURVEY = ["type", "name", "label::zh", "label::en", "hint::zh", "hint::en", "required", "constraint",
          "constraint_message::zh", "relevant", "default", "appearance",
          # formgen's own columns, ignored by XLSForm tools
          "relevant_label::zh", "relevant_label::en", "format", "pii", "readonly", "section::zh", "section::en",
          "rows", "min_rows", "max_rows", "lines", "width", "placeholder", "key", "json"]
CHOICES = ["list_name", "name", "label::zh", "label::en"]
SETTINGS = ["form_id", "version", "form_title::zh", "form_title::en", "description", "kind", "issuer",
            "orientation", "unit_code", "unit_name", "deadline_kind", "deadline_date", "deadline_days",
            "deadline_hours", "deadline_from", "deadline_to", "header", "page", "json"]
RULES = ["id", "description", "fields", "if", "assert", "message::zh", "message::en", "severity"]
LETTER = ["style", "text", "field", "table", "new_page"]

#: Sheet names and their aliases.  Pre-printed rows of a repeat go on a sheet ``fixed_rows.NAME``.
SHEETS = {"survey": ("survey", "题目", "问卷", "字段"), "choices": ("choices", "选项"),
          "settings": ("settings", "设置"), "rules": ("rules", "规则"), "letter": ("letter", "公文", "正文")}
FIXED_ROWS_PREFIX = "fixed_rows."
FIXED_ROWS_ALIASES = ("fixed_rows.", "预印行.")

#: Chinese column headers accepted for each canonical column.
ALIASES = {
    "type": ("类型", "题型"), "name": ("字段名", "名称", "选项值", "编码"), "label": ("标题", "题目", "选项标签", "标签"),
    "hint": ("提示", "填写说明"), "required": ("必填",), "constraint": ("约束", "限制"),
    "constraint_message": ("约束提示",), "relevant": ("相关", "显示条件", "填写条件"),
    "relevant_label": ("填写条件说明", "条件说明"), "default": ("默认值",),
    "appearance": ("外观", "样式"), "format": ("格式",), "pii": ("个人信息", "隐私"), "readonly": ("只读", "read_only"),
    "section": ("分节", "栏目"), "rows": ("空白行数",), "min_rows": ("最少行数",), "max_rows": ("最多行数",),
    "lines": ("行数", "文本行数"), "width": ("宽度", "列宽"), "placeholder": ("占位提示",), "key": ("键列", "主键"),
    "json": ("附加",), "list_name": ("列表名", "选项列表"),
    "form_id": ("表单编号", "表单代码"), "version": ("版本", "版本号"), "form_title": ("表单标题", "表名"),
    "description": ("描述", "说明"), "kind": ("种类",), "issuer": ("发文机关",), "orientation": ("纸张方向",),
    "unit_code": ("单位代码字段",), "unit_name": ("单位名称字段",), "deadline_kind": ("时限类型",),
    "deadline_date": ("截止日期",), "deadline_days": ("时限天数",), "deadline_hours": ("时限小时",),
    "deadline_from": ("时限起点字段",), "deadline_to": ("时限终点字段",), "header": ("页眉",), "page": ("版面",),
    "id": ("规则编号",), "fields": ("涉及字段",), "if": ("条件",), "assert": ("断言", "规则"),
    "message": ("提示语",), "severity": ("级别",), "style": ("格式名",), "text": ("文字",), "field": ("引用字段",),
    "table": ("引用表格",), "new_page": ("另起一页",),
}
_ALIAS_TO = {alias: canon for canon, names in ALIASES.items() for alias in names}
#: XLSForm columns that mean nothing on paper: ignored with a note, without "did you mean".
XLSFORM_ONLY = {"calculation", "choice_filter", "repeat_count", "parameters", "image", "audio", "video", "media",
                "big-image", "autoplay", "required_message", "requiredmsg", "trigger", "body", "bind", "instance",
                "buttontext", "noapperrorstring", "guidance_hint", "save_to", "entities", "intent", "big_image",
                "constraint_message", "choice_name", "label_name", "filter"}
KNOWN_COLUMNS = {c.split("::")[0] for c in SURVEY + CHOICES + SETTINGS + RULES + LETTER}

#: XLSForm type names, and what each is called in Chinese.
TYPE_ALIASES = {
    "文本": "text", "整数": "integer", "小数": "decimal", "数字": "decimal", "日期": "date",
    "日期时间": "datetime", "单选": "select_one", "多选": "select_multiple", "说明": "note",
    "开始分组": "begin_group", "结束分组": "end_group", "开始重复": "begin_repeat", "结束重复": "end_repeat",
    "begin group": "begin_group", "end group": "end_group", "begin repeat": "begin_repeat", "begin_loop": "begin_repeat",
    "phone number": "text", "select one from": "select_one", "select multiple from": "select_multiple",
    "end repeat": "end_repeat", "select one": "select_one", "select multiple": "select_multiple",
}
#: Types formgen prints; the list is what "did you mean" compares against.
TYPES = ("text", "integer", "decimal", "date", "datetime", "select_one", "select_multiple", "note",
         "begin_group", "end_group", "begin_repeat", "end_repeat")
#: XLSForm types a paper form cannot hold (see formgen.author.lint for what happens to each).
UNPRINTABLE = ("geopoint", "geotrace", "geoshape", "image", "audio", "video", "file", "barcode", "calculate",
               "hidden", "start", "end", "today", "deviceid", "phonenumber", "username", "email", "simserialid",
               "subscriberid", "audit", "background-audio", "start-geopoint", "acknowledge", "range", "rank",
               "time", "trigger", "xml-external", "csv-external", "select_one_from_file",
               "select_multiple_from_file")

YES = {"yes", "true", "1", "y", "是", "✓", "√", "required", "true()"}
NO = {"no", "false", "0", "n", "否", "", "false()"}
#: The choice list of a yes/no field (formgen's boolean).
YES_NO_LIST = "yes_no"


def language(code: str) -> str | None:
    """The workbook language of a column suffix: ``中文 (zh)`` -> ``zh``."""
    code = code.strip()
    match = re.search(r"\(([^()]+)\)\s*$", code)
    key = (match.group(1) if match else code).strip().lower()
    return _LANGUAGE_ALIASES.get(key)


def header_name(canonical: str) -> str:
    """How the workbook writes a canonical column (``label::zh`` -> ``label::中文 (zh)``)."""
    base, _, lang = canonical.partition("::")
    return f"{base}::{LANGUAGE_LABELS[lang]}" if lang else base


def parse_header(text: str) -> tuple[str, str | None] | None:
    """A header cell -> (canonical base column, language or None); None for an empty header.

    An unknown header is returned as it is, lower-cased, so lint can say "did you mean".
    """
    text = re.sub(r"\s+", " ", str(text)).strip()
    if not text:
        return None
    base, sep, rest = text.partition("::") if "::" in text else text.partition(":")
    base = base.strip()
    base = _ALIAS_TO.get(base, base.lower())
    lang = language(rest) if sep else None
    if sep and lang is None:
        lang = rest.strip()
    if base in TRANSLATED and lang is None:
        lang = "zh"
    return base, lang


def sheet_kind(title: str) -> str | None:
    """Which sheet this is (survey, choices, settings, rules, letter, fixed_rows) or None."""
    t = title.strip()
    for kind, names in SHEETS.items():
        if t.lower() in names:
            return kind
    if any(t.startswith(p) for p in FIXED_ROWS_ALIASES):
        return "fixed_rows"
    return None
