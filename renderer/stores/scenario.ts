/**
 * The scenario panel: which scenario (a built-in or a file's text), how to
 * run it (a vPMU design per VM, the NMI watchdog, the duration, perf events),
 * and the perf tool's verdict on the event string. Parsing happens on the
 * main side (the renderer may not import the emulator): event strings go
 * through checkEvents as the user types, debounced, and only the newest
 * answer counts.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { EventCheck, ScenarioInfo, ScenarioRunOptions, VpmuDesignName } from '../../main/api/contract';
import { useLoadStore } from './load';

/** Quiet time after the last keystroke before the event string is checked. */
export const CHECK_DELAY_MS = 150;

export type ScenarioSource = { kind: 'builtin'; name: string } | { kind: 'file'; fileName: string; text: string };

/** What the panel reads a picked scenario file through (a File in the window). */
export interface TextFile {
  name: string;
  text(): Promise<string>;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const useScenarioStore = defineStore('scenario', () => {
  const load = useLoadStore();
  const visible = ref(false);
  const builtins = shallowRef<ScenarioInfo[]>([]);
  const source = ref<ScenarioSource | null>(null);
  const info = shallowRef<ScenarioInfo | null>(null);
  const vpmu = ref<Record<string, VpmuDesignName>>({});
  const nmiWatchdog = ref(true);
  const durationMs = ref(0);
  const events = ref('');
  /** The verdict on `events`; null while it is empty or not answered yet. */
  const check = shallowRef<EventCheck | null>(null);
  const checking = ref(false);
  const compareDesigns = ref<VpmuDesignName[]>([]);
  /** Why the last action was refused (a file that does not parse, a run KVM refuses). */
  const error = ref<string | null>(null);
  const busy = ref(false);

  // A refusal is about the settings it was given: changing one retires it.
  watch([vpmu, nmiWatchdog, durationMs, events, compareDesigns], () => (error.value = null), { deep: true });

  let timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped per check: an answer to an older string is dropped. */
  let checkSeq = 0;

  const canRun = computed(
    () => info.value !== null && !busy.value && !checking.value && (events.value.trim() === '' || check.value?.ok === true),
  );

  /** Opens the panel; the first time, fetches the built-ins and picks the first. */
  async function show(): Promise<void> {
    visible.value = true;
    error.value = null;
    if (builtins.value.length > 0 || !load.api) return;
    try {
      builtins.value = await load.api.listScenarios();
      if (!source.value && builtins.value.length > 0) selectBuiltin(builtins.value[0].name);
    } catch (e) {
      error.value = `Could not list the scenarios: ${message(e)}`;
    }
  }

  function hide(): void {
    visible.value = false;
  }

  /** The run's settings start from what the scenario says. */
  function adopt(next: ScenarioInfo): void {
    info.value = next;
    vpmu.value = Object.fromEntries(next.vms.map((vm) => [vm.name, vm.vpmu]));
    nmiWatchdog.value = next.nmiWatchdog;
    durationMs.value = next.durationMs;
    compareDesigns.value = next.designs.filter((d) => d !== 'none');
    error.value = null;
    if (events.value.trim()) scheduleCheck(); // the architecture may have changed
  }

  function selectBuiltin(name: string): void {
    const found = builtins.value.find((s) => s.name === name);
    if (!found) {
      error.value = `No built-in scenario ${JSON.stringify(name)}`;
      return;
    }
    source.value = { kind: 'builtin', name };
    adopt(found);
  }

  /** A scenario file: the main side parses it; a bad one leaves the current choice as it was. */
  async function openFile(file: TextFile): Promise<void> {
    const a = load.api;
    if (!a) return;
    try {
      const text = await file.text();
      const described = await a.describeScenarioText(file.name, text);
      source.value = { kind: 'file', fileName: file.name, text };
      adopt(described);
    } catch (e) {
      error.value = message(e);
    }
  }

  function setEvents(text: string): void {
    events.value = text;
    scheduleCheck();
  }

  function scheduleCheck(): void {
    if (timer !== null) clearTimeout(timer);
    checkSeq++;
    check.value = null;
    checking.value = events.value.trim() !== '';
    timer = checking.value ? setTimeout(() => void checkNow(), CHECK_DELAY_MS) : null;
  }

  /** Checks the event string now (the debounce ends here); resolves once the newest answer is in. */
  async function checkNow(): Promise<void> {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const text = events.value;
    const a = load.api;
    if (!a || text.trim() === '') {
      checking.value = false;
      return;
    }
    const seq = ++checkSeq;
    checking.value = true;
    try {
      const verdict = await a.checkEvents(text, info.value?.arch, info.value?.vendor);
      if (seq === checkSeq) check.value = verdict;
    } catch (e) {
      if (seq === checkSeq) error.value = `Could not check the events: ${message(e)}`;
    } finally {
      if (seq === checkSeq) checking.value = false;
    }
  }

  /** Only what differs from the scenario as written, so the trace's scenario text changes no more than asked. */
  function runOptions(): ScenarioRunOptions {
    const s = info.value;
    const options: ScenarioRunOptions = {};
    if (!s) return options;
    const changed = s.vms.filter((vm) => vpmu.value[vm.name] !== vm.vpmu);
    if (changed.length > 0) options.vpmu = Object.fromEntries(changed.map((vm) => [vm.name, vpmu.value[vm.name]]));
    if (nmiWatchdog.value !== s.nmiWatchdog) options.nmiWatchdog = nmiWatchdog.value;
    if (durationMs.value !== s.durationMs) options.durationMs = durationMs.value;
    // As typed: the parser's verdict and its column are about exactly this string.
    if (events.value.trim()) options.events = events.value;
    return options;
  }

  async function start(options: ScenarioRunOptions): Promise<void> {
    const src = source.value;
    if (!src || !canRun.value) return;
    busy.value = true;
    error.value = null;
    try {
      await load.runScenario((a) =>
        src.kind === 'builtin' ? a.openScenario(src.name, options) : a.openScenarioText(src.fileName, src.text, options),
      );
      visible.value = false;
    } catch (e) {
      error.value = message(e);
    } finally {
      busy.value = false;
    }
  }

  /** Run: the trace opens in the window; a refusal keeps the panel open with the reason. */
  function run(): Promise<void> {
    return start(runOptions());
  }

  /** Compare designs: the scenario once per chosen design, opened as a comparison. */
  function compare(): Promise<void> {
    const options = runOptions();
    delete options.vpmu; // each run gives every VM the design it compares
    return start({ ...options, compare: [...compareDesigns.value] });
  }

  return {
    visible,
    builtins,
    source,
    info,
    vpmu,
    nmiWatchdog,
    durationMs,
    events,
    check,
    checking,
    compareDesigns,
    error,
    busy,
    canRun,
    show,
    hide,
    selectBuiltin,
    openFile,
    setEvents,
    checkNow,
    runOptions,
    run,
    compare,
  };
});
