/**
 * Sort order of the window's tables (perf stat, VM exits, vPMU accuracy),
 * one entry per table, saved with the trace as the `tables` view-state slice.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { isRecord, registerViewState } from '../../stores/view-state';

export interface SortState {
  column: string;
  descending: boolean;
}

export const useTableSortStore = defineStore('table-sort', () => {
  const sorts = ref<Record<string, SortState>>({});

  /** Clicking the sorted column flips its direction; another column sorts descending first. */
  function sortBy(table: string, column: string): void {
    const now = sorts.value[table];
    sorts.value = { ...sorts.value, [table]: { column, descending: now?.column === column ? !now.descending : true } };
  }

  registerViewState(
    'tables',
    () => ({ ...sorts.value }),
    (state) => {
      if (!isRecord(state)) return;
      const next: Record<string, SortState> = {};
      for (const [table, s] of Object.entries(state))
        if (isRecord(s) && typeof s.column === 'string' && typeof s.descending === 'boolean') next[table] = { column: s.column, descending: s.descending };
      sorts.value = next;
    },
  );

  return { sorts, sortBy };
});
