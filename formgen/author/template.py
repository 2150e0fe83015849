"""`formgen author template`: a blank authoring workbook with instructions in Chinese, dropdowns and one
worked example row of each question type.

The example rows are an ordinary definition exported by ``formgen.author.workbook``, so the template imports
and lints clean as it is; the author overwrites the examples with the new form's questions.
"""

from __future__ import annotations

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from formgen.author.workbook import export_workbook
from formgen.validate.formats import FORMAT_NAMES

EXAMPLE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:formgen:new-form:1.0.0",
    "title": "（在此填写表名）",
    "description": "（在此写明表格的用途和填报要求）",
    "x-formgen": {"id": "new-form", "version": "1.0.0", "title_en": "(English title)",
                  "unit": {"name": "school_name"},
                  "footer": ["注：本表涉及未成年人个人信息，请严格保护学生隐私。"]},
    "type": "object",
    "required": ["school_name", "filled_on", "reviewed"],
    "properties": {
        "school_name": {"title": "学校名称", "type": "string", "maxLength": 60, "x-formgen": {
            "title_en": "School", "help": "填写学校全称", "section": "基本信息", "section_en": "Basics"}},
        "school_code": {"title": "学校标识码", "type": "string", "format": "school-code", "x-formgen": {
            "title_en": "School code"}},
        "pupils": {"title": "在校学生数", "type": "integer", "minimum": 0, "maximum": 10000, "x-formgen": {
            "title_en": "Pupils"}},
        "ratio": {"title": "心理教师配备比", "type": "number", "minimum": 0, "x-formgen": {
            "title_en": "Counsellor ratio", "help": "每千名学生的心理教师人数，可有小数"}},
        "filled_on": {"title": "填表日期", "type": "string", "format": "date", "x-formgen": {"title_en": "Date"}},
        "met_at": {"title": "会商时间", "type": "string", "format": "date-time", "x-formgen": {
            "title_en": "Meeting time"}},
        "level": {"title": "关注等级", "enum": ["low", "medium", "high"], "x-formgen": {
            "title_en": "Level", "labels": ["一般", "重点", "紧急"], "labels_en": ["normal", "close", "urgent"]}},
        "found_by": {"title": "发现途径", "type": "array", "uniqueItems": True,
                     "items": {"enum": ["teacher", "student", "parent"]}, "x-formgen": {
                         "title_en": "Found by", "labels": ["教师发现", "学生报告", "家长反映"],
                         "labels_en": ["teacher", "student", "parent"]}},
        "reviewed": {"title": "是否已复核", "type": "boolean", "x-formgen": {"title_en": "Reviewed"}},
        "review_note": {"title": "复核意见", "type": "string", "maxLength": 200, "x-formgen": {
            "title_en": "Review note", "relevant": "reviewed = true", "relevant_label": "已复核的填写"}},
        "summary": {"title": "情况说明", "type": "string", "maxLength": 500, "x-formgen": {
            "title_en": "Summary", "widget": "textarea", "lines": 4}},
        "contact": {"title": "联系人", "type": "object", "required": ["name"], "properties": {
            "name": {"title": "姓名", "type": "string", "maxLength": 20, "x-formgen": {"title_en": "Name"}},
            "phone": {"title": "电话", "type": "string", "format": "phone", "x-formgen": {"title_en": "Phone"}}},
            "x-formgen": {"title_en": "Contact", "section": "联系人", "section_en": "Contact"}},
        "students": {"title": "学生名单", "type": "array", "maxItems": 30, "items": {
            "type": "object", "required": ["name"], "properties": {
                "name": {"title": "姓名", "type": "string", "maxLength": 20, "x-formgen": {
                    "title_en": "Name", "pii": True, "width": 20}},
                "grade": {"title": "年级", "type": "string", "maxLength": 10, "x-formgen": {"title_en": "Grade"}}}},
            "x-formgen": {"title_en": "Students", "rows": 5, "section": "学生名单", "section_en": "Students"}},
    },
    "x-formgen-rules": [{"id": "high-is-reviewed", "if": "level = \"紧急\"", "assert": "reviewed = true",
                         "message": {"zh_CN": "紧急等级须已复核。", "en": "An urgent case must be reviewed."}}],
}

#: The instructions sheet: (column or topic, what it means, how to fill it in).
INSTRUCTIONS = [
    ("说明", "本工作簿用于设计一张新表单。每个题目在“survey”（题目）表中占一行；单选题的选项写在“choices”（选项）表；"
         "表名、编号和版本写在“settings”（设置）表；跨字段的核对写在“rules”（规则）表。",
     "示例行可直接改写或删除；列名也可以写中文（类型、字段名、标题、提示、必填、约束……）。"),
    ("检查和发布", "写好后运行：formgen author lint 本文件.xlsx 检查；formgen author import 本文件.xlsx -o forms/表单编号.json 发布。",
     "详见 docs/authoring.md。"),
    ("type 类型", "题目类型", "text 文本、integer 整数、decimal 小数、date 日期、datetime 日期时间、"
     "select_one 列表名 单选（列表名写在选项表的 list_name 列）、select_multiple 列表名 多选（印成一排方框，"
     "Excel 中用“、”分隔填写多个选项）、select_one yes_no 是/否、note 说明（印在表格下方）、"
     "begin_group/end_group 分组、begin_repeat/end_repeat 重复组（印成表格，每行一条记录）"),
    ("name 字段名", "字段的英文名，记录中用它保存数据", "小写英文字母、数字和下划线，以字母开头，同一组内不能重复，例如 school_name"),
    ("label 标题", "印在表格上的题目文字", "label::中文 (zh) 写中文标题，label::English (en) 写英文标题（可不填）"),
    ("hint 提示", "印在题目旁的填写说明", "例如“填写学校全称”“（续报填写）”"),
    ("required 必填", "是否必须填写", "是 或 留空"),
    ("constraint 约束", "数值范围、字数或格式", ". >= 0 and . <= 100（数值范围）；string-length(.) <= 40（最多字数）；"
     "regex(., '^[0-9]{6}$')（格式）"),
    ("relevant 填写条件", "只在某种情况下才填写的题目：条件用规则的写法，如 report_kind = \"续报\"",
     "条件不成立却填了，核对时给出提醒；必填题在条件成立时才必须填写。也可写 XLSForm 的 ${report_kind} = 'follow-up'"),
    ("relevant_label 填写条件说明", "印在题目旁的简短说明，如写“续报填写”印成“（续报填写）”",
     "不填时按条件自动生成，如“（报告类型为续报时填写）”"),
    ("default 默认值", "空白表中预先填好的值", "可不填"),
    ("appearance 外观", "题目的样式", "multiline 多行文本框；radio 单选圆点；select 下拉"),
    ("format 格式", "文本题的专门格式", ", ".join(f"{k}（{v}）" for k, v in FORMAT_NAMES.items()
                                          if k not in ("date", "date-time"))),
    ("pii 个人信息", "是否为学生个人信息", "是：汇总和报告中隐去，提示信息中也不显示填写内容"),
    ("readonly 只读", "预印内容，不由填表人填写", "是 或 留空；预印行的内容写在 fixed_rows.重复组名 工作表中"),
    ("section 分节", "从这一题开始的新栏目标题", "只在每节的第一题填写"),
    ("rows 空白行数", "重复组在空白表中印出的行数", "例如 5"),
    ("min_rows / max_rows", "重复组至少、至多填写的行数", "例如 1 和 30"),
    ("lines 行数", "多行文本框的行数", "例如 4"),
    ("width 宽度", "列宽（字符）", "例如 20"),
    ("key 键列", "预印行中用来识别每一行的列", "例如 no"),
    ("json 附加", "上面各列表达不了的 JSON Schema 设置", "一般留空"),
    ("settings 设置", "form_id 表单编号（小写英文和-）、version 版本（如 1.0.0，修订时改为 1.1.0）、form_title 表名、"
     "unit_code / unit_name 填报单位代码和名称所在的字段、deadline_* 报送时限", ""),
    ("rules 规则", "跨字段核对：if 条件、assert 必须成立的式子、message 不成立时的提示", "例如 assert: received_on >= "
     "determined_on；用字段名引用字段，重复组的列写作 组名.列名"),
]

YES_NO_COLUMNS = ("required", "pii", "readonly")


def template_workbook() -> Workbook:
    wb = export_workbook(EXAMPLE, all_columns=True)
    _instructions(wb)
    lists = wb.create_sheet("lists")
    lists.sheet_state = "hidden"
    types = ["text", "integer", "decimal", "date", "datetime", "select_one yes_no", "select_one 列表名",
             "select_multiple 列表名", "note",
             "begin_group", "end_group", "begin_repeat", "end_repeat"]
    formats = [k for k in FORMAT_NAMES if k not in ("date", "date-time")]
    columns = {"types": types, "formats": formats, "yesno": ["是", "否"],
               "appearance": ["multiline", "radio", "select", "checkbox"]}
    for c, (_name, values) in enumerate(columns.items(), start=1):
        for r, value in enumerate(values, start=1):
            lists.cell(row=r, column=c, value=value)
    refs = {name: f"lists!${get_column_letter(c)}$1:${get_column_letter(c)}${len(values)}"
            for c, (name, values) in enumerate(columns.items(), start=1)}
    survey = wb["survey"]
    headers = {cell.value: cell.column_letter for cell in survey[1]}
    for column, ref, strict in (("type", refs["types"], False), ("format", refs["formats"], True),
                                ("appearance", refs["appearance"], True),
                                *((c, refs["yesno"], False) for c in YES_NO_COLUMNS)):
        letter = headers[column]
        dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=strict,
                            errorTitle="请从列表中选择", error="请从下拉列表中选择一项。")
        dv.add(f"{letter}2:{letter}500")
        survey.add_data_validation(dv)
    for cell in survey[1]:
        note = _HEADER_NOTES.get(str(cell.value).split("::")[0])
        if note:
            cell.comment = Comment(note, "formgen")
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    return wb


_HEADER_NOTES = {row[0].split(" ")[0]: f"{row[0]}：{row[1]}。{row[2]}" for row in INSTRUCTIONS if row[0]}


def _instructions(wb: Workbook) -> None:
    ws = wb.create_sheet("填写说明", 0)
    ws.append(["列 / 工作表", "含义", "怎样填写"])
    for row in INSTRUCTIONS:
        ws.append(list(row))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = {"A": 22, "B": 40, "C": 80}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        lines = 1
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if cell.value:
                lines = max(lines, len(str(cell.value)) * 2 // widths[cell.column_letter] + 1)
        ws.row_dimensions[row[0].row].height = 15 * lines


__all__ = ["EXAMPLE", "template_workbook"]
