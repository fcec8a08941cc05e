import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerMedian } from '../../profile/median';

const sortedMedian = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];

describe('lowerMedian', () => {
  it('is element (n - 1) >> 1 of the sorted values, for any values, repeated or not', () => {
    const value = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0) /* -0 sorts as 0 */);
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 300 }), (xs) => {
        expect(lowerMedian(Float64Array.from(xs))).toBe(sortedMedian(xs));
      }),
      { numRuns: 2000 },
    );
  });

  it('holds on the inputs that defeat a naive pivot: sorted, reversed, all equal', () => {
    const n = 200_001;
    for (const xs of [Float64Array.from({ length: n }, (_, i) => i), Float64Array.from({ length: n }, (_, i) => n - i), new Float64Array(n).fill(3)]) {
      const expected = sortedMedian([...xs]);
      expect(lowerMedian(xs)).toBe(expected);
    }
  });
});
