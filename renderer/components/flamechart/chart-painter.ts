/**
 * Maps the stacked lanes of a flame chart (x × depth space per lane) to
 * canvas pixels, draws them and hit-tests them. One affine map for x:
 * x = (t - view.start) * scale, shared by every lane; y follows the lane
 * layout (lane-layout.ts) below the time ruler, shifted up by the vertical
 * scroll. Within a lane depth d sits d rows below its header (outermost
 * frames on top, as in the Firefox Profiler's stack chart).
 *
 * Only lanes in sight are drawn, and boxes narrower than MIN_BOX_PX are
 * skipped, so a paint costs what is visible, not what the chart holds: each
 * row is entered by binary search at the view's start and left at its end.
 * A collapsed lane's strip is one binary search per pixel column.
 */
import { nodeName, type CallTree } from '../../../profile/call-tree';
import { firstBoxEndingAfter, boxAt, type ActivityRuns, type FlameChart, type FlameChartLane } from '../../../profile/flame-chart';
import { frameColor, legendColor } from '../../flame/palette';
import { formatCount } from '../../format';
import type { CanvasTheme } from '../canvas-host';
import type { ChartWindow } from '../../stores/flame-chart';
import type { SelectedFunction } from '../../stores/selection';
import { HEADER_HEIGHT, LANE_GAP, ROW_HEIGHT, STRIP_HEIGHT, bandAt, type LaneBand, type LaneLayout } from './lane-layout';

export { ROW_HEIGHT };
export const RULER_HEIGHT = 20;
export const MIN_BOX_PX = 0.5;
const MIN_LABEL_PX = 22;
const LABEL_PAD = 4;
/** Runs of a strip weighed per pixel column: enough to find the dominant context, bounded per column. */
const STRIP_RUNS_PER_PX = 8;
const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';

export interface ChartGeometry {
  /** CSS pixels. */
  width: number;
  height: number;
  /** Pixels the lanes are scrolled up (>= 0). */
  scrollY: number;
}

/** A box: its lane (index in the layout), row (depth) and index in the row. */
export interface BoxRef {
  lane: number;
  depth: number;
  box: number;
}

export type ChartHit = ({ kind: 'box' } & BoxRef) | { kind: 'header'; lane: number };

export function maxScrollY(layout: LaneLayout | null, height: number): number {
  return layout ? Math.max(0, layout.height - (height - RULER_HEIGHT)) : 0;
}

/** Canvas y of a lane's first row (or strip), for the current scroll. */
export function bodyY(band: LaneBand, scrollY: number): number {
  return RULER_HEIGHT + band.bodyTop - scrollY;
}

/**
 * Canvas y of a lane's header: it sticks under the ruler while the lane's
 * body is still in sight, so a tall lane scrolled half away keeps its name.
 */
export function headerY(band: LaneBand, scrollY: number): number {
  const natural = RULER_HEIGHT + band.top - scrollY;
  const last = RULER_HEIGHT + band.bottom - LANE_GAP - HEADER_HEIGHT - scrollY;
  return Math.min(Math.max(natural, RULER_HEIGHT), last);
}

/** The header or box drawn at pixel (px, py), or null. */
export function hitTest(layout: LaneLayout, view: ChartWindow, geom: ChartGeometry, px: number, py: number): ChartHit | null {
  if (px < 0 || px >= geom.width || py < RULER_HEIGHT) return null;
  const lane = bandAt(layout, py - RULER_HEIGHT + geom.scrollY);
  if (lane < 0) return null;
  const band = layout.bands[lane];
  const hy = headerY(band, geom.scrollY);
  if (py >= hy && py < hy + HEADER_HEIGHT) return { kind: 'header', lane };
  if (!band.expanded) return null;
  const depth = Math.floor((py - bodyY(band, geom.scrollY)) / ROW_HEIGHT);
  const row = band.lane.rows[depth];
  const scale = geom.width / (view.end - view.start);
  const box = boxAt(row, view.start + px / scale);
  if (box < 0 || (row.end[box] - row.start[box]) * scale < MIN_BOX_PX) return null;
  return { kind: 'box', lane, depth, box };
}

/** The header's text: name, machines, samples. */
export function laneTitle(lane: FlameChartLane): string {
  return `${lane.label} · ${lane.machines.join(', ') || '?'} · ${formatCount(lane.sampleCount)} samples`;
}

/** Tick spacing of 1, 2 or 5 × 10^k units giving about `target` ticks. */
function tickStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * pow;
}

/** A ruler label: time since the chart's start, or a weight offset. */
export function formatOffset(value: number, step: number, axis: FlameChart['axis']): string {
  if (axis === 'weight') return Math.round(value).toLocaleString('en-US');
  const units: [number, string][] = [
    [1e9, 's'],
    [1e6, 'ms'],
    [1e3, 'µs'],
    [1, 'ns'],
  ];
  const [div, unit] = units.find(([d]) => step >= d) ?? units[3];
  const decimals = Math.max(0, Math.min(3, Math.ceil(-Math.log10(step / div) + 1e-9)));
  return `${(value / div).toFixed(decimals)} ${unit}`;
}

export class ChartPainter {
  private colorTree: CallTree | null = null;
  private colorDark = false;
  private colors: (string | undefined)[] = [];
  private selTree: CallTree | null = null;
  private selKey = '';
  private selName = -1;
  private readonly textWidths = new Map<string, number>();

  /** Draws the lanes of `layout` in sight; returns how many boxes were drawn. */
  paint(
    ctx: CanvasRenderingContext2D,
    chart: FlameChart | null,
    layout: LaneLayout | null,
    view: ChartWindow,
    geom: ChartGeometry,
    style: CanvasTheme,
    hover: BoxRef | null,
    selected: SelectedFunction | null,
  ): number {
    ctx.fillStyle = style.background;
    ctx.fillRect(0, 0, geom.width, geom.height);
    if (!chart || !layout || !(view.end > view.start)) return 0;
    const tree = chart.tree;
    if (this.colorTree !== tree || this.colorDark !== style.dark) {
      this.colorTree = tree;
      this.colorDark = style.dark;
      this.colors = new Array(tree.length);
    }
    const selName = this.selectedName(tree, selected);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    const scale = geom.width / (view.end - view.start);
    let drawn = 0;
    const outlines: [number, number, number][] = [];
    for (let i = Math.max(0, bandAt(layout, geom.scrollY)); i < layout.bands.length; i++) {
      const band = layout.bands[i];
      const top = RULER_HEIGHT + band.top - geom.scrollY;
      if (top >= geom.height) break;
      const y0 = bodyY(band, geom.scrollY);
      if (!band.expanded) {
        this.paintStrip(ctx, band.lane.activity, view, y0, geom.width, style.dark);
      } else {
        const rows = band.lane.rows;
        for (let d = Math.max(0, Math.floor((RULER_HEIGHT - y0) / ROW_HEIGHT)); d < rows.length; d++) {
          const y = y0 + d * ROW_HEIGHT;
          if (y >= geom.height) break;
          const row = rows[d];
          for (let k = firstBoxEndingAfter(row, view.start); k < row.length && row.start[k] < view.end; k++) {
            const w = (row.end[k] - row.start[k]) * scale;
            if (w < MIN_BOX_PX) continue;
            const x0 = Math.max(0, (row.start[k] - view.start) * scale);
            const x1 = Math.min(geom.width, (row.end[k] - view.start) * scale);
            const node = row.node[k];
            ctx.fillStyle = this.color(tree, node);
            ctx.fillRect(x0, y, x1 - x0 > 3 ? x1 - x0 - 1 : x1 - x0, ROW_HEIGHT - 1);
            drawn++;
            const isSelected = selName >= 0 && tree.name[node] === selName && tree.context[node] === selected!.context;
            if (isSelected || (hover && hover.lane === i && hover.depth === d && hover.box === k)) outlines.push([x0, x1, y]);
            if (x1 - x0 >= MIN_LABEL_PX) {
              const label = this.fit(ctx, nodeName(tree, node), x1 - x0 - 2 * LABEL_PAD);
              if (label) {
                ctx.fillStyle = style.text;
                ctx.fillText(label, x0 + LABEL_PAD, y + ROW_HEIGHT / 2);
              }
            }
          }
        }
      }
      this.paintHeader(ctx, band, headerY(band, geom.scrollY), geom.width, style);
    }
    ctx.strokeStyle = style.highlight;
    ctx.lineWidth = 1.5;
    for (const [x0, x1, y] of outlines) ctx.strokeRect(x0 + 0.75, y + 0.75, Math.max(0, x1 - x0 - 2.5), ROW_HEIGHT - 2.5);
    this.paintRuler(ctx, chart, view, geom, style, scale);
    return drawn;
  }

  private paintHeader(ctx: CanvasRenderingContext2D, band: LaneBand, y: number, width: number, style: CanvasTheme): void {
    ctx.fillStyle = style.header;
    ctx.fillRect(0, y, width, HEADER_HEIGHT);
    ctx.fillStyle = style.border;
    ctx.fillRect(0, y, width, 1);
    ctx.fillStyle = style.text;
    const title = this.fit(ctx, `${band.expanded ? '▾' : '▸'} ${laneTitle(band.lane)}`, width - 2 * LABEL_PAD);
    ctx.fillText(title, LABEL_PAD, y + HEADER_HEIGHT / 2 + 1);
  }

  /**
   * A collapsed lane: per pixel column, the execution context of the leaf that
   * ran longest in it (empty where the lane paused); equal neighbours are one rectangle.
   */
  private paintStrip(ctx: CanvasRenderingContext2D, runs: ActivityRuns, view: ChartWindow, y: number, width: number, dark: boolean): void {
    const perPx = (view.end - view.start) / width;
    let from = 0;
    let current = -1;
    for (let px = 0; px <= width; px++) {
      let best = -1;
      if (px < width) {
        const t0 = view.start + px * perPx;
        const t1 = t0 + perPx;
        let longest = 0;
        const first = firstBoxEndingAfter(runs, t0);
        for (let k = first; k < runs.length && k < first + STRIP_RUNS_PER_PX && runs.start[k] < t1; k++) {
          const overlap = Math.min(t1, runs.end[k]) - Math.max(t0, runs.start[k]);
          if (overlap > longest) {
            longest = overlap;
            best = runs.context[k];
          }
        }
      }
      if (best === current) continue;
      if (current >= 0) {
        ctx.fillStyle = legendColor(current, dark);
        ctx.fillRect(from, y, px - from, STRIP_HEIGHT);
      }
      from = px;
      current = best;
    }
  }

  private paintRuler(ctx: CanvasRenderingContext2D, chart: FlameChart, view: ChartWindow, geom: ChartGeometry, style: CanvasTheme, scale: number): void {
    ctx.fillStyle = style.background;
    ctx.fillRect(0, 0, geom.width, RULER_HEIGHT);
    ctx.fillStyle = style.muted;
    ctx.fillRect(0, RULER_HEIGHT - 1, geom.width, 1);
    const step = tickStep(view.end - view.start, geom.width / 110);
    const from = Math.ceil((view.start - chart.start) / step) * step;
    for (let v = from; chart.start + v < view.end; v += step) {
      const x = Math.round((chart.start + v - view.start) * scale) + 0.5;
      ctx.fillRect(x, RULER_HEIGHT - 6, 1, 5);
      ctx.fillText(formatOffset(v, step, chart.axis), x + 3, RULER_HEIGHT / 2 - 1);
    }
  }

  private selectedName(tree: CallTree, selected: SelectedFunction | null): number {
    const key = selected ? selected.name : '';
    if (this.selTree !== tree || this.selKey !== key) {
      this.selTree = tree;
      this.selKey = key;
      this.selName = selected ? tree.strings.indexOf(selected.name) : -1;
    }
    return this.selName;
  }

  private color(tree: CallTree, node: number): string {
    let c = this.colors[node];
    if (c === undefined) this.colors[node] = c = frameColor(tree.context[node], nodeName(tree, node), this.colorDark);
    return c;
  }

  private measure(ctx: CanvasRenderingContext2D, text: string): number {
    let w = this.textWidths.get(text);
    if (w === undefined) {
      if (this.textWidths.size > 50_000) this.textWidths.clear();
      this.textWidths.set(text, (w = ctx.measureText(text).width));
    }
    return w;
  }

  /** The name, or its longest prefix plus "…" that fits in `room` pixels; '' if none does. */
  private fit(ctx: CanvasRenderingContext2D, name: string, room: number): string {
    const full = this.measure(ctx, name);
    if (full <= room) return name;
    const ellipsis = this.measure(ctx, '…');
    if (room < ellipsis * 2 || name.length < 2) return '';
    let n = Math.min(name.length - 1, Math.floor(((room - ellipsis) / full) * name.length));
    while (n > 0 && ctx.measureText(name.slice(0, n)).width + ellipsis > room) n--;
    return n > 0 ? name.slice(0, n) + '…' : '';
  }
}
