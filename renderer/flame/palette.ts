/**
 * Frame colours: one hue family per execution context, varied per function
 * name (a stable hash) so neighbouring frames stay distinguishable. Warm
 * hues are the host, cool hues the guest, violet the hypervisor between
 * them, grey the unknown: the split the tool exists to show reads at a glance.
 */
import { EXEC_CONTEXT_NAMES, ExecContext, type ExecContextName } from '../../profile/model';

interface Family {
  label: string;
  hue: number;
  /** Hue spread either side, in degrees. */
  spread: number;
  sat: number;
}

const FAMILIES: Record<ExecContext, Family> = {
  [ExecContext.HostUser]: { label: 'host user', hue: 44, spread: 7, sat: 88 },
  [ExecContext.HostKernel]: { label: 'host kernel', hue: 10, spread: 6, sat: 80 },
  [ExecContext.Hypervisor]: { label: 'hypervisor', hue: 288, spread: 8, sat: 55 },
  [ExecContext.GuestKernel]: { label: 'guest kernel', hue: 212, spread: 7, sat: 70 },
  [ExecContext.GuestUser]: { label: 'guest user', hue: 152, spread: 8, sat: 52 },
  [ExecContext.Unknown]: { label: 'unknown', hue: 220, spread: 0, sat: 6 },
};

/** FNV-1a: stable across runs, so a function keeps its colour. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Light enough for dark text in both themes; a notch darker on a dark
 * background so frames do not glare.
 */
export function frameColor(context: number, name: string, dark: boolean): string {
  const f = FAMILIES[(context in FAMILIES ? context : ExecContext.Unknown) as ExecContext];
  const h = hashName(name);
  const hue = f.hue + ((h & 0xff) / 255 - 0.5) * 2 * f.spread;
  const light = (dark ? 56 : 64) + (((h >>> 8) & 0xff) / 255) * 12;
  const sat = f.sat - (((h >>> 16) & 0xff) / 255) * 12;
  return `hsl(${hue.toFixed(1)} ${Math.max(0, sat).toFixed(1)}% ${light.toFixed(1)}%)`;
}

/** The colour a legend swatch shows for a context (the family's middle). */
export function legendColor(context: number, dark: boolean): string {
  const f = FAMILIES[context as ExecContext];
  return `hsl(${f.hue} ${f.sat - 6}% ${dark ? 62 : 70}%)`;
}

export const LEGEND: { context: ExecContext; name: ExecContextName; label: string }[] = EXEC_CONTEXT_NAMES.map(
  (name, context) => ({ context: context as ExecContext, name, label: FAMILIES[context as ExecContext].label }),
);

export function contextLabel(context: number): string {
  return FAMILIES[context as ExecContext]?.label ?? 'unknown';
}
