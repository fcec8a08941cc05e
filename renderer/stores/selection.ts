/**
 * The selected function, shared by the views that select one: the call
 * tree's rows, the flame chart's boxes, the sandwich that shows it. A
 * function is a name in an execution context, as the call trees merge them,
 * so a selection survives a new range, event or split (node numbers do not).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { isRecord, registerViewState } from './view-state';

export interface SelectedFunction {
  name: string;
  /** ExecContext. */
  context: number;
}

export const useSelectionStore = defineStore('selection', () => {
  const selected = ref<SelectedFunction | null>(null);

  function select(name: string, context: number): void {
    const cur = selected.value;
    if (cur && cur.name === name && cur.context === context) return;
    selected.value = { name, context };
  }

  function clear(): void {
    selected.value = null;
  }

  function isSelected(name: string, context: number): boolean {
    const cur = selected.value;
    return cur !== null && cur.name === name && cur.context === context;
  }

  registerViewState(
    'selection',
    () => selected.value,
    (s) => {
      if (isRecord(s) && typeof s.name === 'string' && typeof s.context === 'number') select(s.name, s.context);
      else clear();
    },
  );

  return { selected, select, clear, isSelected };
});
