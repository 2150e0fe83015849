// Open a workbook with ExcelJS, type a new value into the cell a defined name points at, and save the workbook
// again, as a Node service built on ExcelJS does:
//   node tests/exceljs_resave.js MODULES BOOK OUT NAME VALUE
const path = require("node:path");
const [modules, book, out, name, value] = process.argv.slice(2);
const ExcelJS = require(path.join(modules, "exceljs"));

(async () => {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(book);
  const ranges = wb.definedNames.getRanges(name).ranges;
  if (!ranges.length) throw new Error("no defined name " + name);
  const [, sheet, cell] = ranges[0].match(/^'?(.*?)'?!(.*)$/);
  wb.getWorksheet(sheet).getCell(cell.replace(/\$/g, "")).value = value;
  await wb.xlsx.writeFile(out);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
