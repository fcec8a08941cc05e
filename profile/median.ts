/**
 * The lower median of `xs` (element (n - 1) >> 1 of it sorted), reordering
 * it, by Hoare's selection: linear on average, where sorting a busy flame
 * chart lane's gaps was the chart's slowest step. `xs` must hold no NaN.
 */
export function lowerMedian(xs: Float64Array): number {
  const k = (xs.length - 1) >> 1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (xs[i] < pivot) i++;
      while (xs[j] > pivot) j--;
      if (i <= j) {
        const t = xs[i];
        xs[i++] = xs[j];
        xs[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return xs[k];
}
