/**
 * Maps a flame layout (weight × depth space) to canvas pixels, draws it and
 * hit-tests it. One affine map: x = (weight - view.start) * scale, and row d
 * sits d rows above the bottom (root at the bottom, as in flamegraph.pl),
 * shifted by the vertical scroll.
 *
 * Rows below the zoomed node hold only its ancestors (they span the view)
 * and are drawn dimmed; frames narrower than MIN_FRAME_PX are skipped.
 */
import { firstVisible, nodeAt, type FlameLayout, type FlameView } from '../../profile/flame-layout';
import { nodeName, type CallTree } from '../../profile/call-tree';
import { frameColor } from './palette';

export const ROW_HEIGHT = 18;
export const MIN_FRAME_PX = 0.5;
/** Labels need room for a couple of characters and the ellipsis. */
const MIN_LABEL_PX = 22;
const LABEL_PAD = 4;
const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';

export interface FlameGeometry {
  /** CSS pixels. */
  width: number;
  height: number;
  /** Pixels the graph is scrolled up from its bottom-anchored position (>= 0). */
  scrollY: number;
}

export interface PaintStyle {
  dark: boolean;
  background: string;
  text: string;
  highlight: string;
}

export function rowTop(depth: number, geom: FlameGeometry): number {
  return geom.height - (depth + 1) * ROW_HEIGHT + geom.scrollY;
}

export function maxScrollY(layout: FlameLayout | null, height: number): number {
  return layout ? Math.max(0, layout.rows.length * ROW_HEIGHT - height) : 0;
}

/** The node drawn at pixel (px, py), or -1. */
export function hitTest(layout: FlameLayout, view: FlameView, geom: FlameGeometry, px: number, py: number): number {
  if (px < 0 || px >= geom.width || view.end <= view.start) return -1;
  const depth = Math.floor((geom.height + geom.scrollY - py) / ROW_HEIGHT);
  if (depth < 0) return -1;
  const x = view.start + (px / geom.width) * (view.end - view.start);
  const node = nodeAt(layout, depth, x);
  if (node < 0) return -1;
  // Frames too narrow to be drawn are not hoverable either.
  const w = (layout.tree.total[node] / (view.end - view.start)) * geom.width;
  return w >= MIN_FRAME_PX ? node : -1;
}

export class FlamePainter {
  private colorTree: CallTree | null = null;
  private colorDark = false;
  private colors: (string | undefined)[] = [];
  private readonly textWidths = new Map<string, number>();
  private ellipsisWidth = 0;

  /** Draws the view; returns how many frame rectangles were drawn. */
  paint(
    ctx: CanvasRenderingContext2D,
    layout: FlameLayout | null,
    view: FlameView | null,
    geom: FlameGeometry,
    style: PaintStyle,
    hover: number,
  ): number {
    ctx.fillStyle = style.background;
    ctx.fillRect(0, 0, geom.width, geom.height);
    if (!layout || !view || !(view.end > view.start)) return 0;

    const tree = layout.tree;
    if (this.colorTree !== tree || this.colorDark !== style.dark) {
      this.colorTree = tree;
      this.colorDark = style.dark;
      this.colors = new Array(tree.length);
    }
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    if (this.ellipsisWidth === 0) this.ellipsisWidth = ctx.measureText('…').width;

    const scale = geom.width / (view.end - view.start);
    let drawn = 0;
    let hoverRect: [number, number, number] | null = null;
    for (let d = 0; d < layout.rows.length; d++) {
      const y = rowTop(d, geom);
      if (y >= geom.height) continue;
      if (y + ROW_HEIGHT <= 0) break; // rows only go up from here
      const row = layout.rows[d];
      const dim = d < view.depth;
      ctx.globalAlpha = dim ? 0.55 : 1;
      for (let i = firstVisible(row, view.start); i < row.length && row.start[i] < view.end; i++) {
        const w = row.width[i] * scale;
        if (w < MIN_FRAME_PX) continue;
        let x0 = (row.start[i] - view.start) * scale;
        let x1 = x0 + w;
        if (x0 < 0) x0 = 0;
        if (x1 > geom.width) x1 = geom.width;
        const node = row.node[i];
        ctx.fillStyle = this.color(tree, node);
        // A 1 px gap separates neighbours once they are wide enough to show it.
        ctx.fillRect(x0, y, x1 - x0 > 3 ? x1 - x0 - 1 : x1 - x0, ROW_HEIGHT - 1);
        drawn++;
        if (node === hover) hoverRect = [x0, x1, y];
        if (x1 - x0 >= MIN_LABEL_PX) {
          const label = this.fit(ctx, nodeName(tree, node), x1 - x0 - 2 * LABEL_PAD);
          if (label) {
            ctx.fillStyle = style.text;
            ctx.fillText(label, x0 + LABEL_PAD, y + ROW_HEIGHT / 2);
          }
        }
      }
    }
    ctx.globalAlpha = 1;
    if (hoverRect) {
      const [x0, x1, y] = hoverRect;
      ctx.strokeStyle = style.highlight;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0 + 0.75, y + 0.75, Math.max(0, x1 - x0 - 2.5), ROW_HEIGHT - 2.5);
    }
    return drawn;
  }

  private color(tree: CallTree, node: number): string {
    let c = this.colors[node];
    if (c === undefined) {
      c = node === 0 ? (this.colorDark ? 'hsl(220 8% 46%)' : 'hsl(220 8% 78%)') : frameColor(tree.context[node], nodeName(tree, node), this.colorDark);
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
