/**
 * A chart.js plugin, one per chart, that draws what is not a dataset:
 * shaded guest-run and migration intervals behind the lines, ERROR,
 * throttle and lost markers over them, SPE blackouts as a thin band along
 * the top, the running-share band along the bottom, and the selected time
 * range (and the one being dragged). The hover crosshair is a DOM element,
 * so a pointer move never repaints the chart.
 */
import type { Chart, Plugin } from 'chart.js';
import { MarkerKind } from '../../profile/model';
import type { Interval } from './timeline-model';

export interface Overlay {
  shaded: Interval[];
  flagged: Interval[];
  /** SPE blackouts: when a guest's SPE unit wrote nothing. */
  spe: Interval[];
  /** Lowest running share per pixel column (NaN: no reading), or null. */
  band: Float64Array | null;
  selection: { start: number; end: number } | null;
  /** Intervals actually drawn by the last paint (tests read it). */
  drawnShaded: number;
}

const FILL: Partial<Record<MarkerKind, string>> = {
  [MarkerKind.GuestRun]: 'rgb(232 113 10 / 14%)',
  [MarkerKind.Migration]: 'rgb(142 68 173 / 28%)',
};
const FLAG: Partial<Record<MarkerKind, string>> = {
  [MarkerKind.EventError]: '#d93025',
  [MarkerKind.Throttle]: '#c58a00',
  [MarkerKind.Lost]: '#7b1fa2',
};
const BAND_PX = 5;
const SPE_PX = 4;
const SPE_COLOR = '#00897b';

export function overlayPlugin(overlay: Overlay): Plugin<'line'> {
  const xOf = (chart: Chart, t: number) => chart.scales.x.getPixelForValue(t);
  return {
    id: 'timelineOverlay',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea: a } = chart;
      ctx.save();
      let drawn = 0;
      for (const s of overlay.shaded) {
        const x0 = Math.max(a.left, xOf(chart, s.start));
        const x1 = Math.min(a.right, xOf(chart, s.end));
        if (x1 < a.left || x0 > a.right) continue;
        ctx.fillStyle = FILL[s.kind] ?? 'rgb(0 0 0 / 10%)';
        ctx.fillRect(x0, a.top, Math.max(1, x1 - x0), a.bottom - a.top);
        drawn++;
      }
      overlay.drawnShaded = drawn;
      ctx.restore();
    },
    afterDatasetsDraw(chart) {
      const { ctx, chartArea: a } = chart;
      ctx.save();
      for (const f of overlay.flagged) {
        const x0 = Math.max(a.left, xOf(chart, f.start));
        const x1 = Math.min(a.right, xOf(chart, f.end));
        ctx.fillStyle = FLAG[f.kind] ?? '#000';
        ctx.globalAlpha = 0.25;
        if (x1 - x0 >= 2) ctx.fillRect(x0, a.top, x1 - x0, a.bottom - a.top);
        ctx.globalAlpha = 1;
        // A triangle on the top edge, so an instant is seen however short.
        ctx.beginPath();
        ctx.moveTo(x0 - 4, a.top);
        ctx.lineTo(x0 + 4, a.top);
        ctx.lineTo(x0, a.top + 7);
        ctx.fill();
      }
      ctx.fillStyle = SPE_COLOR;
      for (const b of overlay.spe) {
        const x0 = Math.max(a.left, xOf(chart, b.start));
        const x1 = Math.min(a.right, xOf(chart, b.end));
        if (x1 < a.left || x0 > a.right) continue;
        // At least 2 px wide, and a flag staff at its start, so a short blackout is seen.
        ctx.fillRect(x0, a.top, Math.max(2, x1 - x0), SPE_PX);
        ctx.fillRect(x0, a.top, 1, 2 * SPE_PX + 2);
      }
      const band = overlay.band;
      if (band) {
        const w = (a.right - a.left) / band.length;
        for (let c = 0; c < band.length; c++) {
          const share = band[c];
          if (!(share < 1)) continue;
          ctx.fillStyle = share === 0 ? 'rgb(120 120 120 / 70%)' : `rgb(197 138 0 / ${Math.round(30 + 70 * (1 - share))}%)`;
          ctx.fillRect(a.left + c * w, a.bottom - BAND_PX, Math.max(1, w), BAND_PX);
        }
      }
      const sel = overlay.selection;
      if (sel) {
        const x0 = Math.max(a.left, xOf(chart, sel.start));
        const x1 = Math.min(a.right, xOf(chart, sel.end));
        if (x1 > x0) {
          ctx.fillStyle = 'rgb(47 111 228 / 16%)';
          ctx.fillRect(x0, a.top, x1 - x0, a.bottom - a.top);
          ctx.strokeStyle = '#2f6fe4';
          ctx.strokeRect(x0 + 0.5, a.top + 0.5, x1 - x0 - 1, a.bottom - a.top - 1);
        }
      }
      ctx.restore();
    },
  };
}
