"""Drive a running LibreOffice through UNO, the way a person edits a document.

Runs under Debian's /usr/bin/python3 (python3-uno), not the project's
virtual environment.  Usage: uno_driver.py PIPE_NAME OPS.json
OPS.json is a list of operations, applied in order:

  {"op": "open", "path": P}                      open a document (hidden)
  {"op": "type", "cell": "表单!B5", "text": T}   type T into a cell, as at the keyboard (setFormula)
  {"op": "type", "name": N, "text": T}           type into the cell a defined name points at
  {"op": "type_string", "cell"|"name", "text"}  enter T as literal text (like a leading apostrophe)
  {"op": "insert_rows", "cell": "表单!A20", "count": 1}   insert rows above that cell (unprotecting as a person would)
  {"op": "save", "path": P, "filter": F}         save a copy in another format (default by suffix)
  {"op": "close"}
Writer (a .docx opened with "open"); a value cell is named by the label to its left or by table and cell:
  {"op": "fill", "label": L, "text": T}          type T into the value cell right of the label cell L, as a person
                                                 does: into the content control there (replacing its placeholder),
                                                 else into the cell; "\n" makes a line break
  {"op": "fill", "table": N, "cell": "B3", "text": T}   the same for cell B3 of the N-th table (1-based, document order)
  {"op": "tick", "label"|"table"+"cell", "choice": C}   tick the checkbox followed by the text C, as a click does
  {"op": "pick", "label"|"table"+"cell", "item": I}     pick item I of the dropdown in that cell
  {"op": "insert_table_rows", "table": N, "row": R, "count": K}   insert K rows before row R (1-based)
Writer letters (paragraphs with inline controls); a control is named by its place among the content controls of
the document's paragraphs outside tables (0-based, document order):
  {"op": "fill", "control": K, "text": T}        type T over control K; "\n" starts a new paragraph after it,
                                                 as pressing Enter at its end and typing on does
  {"op": "tick", "control": K}                   tick checkbox control K
  {"op": "pick", "control": K, "item": I}        pick item I of dropdown control K
Prints a JSON list of results.
"""

import json
import os
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.text.ControlCharacter import PARAGRAPH_BREAK

FILTERS = {".xlsx": "Calc MS Excel 2007 XML", ".docx": "MS Word 2007 XML", ".pdf": None,
           ".ods": "calc8", ".odt": "writer8"}


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe, tries=120):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(tries):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:
            time.sleep(0.25)
    raise SystemExit(f"cannot connect to LibreOffice on pipe {pipe}")


def url(path):
    return uno.systemPathToFileUrl(path)


class Session:
    def __init__(self, desktop):
        self.desktop = desktop
        self.doc = None

    # -- calc -------------------------------------------------------------
    def _cell(self, op):
        if "name" in op:
            named = self.doc.NamedRanges.getByName(op["name"])
            return named.getReferredCells().getCellByPosition(0, 0)
        sheet_name, ref = op["cell"].split("!")
        sheet = self.doc.Sheets.getByName(sheet_name)
        return sheet.getCellRangeByName(ref)

    def op_open(self, op):
        self.doc = self.desktop.loadComponentFromURL(url(op["path"]), "_blank", 0, (prop("Hidden", True),))
        return True

    def op_type(self, op):
        self._cell(op).setFormula(op["text"])
        return True

    def op_type_string(self, op):
        self._cell(op).setString(op["text"])
        return True

    def op_insert_rows(self, op):
        sheet_name, ref = op["cell"].split("!")
        sheet = self.doc.Sheets.getByName(sheet_name)
        if sheet.isProtected():
            sheet.unprotect("")
        row = sheet.getCellRangeByName(ref).getCellAddress().Row
        sheet.getRows().insertByIndex(row, op.get("count", 1))
        return True

    # -- writer -----------------------------------------------------------
    def _tables(self):
        tables = []
        items = self.doc.Text.createEnumeration()
        while items.hasMoreElements():
            item = items.nextElement()
            if item.supportsService("com.sun.star.text.TextTable"):
                tables.append(item)
        return tables

    def _value_cell(self, op):
        if "table" in op:
            return self._tables()[op["table"] - 1].getCellByName(op["cell"])
        for table in self._tables():
            names = table.getCellNames()
            for i, name in enumerate(names):
                if "".join(table.getCellByName(name).getString().split()) == "".join(op["label"].split()):
                    return table.getCellByName(names[i + 1])
        raise SystemExit(f"no label {op['label']!r} in the document")

    @staticmethod
    def _portions(cell):
        """(portion type, content control or text) in the cell, in order."""
        out = []
        paragraphs = cell.getText().createEnumeration()
        while paragraphs.hasMoreElements():
            portions = paragraphs.nextElement().createEnumeration()
            while portions.hasMoreElements():
                portion = portions.nextElement()
                if portion.TextPortionType == "ContentControl":
                    out.append(("control", portion.ContentControl))
                elif portion.TextPortionType == "Text":
                    out.append(("text", portion.getString()))
        return out

    @staticmethod
    def _type_into_control(control, text):
        """Replace what a content control shows, as typing over its selected placeholder does."""
        left = len(control.getAnchor().getString())
        cursor = control.createTextCursor()
        while left > 0:
            step = min(left, 30000)
            cursor.goRight(step, True)
            left -= step
        cursor.setString(text)
        control.ShowingPlaceHolder = False

    def _letter_controls(self):
        """(paragraph, control) for each content control in the paragraphs outside tables, in order."""
        out = []
        items = self.doc.Text.createEnumeration()
        while items.hasMoreElements():
            item = items.nextElement()
            if not item.supportsService("com.sun.star.text.Paragraph"):
                continue
            portions = item.createEnumeration()
            while portions.hasMoreElements():
                portion = portions.nextElement()
                if portion.TextPortionType == "ContentControl":
                    out.append((item, portion.ContentControl))
        return out

    def _fill_letter(self, op):
        paragraph, control = self._letter_controls()[op["control"]]
        first, *more = op["text"].split("\n")
        self._type_into_control(control, first)
        text = self.doc.Text
        cursor = text.createTextCursorByRange(paragraph.getEnd())
        for line in more:
            text.insertControlCharacter(cursor, PARAGRAPH_BREAK, False)
            text.insertString(cursor, line, False)
        return True

    def op_fill(self, op):
        if "control" in op:
            return self._fill_letter(op)
        cell = self._value_cell(op)
        controls = [c for kind, c in self._portions(cell) if kind == "control"]
        if controls:
            self._type_into_control(controls[0], op["text"])
        else:
            cell.setString(op["text"])
        return True

    def op_tick(self, op):
        if "control" in op:
            control = self._letter_controls()[op["control"]][1]
            control.Checked = True
            self._type_into_control(control, control.CheckedState)
            return True
        portions = self._portions(self._value_cell(op))
        for i, (kind, control) in enumerate(portions):
            following = portions[i + 1][1] if i + 1 < len(portions) and portions[i + 1][0] == "text" else ""
            if kind == "control" and control.Checkbox and following.strip() == op["choice"]:
                control.Checked = True
                self._type_into_control(control, control.CheckedState)
                return True
        raise SystemExit(f"no checkbox {op['choice']!r}")

    def op_pick(self, op):
        if "control" in op:
            control = self._letter_controls()[op["control"]][1]
        else:
            control = next(c for kind, c in self._portions(self._value_cell(op)) if kind == "control")
        items = [{p.Name: p.Value for p in item}["DisplayText"] for item in control.ListItems]
        if op["item"] not in items:
            raise SystemExit(f"{op['item']!r} is not in the list {items}")
        self._type_into_control(control, op["item"])
        return True

    def op_insert_table_rows(self, op):
        self._tables()[op["table"] - 1].getRows().insertByIndex(op["row"] - 1, op.get("count", 1))
        return True

    def op_save(self, op):
        path = op["path"]
        suffix = path[path.rfind("."):]
        filt = op.get("filter", FILTERS.get(suffix))
        args = (prop("FilterName", filt), prop("Overwrite", True)) if filt else (prop("Overwrite", True),)
        self.doc.storeToURL(url(path), args)
        return True

    def op_close(self, op):
        self.doc.close(True)
        self.doc = None
        return True


def main():
    pipe, ops_file = sys.argv[1], sys.argv[2]
    with open(ops_file, encoding="utf-8") as fh:
        ops = json.load(fh)
    session = Session(connect(pipe))
    results = []
    try:
        for op in ops:
            results.append(getattr(session, "op_" + op["op"])(op))
    finally:
        if session.doc is not None:
            session.doc.close(True)
    print(json.dumps(results, ensure_ascii=False), flush=True)
    os._exit(0)  # skip interpreter teardown: pyuno sometimes segfaults there (rc -11) after all the work is done


if __name__ == "__main__":
    main()
