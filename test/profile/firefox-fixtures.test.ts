/**
 * The Firefox Profiler's perf-script fixtures import with the per-thread
 * sample counts its own snapshot records (profile-conversion.test.ts.snap).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { perfScriptFormat } from '../../profile/formats/perf-script';
import { corpora } from '../helpers/paths';

const FF = join(corpora, 'firefox-devtools-profiler/src/test');
const snapshot = readFileSync(join(FF, 'unit/__snapshots__/profile-conversion.test.ts.snap'), 'utf8');

/** tid → sampleCount from one snapshot section. */
function expectedCounts(title: string): Map<number, number> {
  const start = snapshot.indexOf(`exports[\`${title} 1\`]`);
  expect(start, title).toBeGreaterThanOrEqual(0);
  const end = snapshot.indexOf('exports[`', start + 1);
  const section = snapshot.slice(start, end < 0 ? undefined : end);
  const counts = new Map<number, number>();
  for (const m of section.matchAll(/"sampleCount": (\d+),\s*"sampleWeightTotal": [^,]*,\s*"tid": (\d+),/g)) {
    counts.set(Number(m[2]), (counts.get(Number(m[2])) ?? 0) + Number(m[1]));
  }
  return counts;
}

const cases: Array<[string, string]> = [
  ['test.perf.gz', 'converting Linux perf profile should import a perf profile'],
  ['graphviz.perf.gz', 'converting Linux perf profile should import a perf profile of graphviz with a header'],
  ['gzip.perf.gz', 'converting Linux perf profile should import a perf profile of gzip'],
  ['simple-perf.txt.gz', 'converting Linux perf profile should import a simple perf profile'],
];

describe('Firefox Profiler perf fixtures', () => {
  it.each(cases)('%s: sample count per thread as Firefox imports it', (file, title) => {
    const want = expectedCounts(title);
    expect(want.size).toBeGreaterThan(0);
    const importer = perfScriptFormat.createImporter({ fileName: file });
    importer.push(gunzipSync(readFileSync(join(FF, 'fixtures/upgrades', file))));
    const p = importer.finish();
    const got = new Map<number, number>();
    for (let i = 0; i < p.samples.length; i++) {
      const tid = p.threads.tid[p.samples.thread[i]];
      got.set(tid, (got.get(tid) ?? 0) + 1);
    }
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
  });
});
