/** The differential's tooltip and colours: before, after, the delta and its percentage. */
import { ROOT_NODE, nodeName } from '../../profile/call-tree';
import { nodeChange, type DiffTree } from '../../profile/diff';
import type { ProfileMeta } from '../../profile/model';
import { formatPercent, formatWeight } from '../format';
import type { FrameColors, TooltipContent } from './model';
import { contextLabel, diffColor } from './palette';

export function diffColors(d: DiffTree): FrameColors {
  return (_tree, node, dark) => diffColor(nodeChange(d, node), dark);
}

/** "+12.5%", "−3.0%", "new" (nothing before), "0%". */
export function changePercent(before: number, after: number): string {
  if (before === 0) return after === 0 ? '0%' : 'new';
  const p = ((after - before) / before) * 100;
  return `${p > 0 ? '+' : p < 0 ? '−' : ''}${Math.abs(p).toFixed(1)}%`;
}

export function diffTooltip(d: DiffTree, node: number, unit: ProfileMeta['weightUnit']): TooltipContent | null {
  if (node < 0 || node >= d.tree.length) return null;
  const b = d.before[node];
  const a = d.after[node];
  const delta = a - b;
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '';
  return {
    title: nodeName(d.tree, node),
    rows: [
      ['Context', node === ROOT_NODE ? 'all contexts' : contextLabel(d.tree.context[node])],
      ['Before', `${formatWeight(b, unit)} (${formatPercent(b, d.beforeTotal)})`],
      ['After', `${formatWeight(a, unit)} (${formatPercent(a, d.afterTotal)})`],
      ['Delta', `${sign}${formatWeight(Math.abs(delta), unit)} (${changePercent(b, a)})`],
    ],
  };
}
