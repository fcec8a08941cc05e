/**
 * Parse worker: turns a stream of file bytes into a serialized profile off the
 * main thread. Bytes come from the file itself (openPath) or from the window
 * (uploads, forwarded by the job as `chunk` messages); a scenario
 * (openScenario, openScenarioText) is run on the emulator and recorded here
 * instead.
 */
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { parsePerfCommand, type RecordOptions } from '../../emulator/perf-tool/cmdline';
import { recordDesignComparison } from '../../emulator/compare-trace';
import { parseScenario } from '../../emulator/scenario/parse';
import { runRecord } from '../../emulator/session';
import { ParseError } from '../../profile/formats/format';
import type { Profile } from '../../profile/model';
import { serializeProfile } from '../../profile/serialize';
import { importTrace, TraceReadError } from '../files/trace-io';
import type { FromWorker, ParseWorkerData, ScenarioRun, ToWorker } from './protocol';

const PROGRESS_INTERVAL_MS = 50;

const port = parentPort!;
const { fileName, path, scenario } = workerData as ParseWorkerData;
const post = (msg: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer);

let sourceBytes = 0;
let lastProgress = 0;

async function* uploadedChunks(): AsyncGenerator<Uint8Array> {
  const queue: ToWorker[] = [];
  let wake: (() => void) | null = null;
  port.on('message', (msg: ToWorker) => {
    queue.push(msg);
    wake?.();
  });
  for (;;) {
    const msg = queue.shift();
    if (!msg) {
      await new Promise<void>((r) => (wake = r));
      wake = null;
      continue;
    }
    if (msg.type === 'end') return;
    yield msg.bytes;
    post({ type: 'consumed', bytes: msg.bytes.length });
  }
}

/** The source bytes, counted for progress (compressed bytes for a gzip file). */
async function* source(): AsyncGenerator<Uint8Array> {
  const raw: AsyncIterable<Uint8Array> = path ? createReadStream(path, { highWaterMark: 1 << 20 }) : uploadedChunks();
  for await (const chunk of raw) {
    sourceBytes += chunk.length;
    const now = Date.now();
    if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
      lastProgress = now;
      post({ type: 'progress', bytes: sourceBytes });
    }
    yield chunk;
  }
}

/** A scenario recorded the way `guestperf record -a -g [-e EVENTS]` does, or compared across designs. */
function recordScenario(run: ScenarioRun): Profile {
  const parsed = parseScenario(run.text, fileName).scenario;
  if (run.compare) return recordDesignComparison(parsed, run.text, run.compare, run.events ? [run.events] : []);
  const options = parsePerfCommand(['record', '-a', '-g', ...(run.events ? ['-e', run.events] : [])]) as RecordOptions;
  const result = runRecord(parsed, options, run.text);
  if (run.events) return result.profile;
  // Without events asked for, a scenario that records on the host for itself is shown as it
  // asked; a guest's own recording lends the host's trace its readings instead (guest-readings.ts).
  const own = result.background.find((b) => b.on === 'host' && b.profile)?.profile;
  if (own) own.scenario = run.text;
  return own ?? result.profile;
}

async function parse(): Promise<void> {
  const profile = scenario ? recordScenario(scenario) : await importTrace(source(), fileName);
  const serialized = serializeProfile(profile);
  post({ type: 'progress', bytes: sourceBytes });
  const warnings = profile.meta.warnings.map((w) => (w.line > 0 ? `line ${w.line}: ${w.message}` : w.message));
  post({ type: 'done', profile: serialized, warnings }, [serialized.buffer as ArrayBuffer]);
}

// The job terminates this worker once it has the result or the error.
parse().catch((e: unknown) => {
  const known = e instanceof ParseError || e instanceof TraceReadError;
  const message = known ? (e as Error).message : `${fileName}: ${e instanceof Error ? e.message : String(e)}`;
  post({ type: 'error', message });
});
