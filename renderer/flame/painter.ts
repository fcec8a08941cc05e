/**
 * Maps a flame layout (weight × depth space) to canvas pixels, draws it and
 * hit-tests it. One affine map: x = (weight - view.start) * scale; row d
 * sits d rows above the bottom (flame: root at the bottom, as in
 * flamegraph.pl) or d rows below the top (icicle), shifted by the scroll.
 *
 * Rows nearer the root than the zoomed node hold only its ancestors (they
 * span the view) and are drawn dimmed; frames narrower than MIN_FRAME_PX
 * are skipped, and each row is walked only over its visible range (binary
 * search), so a frame's cost follows what is on screen, not the profile.
 */
import { firstVisible, nodeAt, type FlameLayout, type FlameView } from '../../profile/flame-layout';
import { nodeName, type CallTree } from '../../profile/call-tree';
import type { FrameColors, Orientation } from './model';

export const ROW_HEIGHT = 18;
export const MIN_FRAME_PX = 0.5;
/** Labels need room for a couple of characters and the ellipsis. */
const MIN_LABEL_PX = 22;
const LABEL_PAD = 4;
const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
/** Frames that do not match the search fade to this. */
const UNMATCHED_ALPHA = 0.22;
/** Batch alpha by index: unmatched, ancestors of the zoomed node (below its row), the rest. */
const ALPHAS = [UNMATCHED_ALPHA, 0.55, 1];

export interface FlameGeometry {
  /** CSS pixels. */
  width: number;
  height: number;
  /** Pixels the graph is scrolled away from its root-anchored position (>= 0). */
  scrollY: number;
  orientation: Orientation;
}

export interface PaintStyle {
  dark: boolean;
  background: string;
  text: string;
  highlight: string;
}

export interface PaintState {
  selected: number;
  match: Uint8Array | null;
  colors: FrameColors;
}

export interface PaintResult {
  drawn: number;
  /** Frames drawn at full strength because they match the search (0 without a search). */
  matched: number;
}

export function rowTop(depth: number, geom: FlameGeometry): number {
  return geom.orientation === 'icicle'
    ? depth * ROW_HEIGHT - geom.scrollY
    : geom.height - (depth + 1) * ROW_HEIGHT + geom.scrollY;
}

/** The row under pixel row `py`. */
export function depthAt(py: number, geom: FlameGeometry): number {
  return geom.orientation === 'icicle'
    ? Math.floor((py + geom.scrollY) / ROW_HEIGHT)
    : Math.floor((geom.height + geom.scrollY - py) / ROW_HEIGHT);
}

export function maxScrollY(layout: FlameLayout | null, height: number): number {
  return layout ? Math.max(0, layout.rows.length * ROW_HEIGHT - height) : 0;
}

/** The node drawn at pixel (px, py), or -1. */
export function hitTest(layout: FlameLayout, view: FlameView, geom: FlameGeometry, px: number, py: number): number {
  if (px < 0 || px >= geom.width || py < 0 || py >= geom.height || view.end <= view.start) return -1;
  const depth = depthAt(py, geom);
  if (depth < 0) return -1;
  const x = view.start + (px / geom.width) * (view.end - view.start);
  const node = nodeAt(layout, depth, x);
  if (node < 0) return -1;
  // Frames too narrow to be drawn are not hoverable either.
  const w = (layout.tree.total[node] / (view.end - view.start)) * geom.width;
  return w >= MIN_FRAME_PX ? node : -1;
}

/**
 * Where `node` is drawn (CSS pixels), clipped to the canvas; null when it is
 * not drawn. The hover outline is a DOM box placed here, so moving the
 * pointer never repaints the canvas.
 */
export function frameRect(
  layout: FlameLayout,
  view: FlameView,
  geom: FlameGeometry,
  node: number,
): { x0: number; x1: number; y: number } | null {
  const start = layout.nodeStart[node];
  if (!(node >= 0 && node < layout.tree.length) || Number.isNaN(start) || !(view.end > view.start)) return null;
  const scale = geom.width / (view.end - view.start);
  const x0 = Math.max(0, (start - view.start) * scale);
  const x1 = Math.min(geom.width, (start + layout.tree.total[node] - view.start) * scale);
  if (x1 - x0 < MIN_FRAME_PX) return null;
  return { x0, x1, y: rowTop(layout.tree.depth[node], geom) };
}

export class FlamePainter {
  private colorTree: CallTree | null = null;
  private colorDark = false;
  private colorFn: FrameColors | null = null;
  private colors: (string | undefined)[] = [];
  private readonly batches = new Map<string, number[]>();
  private readonly textWidths = new Map<string, number>();
  private ellipsisWidth = 0;

  /** Draws the view. */
  paint(
    ctx: CanvasRenderingContext2D,
    layout: FlameLayout | null,
    view: FlameView | null,
    geom: FlameGeometry,
    style: PaintStyle,
    state: PaintState,
  ): PaintResult {
    ctx.fillStyle = style.background;
    ctx.fillRect(0, 0, geom.width, geom.height);
    const result: PaintResult = { drawn: 0, matched: 0 };
    if (!layout || !view || !(view.end > view.start)) return result;

    const tree = layout.tree;
    if (this.colorTree !== tree || this.colorDark !== style.dark || this.colorFn !== state.colors) {
      this.colorTree = tree;
      this.colorDark = style.dark;
      this.colorFn = state.colors;
      this.colors = new Array(tree.length);
    }
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    if (this.ellipsisWidth === 0) this.ellipsisWidth = ctx.measureText('…').width;

    const { match } = state;
    const scale = geom.width / (view.end - view.start);
    const icicle = geom.orientation === 'icicle';
    const marks: [x0: number, x1: number, y: number][] = [];
    // Rectangles are batched per (alpha, colour) and each batch filled as
    // one path: a few dozen fills instead of one per frame. Labels follow.
    const batches = this.batches;
    batches.clear();
    const labels: (string | number)[] = [];
    for (let d = 0; d < layout.rows.length; d++) {
      const y = rowTop(d, geom);
      // Rows move away from the root's edge as d grows: past the far edge, stop.
      if (icicle ? y >= geom.height : y + ROW_HEIGHT <= 0) break;
      if (icicle ? y + ROW_HEIGHT <= 0 : y >= geom.height) continue;
      const row = layout.rows[d];
      const rowAlpha = d < view.depth ? 1 : 2;
      for (let i = firstVisible(row, view.start); i < row.length && row.start[i] < view.end; i++) {
        const w = row.width[i] * scale;
        if (w < MIN_FRAME_PX) continue;
        let x0 = (row.start[i] - view.start) * scale;
        let x1 = x0 + w;
        if (x0 < 0) x0 = 0;
        if (x1 > geom.width) x1 = geom.width;
        const node = row.node[i];
        const matched = match === null || match[node] === 1;
        const key = `${matched ? rowAlpha : 0}${this.color(tree, node)}`;
        let batch = batches.get(key);
        if (!batch) batches.set(key, (batch = []));
        // A 1 px gap separates neighbours once they are wide enough to show it.
        batch.push(x0, y, x1 - x0 > 3 ? x1 - x0 - 1 : x1 - x0);
        result.drawn++;
        if (match !== null && matched) result.matched++;
        if (node === state.selected) marks.push([x0, x1, y]);
        if (x1 - x0 >= MIN_LABEL_PX) {
          const label = this.fit(ctx, nodeName(tree, node), x1 - x0 - 2 * LABEL_PAD);
          if (label) labels.push(label, x0 + LABEL_PAD, y + ROW_HEIGHT / 2, matched ? 1 : 0);
        }
      }
    }
    for (const [key, rects] of batches) {
      ctx.globalAlpha = ALPHAS[Number(key[0])];
      ctx.fillStyle = key.slice(1);
      ctx.beginPath();
      for (let k = 0; k < rects.length; k += 3) ctx.rect(rects[k], rects[k + 1], rects[k + 2], ROW_HEIGHT - 1);
      ctx.fill();
    }
    ctx.fillStyle = style.text;
    for (let k = 0; k < labels.length; k += 4) {
      ctx.globalAlpha = labels[k + 3] === 1 ? 1 : UNMATCHED_ALPHA;
      ctx.fillText(labels[k] as string, labels[k + 1] as number, labels[k + 2] as number);
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = style.highlight;
    for (const [x0, x1, y] of marks) {
      ctx.lineWidth = 2.5;
      const inset = ctx.lineWidth / 2;
      ctx.strokeRect(x0 + inset, y + inset, Math.max(0, x1 - x0 - 1 - 2 * inset), ROW_HEIGHT - 1 - 2 * inset);
    }
    return result;
  }

  private color(tree: CallTree, node: number): string {
    let c = this.colors[node];
    if (c === undefined) {
      c = this.colorFn!(tree, node, this.colorDark);
      this.colors[node] = c;
    }
    return c;
  }

  private measure(ctx: CanvasRenderingContext2D, text: string): number {
    let w = this.textWidths.get(text);
    if (w === undefined) {
      // Bounded: a profile has a bounded set of names, but many profiles may be opened.
      if (this.textWidths.size > 50_000) this.textWidths.clear();
      w = ctx.measureText(text).width;
      this.textWidths.set(text, w);
    }
    return w;
  }

  /** The name, or its longest prefix plus "…" that fits in `room` pixels; '' if none does. */
  private fit(ctx: CanvasRenderingContext2D, name: string, room: number): string {
    const full = this.measure(ctx, name);
    if (full <= room) return name;
    if (room < this.ellipsisWidth * 2 || name.length < 2) return '';
    let n = Math.min(name.length - 1, Math.floor(((room - this.ellipsisWidth) / full) * name.length));
    while (n > 0 && ctx.measureText(name.slice(0, n)).width + this.ellipsisWidth > room) n--;
    return n > 0 ? name.slice(0, n) + '…' : '';
  }
}
