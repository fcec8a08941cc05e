/** Most-recently-opened files, newest first, kept in a small JSON file. */
import { mkdir, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write';

const MAX_RECENT = 10;

export interface RecentFiles {
  list(): Promise<string[]>;
  add(path: string): Promise<void>;
}

/** Recent files stored at `file`; a missing or unreadable file is an empty list. */
export function recentFilesAt(file: string): RecentFiles {
  const list = async (): Promise<string[]> => {
    try {
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string').slice(0, MAX_RECENT) : [];
    } catch {
      return [];
    }
  };
  return {
    list,
    async add(path) {
      const next = [path, ...(await list()).filter((p) => p !== path)].slice(0, MAX_RECENT);
      await mkdir(dirname(file), { recursive: true });
      await writeFileAtomic(file, Readable.from([JSON.stringify(next, null, 2)]));
    },
  };
}

/** Recent files that live only as long as the process (web host, tests). */
export function recentFilesInMemory(): RecentFiles {
  let items: string[] = [];
  return {
    list: async () => items.slice(),
    add: async (path) => {
      items = [path, ...items.filter((p) => p !== path)].slice(0, MAX_RECENT);
    },
  };
}
