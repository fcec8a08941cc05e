/**
 * Input validation for every API method. IPC and WebSocket messages come from
 * a less trusted side, so nothing reaches a handler before its arguments have
 * been checked here; errors name the method and the argument.
 */
import { VPMU_DESIGNS } from '../../emulator/scenario/types';
import { MAX_UPLOAD_CHUNK, MAX_VIEW_STATE, type ApiMethodName, type ApiMethods } from './contract';

export class ApiInputError extends Error {
  override name = 'ApiInputError';
}

/** `optional` checks may only end a signature: the caller may leave them out. */
type Check = ((value: unknown, where: string) => void) & { optional?: true };

const string = (max: number): Check => (v, where) => {
  if (typeof v !== 'string') throw new ApiInputError(`${where}: expected a string`);
  if (v.length === 0 || v.length > max) throw new ApiInputError(`${where}: expected 1 to ${max} characters`);
  if (v.includes('\0')) throw new ApiInputError(`${where}: contains a NUL character`);
};
const count: Check = (v, where) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ApiInputError(`${where}: expected a non-negative integer`);
  }
};
const bytes: Check = (v, where) => {
  if (!(v instanceof Uint8Array)) throw new ApiInputError(`${where}: expected bytes`);
  if (v.length > MAX_UPLOAD_CHUNK) throw new ApiInputError(`${where}: chunk larger than ${MAX_UPLOAD_CHUNK} bytes`);
};

/** JSON text of an object: what the window's view state is. */
const jsonObject = (max: number): Check => (v, where) => {
  string(max)(v, where);
  let parsed: unknown;
  try {
    parsed = JSON.parse(v as string);
  } catch (e) {
    throw new ApiInputError(`${where}: not JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiInputError(`${where}: expected a JSON object`);
};

const optional = (check: Check): Check =>
  Object.assign(
    (v: unknown, where: string) => {
      if (v !== undefined) check(v, where);
    },
    { optional: true as const },
  );
const oneOf = (values: readonly string[]): Check => (v, where) => {
  if (typeof v !== 'string' || !values.includes(v)) throw new ApiInputError(`${where}: expected one of: ${values.join(', ')}`);
};
function object(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) throw new ApiInputError(`${where}: expected an object`);
  return v as Record<string, unknown>;
}

/** Longest simulated run the window may ask for: the emulator runs it in a worker. */
export const MAX_SCENARIO_MS = 60_000;
const MAX_SCENARIO_TEXT = 1 << 20;
const RUN_OPTIONS = ['events', 'vpmu', 'durationMs', 'nmiWatchdog', 'compare'];
const design = oneOf(VPMU_DESIGNS);

/** ScenarioRunOptions by shape; the scenario itself decides which VMs and designs exist. */
const runOptions: Check = (v, where) => {
  const o = object(v, where);
  const unknown = Object.keys(o).find((k) => !RUN_OPTIONS.includes(k));
  if (unknown !== undefined) throw new ApiInputError(`${where}: unknown option ${JSON.stringify(unknown)} (options: ${RUN_OPTIONS.join(', ')})`);
  if (o.events !== undefined) string(4096)(o.events, `${where}.events`);
  if (o.vpmu !== undefined) {
    const vpmu = Object.entries(object(o.vpmu, `${where}.vpmu`));
    if (vpmu.length > 256) throw new ApiInputError(`${where}.vpmu: more than 256 VMs`);
    for (const [vm, d] of vpmu) design(d, `${where}.vpmu.${vm}`);
  }
  const ms = o.durationMs;
  if (ms !== undefined && (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 1 || ms > MAX_SCENARIO_MS)) {
    throw new ApiInputError(`${where}.durationMs: expected an integer from 1 to ${MAX_SCENARIO_MS}`);
  }
  if (o.nmiWatchdog !== undefined && typeof o.nmiWatchdog !== 'boolean') throw new ApiInputError(`${where}.nmiWatchdog: expected true or false`);
  if (o.compare !== undefined) {
    const list = o.compare;
    if (!Array.isArray(list) || list.length < 2 || list.length > VPMU_DESIGNS.length) {
      throw new ApiInputError(`${where}.compare: expected a list of 2 to ${VPMU_DESIGNS.length} designs`);
    }
    list.forEach((d, i) => design(d, `${where}.compare[${i}]`));
    if (new Set(list).size !== list.length) throw new ApiInputError(`${where}.compare: a design is listed twice`);
  }
};

/** Argument checks per method, in order. A method missing here cannot be called. */
const SIGNATURES: { [M in ApiMethodName]: Check[] } = {
  info: [],
  openDialog: [],
  openPath: [string(4096)],
  openScenario: [string(64), optional(runOptions)],
  openScenarioText: [string(1024), string(MAX_SCENARIO_TEXT), optional(runOptions)],
  listScenarios: [],
  describeScenarioText: [string(1024), string(MAX_SCENARIO_TEXT)],
  checkEvents: [string(4096), optional(oneOf(['x86_64', 'arm64'])), optional(oneOf(['intel', 'amd', 'arm']))],
  beginUpload: [string(1024), count],
  uploadChunk: [count, bytes],
  endUpload: [count],
  cancelJob: [count],
  recentFiles: [],
  setViewState: [jsonObject(MAX_VIEW_STATE)],
  saveDialog: [],
  exportDialog: [string(64)],
  exportProfile: [string(64)],
};

export const API_METHOD_NAMES = Object.keys(SIGNATURES) as ApiMethodName[];

export function isApiMethod(name: unknown): name is ApiMethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(SIGNATURES, name);
}

/** Throws ApiInputError unless `args` fit `method`'s signature (trailing optional ones may be left out). */
export function validateArgs<M extends ApiMethodName>(method: M, args: unknown): Parameters<ApiMethods[M]> {
  if (!Array.isArray(args)) throw new ApiInputError(`${method}: arguments must be a list`);
  const checks = SIGNATURES[method];
  const required = checks.filter((c) => !c.optional).length;
  if (args.length < required || args.length > checks.length) {
    const expected = required === checks.length ? `${required}` : `${required} to ${checks.length}`;
    throw new ApiInputError(`${method}: expected ${expected} argument(s), got ${args.length}`);
  }
  checks.forEach((check, i) => check(args[i], `${method} argument ${i + 1}`));
  return args as Parameters<ApiMethods[M]>;
}

/** Validates, then calls: the one way IPC and the web host reach a handler. */
export function dispatch(api: ApiMethods, method: unknown, args: unknown): Promise<unknown> {
  if (!isApiMethod(method)) return Promise.reject(new ApiInputError(`unknown method ${JSON.stringify(method)}`));
  try {
    const valid = validateArgs(method, args);
    return (api[method] as (...a: unknown[]) => Promise<unknown>)(...valid);
  } catch (e) {
    return Promise.reject(e);
  }
}
