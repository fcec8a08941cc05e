import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { nodeName } from '../../profile/call-tree';
import { ExecContext, type Profile } from '../../profile/model';
import { nodePath } from '../../renderer/components/calltree/tree-rows';
import { toggle, useCallTreeStore } from '../../renderer/stores/calltree';
import { useFlameChartStore } from '../../renderer/stores/flame-chart';
import { useProfileStore } from '../../renderer/stores/profile';
import { useSelectionStore } from '../../renderer/stores/selection';
import { restoreViewState, snapshotViewState } from '../../renderer/stores/view-state';
import { recordDefaultScenario } from '../helpers/stack-profiles';

const recording: Profile = recordDefaultScenario(0.25);

function open(): void {
  setActivePinia(createPinia());
  useProfileStore().show(recording, []);
}

const expandedPaths = () => {
  const s = useCallTreeStore();
  return [...s.state!.expanded].map((n) => nodePath(s.tree!, n).join(';')).sort();
};

beforeEach(open);

describe('call tree and flame chart view state', () => {
  it('opens on the heaviest path and carries expansion over to the tree of a time range', () => {
    const calltree = useCallTreeStore();
    const opened = expandedPaths();
    expect(opened.length).toBeGreaterThan(1);
    const profile = useProfileStore();
    const { time } = recording.samples;
    profile.setRange(Math.min(...time), Math.max(...time) / 2);
    expect(calltree.tree).not.toBe(null);
    expect(expandedPaths()).toEqual(opened);
  });

  it('saves direction, expansion, selection, the sandwich\'s form and chart window with the trace, and restores them', () => {
    const calltree = useCallTreeStore();
    const selection = useSelectionStore();
    const chart = useFlameChartStore();
    calltree.setInverted(true);
    calltree.setSandwichAs('flames');
    const t = calltree.tree!;
    const leaf = t.children[t.childStart[0]];
    toggle(calltree.state!, leaf, true);
    selection.select(nodeName(t, leaf), t.context[leaf]);
    chart.setMode('cpu');
    chart.setWindow(chart.chart!.start + 1e6, chart.chart!.start + 2e6);
    const paths = expandedPaths();
    expect(calltree.sandwich!.total).toBeGreaterThan(0);
    const saved = JSON.parse(JSON.stringify(snapshotViewState()));

    open();
    expect(useCallTreeStore().inverted).toBe(false);
    restoreViewState(saved);
    expect(useCallTreeStore().inverted).toBe(true);
    expect(useCallTreeStore().sandwichAs).toBe('flames');
    expect(expandedPaths()).toEqual(paths);
    expect(useSelectionStore().selected).toEqual({ name: nodeName(t, leaf), context: t.context[leaf] });
    expect(useCallTreeStore().sandwich!.total).toBe(calltree.sandwich!.total);
    expect(useFlameChartStore().mode).toBe('cpu');
    expect(useFlameChartStore().view.end - useFlameChartStore().view.start).toBe(1e6);
  });

  it('ignores a saved state it does not understand, and a selection the profile lacks has no sandwich', () => {
    restoreViewState({ calltree: 'nonsense', flameChart: { mode: 'sideways', window: { start: 'x' } }, selection: 7 });
    expect(useCallTreeStore().inverted).toBe(false);
    expect(useCallTreeStore().sandwichAs).toBe('tables');
    expect(useFlameChartStore().mode).toBe('thread');
    expect(useSelectionStore().selected).toBe(null);
    useSelectionStore().select('no_such_function', ExecContext.GuestKernel);
    expect(useCallTreeStore().sandwich).toBe(null);
  });
});
