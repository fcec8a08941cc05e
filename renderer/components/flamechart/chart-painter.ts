/**
 * Maps a flame chart lane (x × depth space) to canvas pixels, draws it and
 * hit-tests it. One affine map: x = (t - view.start) * scale; depth d sits
 * d rows below the time ruler (outermost frames on top, as in the Firefox
 * Profiler's stack chart), shifted up by the vertical scroll.
 *
 * Boxes narrower than MIN_BOX_PX are skipped, so a paint costs what is
 * visible, not what the lane holds: each row is entered by binary search at
 * the view's start and left at its end.
 */
import { nodeName, type CallTree } from '../../../profile/call-tree';
import { firstBoxEndingAfter, boxAt, type FlameChart, type FlameChartLane } from '../../../profile/flame-chart';
import { frameColor } from '../../flame/palette';
import type { ChartWindow } from '../../stores/flame-chart';
import type { SelectedFunction } from '../../stores/selection';

export const ROW_HEIGHT = 18;
export const RULER_HEIGHT = 20;
export const MIN_BOX_PX = 0.5;
const MIN_LABEL_PX = 22;
const LABEL_PAD = 4;
const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';

export interface ChartGeometry {
  /** CSS pixels. */
  width: number;
  height: number;
  /** Pixels the rows are scrolled up (>= 0). */
  scrollY: number;
}

export interface ChartStyle {
  dark: boolean;
  background: string;
  text: string;
  muted: string;
  highlight: string;
}

/** A box of a lane: its row (depth) and index in the row. */
export interface BoxRef {
  depth: number;
  box: number;
}

export function maxScrollY(lane: FlameChartLane | null, height: number): number {
  return lane ? Math.max(0, RULER_HEIGHT + lane.rows.length * ROW_HEIGHT - height) : 0;
}

/** The box drawn at pixel (px, py), or null. */
export function hitTest(lane: FlameChartLane, view: ChartWindow, geom: ChartGeometry, px: number, py: number): BoxRef | null {
  if (px < 0 || px >= geom.width || py < RULER_HEIGHT) return null;
  const depth = Math.floor((py - RULER_HEIGHT + geom.scrollY) / ROW_HEIGHT);
  const row = lane.rows[depth];
  const scale = geom.width / (view.end - view.start);
  const box = boxAt(row, view.start + px / scale);
  if (box < 0 || (row.end[box] - row.start[box]) * scale < MIN_BOX_PX) return null;
  return { depth, box };
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

  /** Draws the lane in `view`; returns how many boxes were drawn. */
  paint(
    ctx: CanvasRenderingContext2D,
    chart: FlameChart | null,
    lane: FlameChartLane | null,
    view: ChartWindow,
    geom: ChartGeometry,
    style: ChartStyle,
    hover: BoxRef | null,
    selected: SelectedFunction | null,
  ): number {
    ctx.fillStyle = style.background;
    ctx.fillRect(0, 0, geom.width, geom.height);
    if (!chart || !lane || !(view.end > view.start)) return 0;
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
    const firstDepth = Math.max(0, Math.floor(geom.scrollY / ROW_HEIGHT));
    for (let d = firstDepth; d < lane.rows.length; d++) {
      const y = RULER_HEIGHT + d * ROW_HEIGHT - geom.scrollY;
      if (y >= geom.height) break;
      const row = lane.rows[d];
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
        if (isSelected || (hover && hover.depth === d && hover.box === k)) outlines.push([x0, x1, y]);
        if (x1 - x0 >= MIN_LABEL_PX) {
          const label = this.fit(ctx, nodeName(tree, node), x1 - x0 - 2 * LABEL_PAD);
          if (label) {
            ctx.fillStyle = style.text;
            ctx.fillText(label, x0 + LABEL_PAD, y + ROW_HEIGHT / 2);
          }
        }
      }
    }
    ctx.strokeStyle = style.highlight;
    ctx.lineWidth = 1.5;
    for (const [x0, x1, y] of outlines) ctx.strokeRect(x0 + 0.75, y + 0.75, Math.max(0, x1 - x0 - 2.5), ROW_HEIGHT - 2.5);
    this.paintRuler(ctx, chart, view, geom, style, scale);
    return drawn;
  }

  private paintRuler(ctx: CanvasRenderingContext2D, chart: FlameChart, view: ChartWindow, geom: ChartGeometry, style: ChartStyle, scale: number): void {
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
