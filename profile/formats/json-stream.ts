/**
 * A streaming scanner for the top level of a large JSON document: it hands
 * out each element of the arrays it is asked to stream (a Chrome trace's
 * `traceEvents`, a cpuprofile's `nodes`) as its own small JSON text, so no
 * file is ever held as one string (V8 caps strings near 512 MiB, and Chrome
 * traces get bigger than that). Everything else at the top level is handed
 * out whole, or skipped without being kept when nobody wants it.
 *
 * Chrome writes the array form as it records, so a trace may stop anywhere:
 * after a trailing comma, before the closing `]`, even inside the last event.
 * An unterminated streamed array is therefore not an error; the caller learns
 * about it from `finish()` and decides whether to warn.
 */
import { ParseError } from './format';

export interface JsonStreamHandlers {
  /** One element of a streamed array; key is null for a top-level array. */
  element(key: string | null, text: string, line: number): void;
  /** A whole top-level value of a key that is not streamed (only when `wants(key)`). */
  value?(key: string, text: string, line: number): void;
  wants?(key: string): boolean;
}

export interface JsonStreamEnd {
  /** The document ended before its closing bracket (a Chrome "partial" trace). */
  unterminated: boolean;
  /** An element was cut off by the end of the file and was dropped. */
  truncatedElement: boolean;
}

type State = 'start' | 'key' | 'keyString' | 'colon' | 'valueStart' | 'elements' | 'value' | 'done';

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff;
const QUOTE = 34;
const BACKSLASH = 92;

export class JsonStreamScanner {
  private readonly decoder = new TextDecoder('utf-8');
  private state: State = 'start';
  private rootIsArray = false;
  private key: string | null = null;
  /** Streaming an array's elements (as opposed to capturing one top-level value). */
  private inElements = false;
  // Value capture: nesting depth, string state, and the text seen so far.
  private depth = 0;
  private inString = false;
  private escape = false;
  private primitive = false;
  private keep = false;
  private parts: string[] = [];
  private valueLine = 0;
  private line = 1;

  constructor(
    private readonly fileName: string,
    private readonly streamKeys: ReadonlySet<string>,
    private readonly handlers: JsonStreamHandlers,
  ) {}

  push(chunk: Uint8Array): void {
    this.scan(this.decoder.decode(chunk, { stream: true }));
  }

  finish(): JsonStreamEnd {
    this.scan(this.decoder.decode());
    // A number or literal that ends the file has no terminator to end it.
    if (this.state === 'value' && this.primitive) this.endValue('', 0, 0);
    switch (this.state) {
      case 'start':
        throw new ParseError(this.fileName, -1, 'the file is empty');
      case 'done':
        return { unterminated: false, truncatedElement: false };
      case 'elements':
        return { unterminated: true, truncatedElement: false };
      case 'value':
        if (this.inElements) return { unterminated: true, truncatedElement: true };
        throw new ParseError(this.fileName, this.valueLine, `the value of "${this.key}" is cut off by the end of the file`);
      default:
        throw new ParseError(this.fileName, this.line, 'the JSON object is cut off by the end of the file');
    }
  }

  private fail(reason: string): never {
    throw new ParseError(this.fileName, this.line, reason);
  }

  private scan(text: string): void {
    const n = text.length;
    // Where the key or value being captured starts in this piece of text.
    let from = this.state === 'value' || this.state === 'keyString' ? 0 : -1;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case 'start':
          if (c === 10) this.line++;
          if (isSpace(c)) break;
          if (c === 91 /* [ */) {
            this.rootIsArray = true;
            this.inElements = true;
            this.state = 'elements';
          } else if (c === 123 /* { */) this.state = 'key';
          else this.fail('not JSON: expected "[" or "{" at the start');
          break;
        case 'key':
          if (c === 10) this.line++;
          if (isSpace(c) || c === 44 /* , */) break;
          if (c === 125 /* } */) this.state = 'done';
          else if (c === QUOTE) {
            this.state = 'keyString';
            this.parts = [];
            this.escape = false;
            from = i;
          } else this.fail(`expected a key, found "${text[i]}"`);
          break;
        case 'keyString':
          if (this.escape) this.escape = false;
          else if (c === BACKSLASH) this.escape = true;
          else if (c === QUOTE) {
            const literal = this.parts.join('') + text.slice(from, i + 1);
            this.parts = [];
            from = -1;
            try {
              this.key = String(JSON.parse(literal));
            } catch {
              this.fail('invalid key string');
            }
            this.state = 'colon';
          } else if (c === 10) this.fail('unterminated key string');
          break;
        case 'colon':
          if (c === 10) this.line++;
          if (isSpace(c)) break;
          if (c !== 58 /* : */) this.fail(`expected ":" after "${this.key}"`);
          this.state = 'valueStart';
          break;
        case 'valueStart':
          if (c === 10) this.line++;
          if (isSpace(c)) break;
          if (c === 91 && this.streamKeys.has(this.key ?? '')) {
            this.inElements = true;
            this.state = 'elements';
            break;
          }
          this.inElements = false;
          this.keep = this.handlers.wants?.(this.key ?? '') ?? false;
          from = this.beginValue(c, i);
          break;
        case 'elements':
          if (c === 10) this.line++;
          if (isSpace(c) || c === 44) break;
          if (c === 93 /* ] */) {
            this.inElements = false;
            this.state = this.rootIsArray ? 'done' : 'key';
            break;
          }
          this.keep = true;
          from = this.beginValue(c, i);
          break;
        case 'value':
          if (this.inString) {
            if (this.escape) this.escape = false;
            else {
              // Most of a trace is string content: run through it in a tight loop.
              let j = i;
              let d = c;
              while (d !== QUOTE && d !== BACKSLASH && ++j < n) d = text.charCodeAt(j);
              i = j;
              if (j === n) continue;
              if (d === BACKSLASH) this.escape = true;
              else {
                this.inString = false;
                if (this.depth === 0) {
                  this.endValue(text, from, i + 1);
                  from = -1;
                }
              }
            }
          } else if (this.primitive) {
            if (isSpace(c) || c === 44 || c === 93 || c === 125) {
              this.endValue(text, from, i);
              from = -1;
              continue; // the terminator belongs to the enclosing state
            }
          } else if (c === QUOTE) this.inString = true;
          else if (c === 123 || c === 91) this.depth++;
          else if (c === 125 || c === 93) {
            if (--this.depth === 0) {
              this.endValue(text, from, i + 1);
              from = -1;
            }
          } else if (c === 10) this.line++;
          break;
        case 'done':
          if (c === 10) this.line++;
          if (!isSpace(c) && c !== 0) this.fail('unexpected data after the end of the JSON document');
          break;
      }
      i++;
    }
    if (from >= 0 && (this.state === 'keyString' || (this.state === 'value' && this.keep))) {
      this.parts.push(text.slice(from));
    }
  }

  /** Starts capturing a value whose first character is text[i]; returns i. */
  private beginValue(c: number, i: number): number {
    this.state = 'value';
    this.valueLine = this.line;
    this.parts = [];
    this.escape = false;
    this.inString = c === QUOTE;
    this.primitive = !this.inString && c !== 123 && c !== 91;
    this.depth = c === 123 || c === 91 ? 1 : 0;
    return i;
  }

  private endValue(text: string, from: number, to: number): void {
    const whole = this.keep ? this.parts.join('') + text.slice(Math.max(from, 0), to) : '';
    this.parts = [];
    if (this.inElements) {
      this.state = 'elements';
      this.handlers.element(this.rootIsArray ? null : this.key, whole, this.valueLine);
    } else {
      this.state = 'key';
      if (this.keep) this.handlers.value?.(this.key ?? '', whole, this.valueLine);
    }
  }
}
