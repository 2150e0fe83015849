// Open a workbook with SheetJS (the xlsx package), type a new value into the cell a defined name points at, and
// save the workbook again, as a web app built on SheetJS does:
//   node tests/sheetjs_resave.js MODULES BOOK OUT NAME VALUE
const path = require("node:path");
const [modules, book, out, name, value] = process.argv.slice(2);
const XLSX = require(path.join(modules, "xlsx"));
const wb = XLSX.readFile(book, { cellStyles: true, cellNF: true });
const defined = (wb.Workbook.Names || []).find((n) => n.Name === name);
if (!defined) throw new Error("no defined name " + name);
const [, sheet, cell] = defined.Ref.match(/^'?(.*?)'?!(.*)$/);
wb.Sheets[sheet][cell.replace(/\$/g, "")] = { t: "s", v: value };
XLSX.writeFile(wb, out);
