/**
 * The largest file we try to load. Parsing streams, so the limit comes from
 * the model and the text's peak working set (about 2.5× the file for perf
 * script text): a larger file fails at once with a clear message instead of
 * running the process out of memory halfway through.
 */
export function maxFileBytes(totalMemory: number): number {
  return Math.floor(totalMemory / 4);
}
