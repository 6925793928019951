// Fill a booklet with pdf.js (Firefox's PDF engine) and save it as Firefox does.
//
// usage: node pdfjs_fill.mjs IN.pdf OUT.pdf PLAN.json
// PLAN: {"text": {fieldName: value}, "steps": [[groupName, state|null], ...]}
// A null state presses the row's Clear button: like pdf.js's viewer, it runs
// the button's ResetForm action by setting each target field to its default.
import { readFileSync, writeFileSync } from "node:fs";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

const [input, output, planFile] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, "utf8"));
const doc = await getDocument({
  data: new Uint8Array(readFileSync(input)),
  verbosity: 0,
}).promise;
const storage = doc.annotationStorage;
const fields = await doc.getFieldObjects();

for (const [name, value] of Object.entries(plan.text ?? {})) {
  const widgets = fields[name];
  if (!widgets) throw new Error(`no field ${name}`);
  for (const widget of widgets) storage.setValue(widget.id, { value });
}

// The Clear buttons' reset actions, as pdf.js parses them from the pages.
const resets = new Map();
for (let n = 1; n <= doc.numPages; n++) {
  const page = await doc.getPage(n);
  for (const annot of await page.getAnnotations()) {
    if (annot.resetForm && annot.fieldName) resets.set(annot.fieldName, annot.resetForm);
  }
}

for (const [group, state] of plan.steps ?? []) {
  const buttons = fields[group];
  if (!buttons) throw new Error(`no field ${group}`);
  if (state === null) {
    const clearName = group.replace(/^level:/, "clear:");
    const reset = resets.get(clearName);
    if (!reset) throw new Error(`no reset action on ${clearName}`);
    const named = Object.values(fields).flat().filter(
      (w) => reset.refs.includes(w.id) || reset.fields.includes(w.name),
    );
    // A reset that names a radio group resets each of its buttons.
    const ids = new Set(named.flatMap((w) => [w.id, ...(w.kidIds ?? [])]));
    const targets = Object.values(fields).flat().filter((w) => ids.has(w.id) && w.type);
    if (!targets.length) throw new Error(`reset of ${clearName} names no field`);
    for (const w of targets) {
      const value = w.type === "radiobutton" || w.type === "checkbox"
        ? w.exportValues === w.defaultValue
        : w.defaultValue ?? "";
      storage.setValue(w.id, { value });
    }
  } else {
    for (const w of buttons) storage.setValue(w.id, { value: w.exportValues === state });
  }
}

writeFileSync(output, await doc.saveDocument());
await doc.destroy();
