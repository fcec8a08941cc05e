/**
 * The window's views, one tab each. A view is a component under views/ that
 * projects the profile store's model; App.vue shows the selected one.
 */
import type { Component } from 'vue';
import type { ViewTabId } from './stores/view';
import FlameGraphView from './views/FlameGraphView.vue';
import FlameChartView from './views/FlameChartView.vue';
import CallTreeView from './views/CallTreeView.vue';
import TimelineView from './views/TimelineView.vue';
import StatView from './views/StatView.vue';
import ExitsView from './views/ExitsView.vue';
import AccuracyView from './views/AccuracyView.vue';
import DiffView from './views/DiffView.vue';

export const VIEW_TABS = [
  { id: 'flame', label: 'Flame graph', component: FlameGraphView },
  { id: 'chart', label: 'Flame chart', component: FlameChartView },
  { id: 'tree', label: 'Call tree', component: CallTreeView },
  { id: 'timeline', label: 'Timeline', component: TimelineView },
  { id: 'stat', label: 'perf stat', component: StatView },
  { id: 'exits', label: 'VM exits', component: ExitsView },
  { id: 'accuracy', label: 'vPMU accuracy', component: AccuracyView },
  { id: 'diff', label: 'Differential', component: DiffView },
] satisfies readonly { id: ViewTabId; label: string; component: Component }[];
