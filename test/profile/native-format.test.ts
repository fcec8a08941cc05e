import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../profile/formats/format';
import { nativeFormat } from '../../profile/formats/native';
import { ProfileBuilder } from '../../profile/builder';
import { ExecContext } from '../../profile/model';
import { serializeProfile } from '../../profile/serialize';

function valid(): Uint8Array {
  const b = new ProfileBuilder();
  const ev = b.event('cycles');
  const t = b.thread('app', 1, 1);
  const s = b.stack(b.stack(-1, b.frame('main', '/bin/app', ExecContext.HostUser)), b.frame('f', '/bin/app', ExecContext.HostUser));
  for (let i = 0; i < 50; i++) b.sample({ stack: s, time: i, weight: 1, event: ev, cpu: 0, thread: t, vcpu: -1, context: ExecContext.HostUser });
  return serializeProfile(b.build({ name: 'v', source: 'test', weightUnit: 'samples' }));
}

/** Feeds bytes in chunks of the given sizes; returns 'profile' or the ParseError. */
function feed(bytes: Uint8Array, sizes: number[]): 'profile' | ParseError {
  const imp = nativeFormat.createImporter({ fileName: 'x.guestperf' });
  try {
    let at = 0;
    for (let k = 0; at < bytes.length; k++) {
      const n = Math.max(1, sizes[k % sizes.length] ?? 1);
      imp.push(bytes.subarray(at, at + n));
      at += n;
    }
    imp.finish();
    return 'profile';
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
}

describe('native trace file reader', () => {
  const base = valid();

  it('reads mutated and truncated files as a profile or a ParseError, never anything else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(base.length),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
        (edits, cut, sizes) => {
          const bytes = base.slice(0, Math.max(4, cut));
          for (const [i, v] of edits) if (i < bytes.length) bytes[i] = v;
          bytes.set([0x47, 0x50, 0x52, 0x46]); // keep the magic: the reader, not detection, is under test
          feed(bytes, sizes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a header whose column lengths disagree with their table', () => {
    const text = new TextDecoder().decode(base);
    const bumped = text.replace('"length":50', '"length":900000000');
    const r = feed(new TextEncoder().encode(bumped), [4096]);
    expect(r).toBeInstanceOf(ParseError);
  });
});
