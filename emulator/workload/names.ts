/** The built-in programs every scenario may name (shared reference scenario-format.md). */
export const BUILTIN_PROGRAM_NAMES = ['spin', 'compile', 'webserver', 'database', 'idle', 'pmu-poll'] as const;
export type BuiltinProgramName = (typeof BUILTIN_PROGRAM_NAMES)[number];
