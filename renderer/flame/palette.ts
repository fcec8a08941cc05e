/**
 * Frame colours: one hue family per execution context, varied per function
 * name (a stable hash) so neighbouring frames stay distinguishable. Warm
 * hues are the host, cool hues the guest, violet the hypervisor between
 * them, grey the unknown: the split the tool exists to show reads at a glance.
 *
 * The colour-blind-safe palette gives each context one colour of Okabe and
 * Ito's set (distinct under the common colour-vision deficiencies) and varies
 * only its lightness per function, since a hue shift is what those readers
 * lose first.
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

export const PALETTES = ['context', 'colorblind'] as const;
export type PaletteName = (typeof PALETTES)[number];

/** Okabe–Ito colours (RGB) per context. */
const OKABE_ITO: Record<ExecContext, [number, number, number]> = {
  [ExecContext.HostUser]: [230, 159, 0], // orange
  [ExecContext.HostKernel]: [213, 94, 0], // vermillion
  [ExecContext.Hypervisor]: [204, 121, 167], // reddish purple
  [ExecContext.GuestKernel]: [0, 114, 178], // blue
  [ExecContext.GuestUser]: [0, 158, 115], // bluish green
  [ExecContext.Unknown]: [153, 153, 153],
};

/** An Okabe–Ito colour mixed with white by `t` (0..1), so dark text stays readable. */
function tint(context: number, t: number): string {
  const rgb = OKABE_ITO[(context in OKABE_ITO ? context : ExecContext.Unknown) as ExecContext];
  const [r, g, b] = rgb.map((c) => Math.round(c + (255 - c) * t));
  return `rgb(${r} ${g} ${b})`;
}

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
 * background so frames do not glare. Shades are quantised (64 per context,
 * 8 in the colour-blind palette): the painter fills all frames of one
 * colour as one path, so fewer colours draw faster, and neighbours still differ.
 */
export function frameColor(context: number, name: string, dark: boolean, palette: PaletteName = 'context'): string {
  const h = hashName(name);
  if (palette === 'colorblind') return tint(context, (dark ? 0.12 : 0.3) + ((h & 7) / 7) * 0.18);
  const f = FAMILIES[(context in FAMILIES ? context : ExecContext.Unknown) as ExecContext];
  const hue = f.hue + ((h & 7) / 7 - 0.5) * 2 * f.spread;
  const light = (dark ? 56 : 64) + (((h >>> 3) & 3) / 3) * 12;
  const sat = f.sat - ((h >>> 5) & 1) * 12;
  return `hsl(${hue.toFixed(1)} ${Math.max(0, sat).toFixed(1)}% ${light.toFixed(1)}%)`;
}

/** The colour a legend swatch shows for a context (the family's middle). */
export function legendColor(context: number, dark: boolean, palette: PaletteName = 'context'): string {
  if (palette === 'colorblind') return tint(context, dark ? 0.2 : 0.38);
  const f = FAMILIES[context as ExecContext];
  return `hsl(${f.hue} ${f.sat - 6}% ${dark ? 62 : 70}%)`;
}

export const LEGEND: { context: ExecContext; name: ExecContextName; label: string }[] = EXEC_CONTEXT_NAMES.map(
  (name, context) => ({ context: context as ExecContext, name, label: FAMILIES[context as ExecContext].label }),
);

export function contextLabel(context: number): string {
  return FAMILIES[context as ExecContext]?.label ?? 'unknown';
}

/**
 * The differential's colour: red where `after` grew, blue where it shrank
 * (flamegraph.pl's difference colours), saturating at `change` = ±1 (the
 * node's delta over the larger of its two weights); near-white for no change.
 */
export function diffColor(change: number, dark: boolean): string {
  // Sixteen steps each way: few colours, so the painter's batches stay few.
  const c = Math.round(Math.max(-1, Math.min(1, change)) * 16) / 16;
  const base = dark ? 62 : 92;
  const light = base - Math.abs(c) * (dark ? 22 : 32);
  const sat = Math.round(15 + Math.abs(c) * 70);
  return c >= 0 ? `hsl(0 ${sat}% ${light.toFixed(1)}%)` : `hsl(220 ${sat}% ${light.toFixed(1)}%)`;
}
