// Fill a PDF form the way MuPDF's own viewers do (mutool run tests/mutool_fill.js BLANK OUT VALUES.json).
// VALUES maps a field's label (its tooltip, which MuPDF's widget API exposes; the partial name it does not)
// to the text typed or the choice picked; a radio group's value is the index of the button to click.
var doc = new PDFDocument(scriptArgs[0]);
var values = JSON.parse(read(scriptArgs[2]));
var seen = {};
for (var i = 0; i < doc.countPages(); i++) {
  var widgets = doc.loadPage(i).getWidgets();
  for (var j = 0; j < widgets.length; j++) {
    var widget = widgets[j];
    var label = widget.getLabel();
    if (!(label in values)) continue;
    var type = widget.getFieldType();
    var index = seen[label] || 0;
    seen[label] = index + 1;
    if (type == "text") widget.setTextValue(values[label]);
    else if (type == "combobox" || type == "listbox") widget.setChoiceValue(values[label]);
    else if ((type == "radiobutton" || type == "checkbox") && index == values[label]) widget.toggle();
    else continue;
    widget.update();
  }
}
for (var name in values) if (!(name in seen)) throw new Error("no field labelled " + name);
doc.save(scriptArgs[1], "garbage");
