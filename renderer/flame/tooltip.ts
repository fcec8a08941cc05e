/** The flame graph's tooltip text for a node: what it is, where it ran, its weights. */
import { MIXED_MACHINES, NO_MACHINE, ROOT_NODE, isGroupNode, nodeName, type CallTree } from '../../profile/call-tree';
import type { Profile } from '../../profile/model';
import { formatPercent, formatWeight } from '../format';
import type { TooltipContent } from './model';
import { contextLabel } from './palette';

export function machineLabel(profile: Profile, tree: CallTree, node: number): string {
  const m = tree.machine?.[node] ?? NO_MACHINE;
  if (m === MIXED_MACHINES) return 'several';
  return profile.machines[m]?.name ?? 'unknown';
}

export function eventLabel(profile: Profile, event: number): string {
  return event < 0 ? 'all events' : (profile.events[event]?.name ?? `event ${event}`);
}

export function flameTooltip(profile: Profile, tree: CallTree, node: number): TooltipContent | null {
  if (node < 0 || node >= tree.length) return null;
  const unit = profile.meta.weightUnit;
  const all = tree.total[ROOT_NODE];
  const context = node === ROOT_NODE ? 'all contexts' : isGroupNode(tree, node) ? `${contextLabel(tree.context[node])} (group)` : contextLabel(tree.context[node]);
  return {
    title: nodeName(tree, node),
    rows: [
      ['Context', context],
      // Trees that do not track machines (the sandwich's) say nothing rather than "unknown".
      ...(tree.machine ? [['Machine', machineLabel(profile, tree, node)] as [string, string]] : []),
      ['Total', `${formatWeight(tree.total[node], unit)} (${formatPercent(tree.total[node], all)})`],
      ['Self', `${formatWeight(tree.self[node], unit)} (${formatPercent(tree.self[node], all)})`],
      ['Event', eventLabel(profile, tree.event)],
    ],
  };
}
