// Runs openredaction over the held-out documents (scripts/peer-bench writes them) and scores it
// against their planted truth with the same rule anonkit is held to: a planted item counts as found when one
// detection covers it; a detection that covers no planted item is a false alarm.
import { readFileSync } from "node:fs";
import { OpenRedaction } from "openredaction";

const corpus = JSON.parse(readFileSync(process.argv[2], "utf8"));
const redactor = new OpenRedaction({ redactionMode: "placeholder" });
const results = [];
const start = process.hrtime.bigint();
for (const row of corpus) results.push(await redactor.detect(row.notes));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const bytes = corpus.reduce((n, row) => n + Buffer.byteLength(row.notes), 0);

const perType = {};
let falseAlarms = 0;
corpus.forEach((row, i) => {
  const spans = row.truth.map(([type, value]) => {
    const at = row.notes.indexOf(value);
    return { type, begin: at, end: at + value.length };
  });
  const detections = results[i].detections ?? [];
  for (const s of spans) {
    perType[s.type] ??= { planted: 0, found: 0 };
    perType[s.type].planted++;
    if (detections.some((d) => d.position[0] <= s.begin && d.position[1] >= s.end)) perType[s.type].found++;
  }
  for (const d of detections)
    if (!spans.some((s) => d.position[0] < s.end && d.position[1] > s.begin)) falseAlarms++;
});
console.log(`openredaction: ${corpus.length} notes, ${(bytes / 1e6).toFixed(2)} MB in ${seconds.toFixed(2)} s = ${(bytes / 1e6 / seconds).toFixed(2)} MB/s`);
for (const [type, c] of Object.entries(perType)) console.log(`  ${type.padEnd(16)} found ${c.found} of ${c.planted}`);
console.log(`  false alarms (detections covering no planted item): ${falseAlarms}`);
