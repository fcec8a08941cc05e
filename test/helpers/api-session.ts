/**
 * An ApiSession as the web host makes one, with the built parse and export
 * workers and recent files in memory, that keeps every event it emits:
 * `outcome(job)` resolves with the job's one done/failed/cancelled event.
 */
import type { ApiEvent } from '../../main/api/contract';
import { recentFilesInMemory } from '../../main/api/recent-files';
import { ApiSession } from '../../main/api/session';
import { builtExportWorkerUrl, builtWorkerUrl } from './paths';

export function testSession(maxFileBytes = 2 ** 31) {
  const events: ApiEvent[] = [];
  let wake: () => void = () => {};
  const s = new ApiSession({
    host: 'web',
    version: 'test',
    workerUrl: builtWorkerUrl(),
    exportWorkerUrl: builtExportWorkerUrl(),
    recent: recentFilesInMemory(),
    maxFileBytes,
    emit: (e) => {
      events.push(e);
      wake();
    },
  });
  const outcome = async (job: number) => {
    for (;;) {
      const e = events.find((x) => 'job' in x && x.job === job && /done|failed|cancelled/.test(x.type));
      if (e) return e;
      await new Promise<void>((r) => (wake = r));
    }
  };
  return { s, events, outcome };
}
