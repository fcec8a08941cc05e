/**
 * The one error a scenario file can produce (shared reference
 * scenario-format.md, "Errors"): file, line, column, key path and what was
 * expected, on one line, so the CLI can print it as is and exit 2.
 */

export class ScenarioError extends Error {
  override name = 'ScenarioError';

  constructor(
    readonly file: string,
    /** 1-based. */
    readonly line: number,
    /** 1-based, in UTF-16 code units like every editor's column. */
    readonly column: number,
    /** Key path such as `vms[0].vpmu`; empty for YAML syntax errors and whole-file problems. */
    readonly path: string,
    /** What is wrong, without the location: `unknown value "mediatd" (expected one of: ...)`. */
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${path ? `${path}: ` : ''}${detail}`);
  }

  /** The bare one-line form, without Error's `ScenarioError:` prefix. */
  override toString(): string {
    return this.message;
  }
}

/**
 * The error followed by the offending source line and a caret under the
 * column, for a terminal or the window's scenario editor.
 */
export function renderScenarioError(error: ScenarioError, text: string): string {
  const sourceLine = text.split(/\r?\n/)[error.line - 1];
  if (sourceLine === undefined) return error.message;
  const lineNo = String(error.line);
  // Tabs keep their width in the caret line so the caret stays under the column.
  const pad = sourceLine.slice(0, error.column - 1).replace(/[^\t]/g, ' ');
  return `${error.message}\n${lineNo} | ${sourceLine}\n${' '.repeat(lineNo.length)} | ${pad}^`;
}
