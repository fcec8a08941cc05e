/**
 * What a collapser skipped. Folded output has no room for it, so the command
 * tells it on stderr; both folders (collapse.ts, inferno-collapse.ts) word it
 * the same way.
 */
export class CollapseTally {
  private filteredOut = 0;
  private firstFilteredEvent = '';
  private unrecognized = 0;
  private firstUnrecognized = -1;

  /** A sample of `event` dropped because the filter defaulted to the first event seen. */
  filtered(event: string): void {
    if (this.filteredOut++ === 0) this.firstFilteredEvent = event;
  }

  /** A line (1-based) that is neither an event line, a stack line nor blank. */
  unrecognizedLine(line: number): void {
    if (this.unrecognized++ === 0) this.firstUnrecognized = line;
  }

  warnings(eventFilter: string | undefined): string[] {
    const out: string[] = [];
    if (this.filteredOut > 0) {
      out.push(
        `kept only samples of event "${eventFilter}" (the first one seen); ` +
          `dropped ${this.filteredOut} sample${this.filteredOut === 1 ? '' : 's'} of other events ` +
          `such as "${this.firstFilteredEvent}" (choose one with --event-filter)`,
      );
    }
    if (this.unrecognized > 0) {
      out.push(
        `${this.unrecognized} unrecognized line${this.unrecognized === 1 ? '' : 's'} skipped ` +
          `(first at line ${this.firstUnrecognized})`,
      );
    }
    return out;
  }
}
