/** Which view (tab) is shown. The tabs' labels and components are in views.ts. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { isRecord, registerViewState } from './view-state';

export const VIEW_TAB_IDS = ['flame', 'chart', 'tree', 'timeline', 'stat', 'exits', 'accuracy', 'diff'] as const;
export type ViewTabId = (typeof VIEW_TAB_IDS)[number];

export const useViewStore = defineStore('view', () => {
  const tab = ref<ViewTabId>('flame');

  function setTab(next: string): void {
    const known = VIEW_TAB_IDS.find((id) => id === next);
    if (known) tab.value = known;
  }

  registerViewState(
    'view',
    () => ({ tab: tab.value }),
    (s) => {
      if (isRecord(s) && typeof s.tab === 'string') setTab(s.tab);
    },
  );

  return { tab, setTab };
});
