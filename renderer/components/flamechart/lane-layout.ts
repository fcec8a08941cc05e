/**
 * Where each lane sits when the lanes are stacked: a header, then the lane's
 * rows (expanded) or its one-row activity strip (collapsed). Positions are
 * content pixels, 0 at the top of the first header, before the vertical
 * scroll; the painter and the hit test share them.
 */
import type { FlameChartLane } from '../../../profile/flame-chart';

export const ROW_HEIGHT = 18;
export const HEADER_HEIGHT = 18;
export const STRIP_HEIGHT = 12;
/** Space below each lane, so neighbouring lanes do not read as one. */
export const LANE_GAP = 3;

export interface LaneBand {
  lane: FlameChartLane;
  expanded: boolean;
  /** Top of the header. */
  top: number;
  /** Top of the rows or of the strip. */
  bodyTop: number;
  /** End of the band, gap included (the next band's top). */
  bottom: number;
}

export interface LaneLayout {
  bands: LaneBand[];
  height: number;
}

/** Reading an expanded lane's rows builds its boxes, so only expanded lanes pay for them. */
export function layoutLanes(lanes: readonly FlameChartLane[], expanded: ReadonlySet<string>): LaneLayout {
  const bands: LaneBand[] = [];
  let y = 0;
  for (const lane of lanes) {
    const open = expanded.has(lane.key);
    const bodyTop = y + HEADER_HEIGHT;
    const body = open ? Math.max(1, lane.rows.length) * ROW_HEIGHT : STRIP_HEIGHT;
    bands.push({ lane, expanded: open, top: y, bodyTop, bottom: bodyTop + body + LANE_GAP });
    y = bodyTop + body + LANE_GAP;
  }
  return { bands, height: y };
}

/** Index of the band that content pixel `y` falls in, or -1 below the last. */
export function bandAt(layout: LaneLayout, y: number): number {
  const { bands } = layout;
  let lo = 0;
  let hi = bands.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bands[mid].bottom <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo < bands.length && bands[lo].top <= y ? lo : -1;
}
