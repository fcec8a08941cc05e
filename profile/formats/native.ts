/**
 * guestperf's own trace file: the serialized model (profile/serialize.ts) with
 * everything it holds — samples, counters, markers, the scenario and the view
 * state — gzip-compressed on disk. Compression is a transport concern handled
 * where the bytes are read and written (main/), so this importer sees the
 * plain bytes, and reads them as a stream.
 */
import { ProfileReader, SerializeError, serializeChunks } from '../serialize';
import { ParseError, type ImportOptions, type StreamingImporter, type TraceFormat } from './format';

const MAGIC = [0x47, 0x50, 0x52, 0x46]; // "GPRF"

export const NATIVE_EXTENSION = 'guestperf';

function asParseError(fileName: string, e: unknown): unknown {
  return e instanceof SerializeError ? new ParseError(fileName, -1, e.message) : e;
}

export const nativeFormat: TraceFormat = {
  id: 'guestperf',
  name: 'guestperf trace',
  extensions: [NATIVE_EXTENSION],
  exportExtension: NATIVE_EXTENSION,
  compressed: 'gzip',
  detect: (head) => head.length >= 4 && MAGIC.every((b, i) => head[i] === b),
  createImporter(options: ImportOptions): StreamingImporter {
    const reader = new ProfileReader();
    return {
      push(chunk) {
        try {
          reader.push(chunk);
        } catch (e) {
          throw asParseError(options.fileName, e);
        }
      },
      finish() {
        try {
          const profile = reader.finish();
          profile.meta.name = options.fileName;
          return profile;
        } catch (e) {
          throw asParseError(options.fileName, e);
        }
      },
    };
  },
  export: (profile) => serializeChunks(profile),
};
