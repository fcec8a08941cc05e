/** Every perf script text in the peer corpora and our fixtures (paths; .gz ones are gzip). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { corpora, fixtures } from './paths';

const FG = join(corpora, 'brendangregg-FlameGraph');
const INFERNO = join(corpora, 'jonhoo-inferno/tests/data/collapse-perf');
const SPEEDSCOPE = join(corpora, 'jlfwong-speedscope/sample/profiles/linux-perf');
const FIREFOX = join(corpora, 'firefox-devtools-profiler/src/test/fixtures/upgrades');
const FIXTURES = join(fixtures, 'perf-script');

export function perfScriptInputs(): string[] {
  return [
    ...readdirSync(join(FG, 'test'))
      .filter((f) => f.startsWith('perf-'))
      .map((f) => join(FG, 'test', f)),
    join(FG, 'example-perf-stacks.txt.gz'),
    ...readdirSync(INFERNO)
      .filter((f) => f.endsWith('.txt') && f !== 'no-events.txt')
      .map((f) => join(INFERNO, f)),
    ...readdirSync(SPEEDSCOPE).map((f) => join(SPEEDSCOPE, f)),
    ...['test.perf.gz', 'simple-perf.txt.gz', 'gzip.perf.gz', 'graphviz.perf.gz'].map((f) => join(FIREFOX, f)),
    ...readdirSync(FIXTURES)
      .filter((f) => !f.endsWith('.md'))
      .map((f) => join(FIXTURES, f)),
  ];
}
