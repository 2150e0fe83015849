// Fill a PDF form the way Firefox's viewer (pdf.js) does, and save it with pdf.js's own saveDocument:
//   node tests/pdfjs_fill.mjs MODULES BLANK OUT VALUES.json
// MODULES is the node_modules folder holding pdfjs-dist. VALUES maps a field's full name to the text typed or
// the choice picked; for a check box or radio group, to the export value of the box ticked (Yes, No).
// pdf.js is given its character maps and standard fonts as Firefox's viewer gives them (cMapUrl, standardFontDataUrl):
// without them it cannot encode text in a font it does not have (a field typed in the viewer's own Chinese font).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, blank, out, valuesFile] = process.argv.slice(2);
const pdfjs = await import(pathToFileURL(join(modules, "pdfjs-dist/legacy/build/pdf.mjs")).href);
const values = JSON.parse(readFileSync(valuesFile, "utf8"));
const dist = join(modules, "pdfjs-dist");
const doc = await pdfjs.getDocument({
  data: new Uint8Array(readFileSync(blank)), verbosity: 0,
  cMapUrl: join(dist, "cmaps") + "/", cMapPacked: true, standardFontDataUrl: join(dist, "standard_fonts") + "/",
}).promise;
const fields = await doc.getFieldObjects();
for (const [name, value] of Object.entries(values)) {
  if (!fields[name]) throw new Error("no field " + name);
  for (const widget of fields[name]) {
    if (widget.type === "radiobutton" || widget.type === "checkbox") {
      doc.annotationStorage.setValue(widget.id, { value: widget.exportValues === value });
    } else {
      doc.annotationStorage.setValue(widget.id, { value });
    }
  }
}
writeFileSync(out, await doc.saveDocument());
await doc.destroy();
