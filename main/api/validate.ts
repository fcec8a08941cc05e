/**
 * Input validation for every API method. IPC and WebSocket messages come from
 * a less trusted side, so nothing reaches a handler before its arguments have
 * been checked here; errors name the method and the argument.
 */
import { MAX_UPLOAD_CHUNK, MAX_VIEW_STATE, type ApiMethodName, type ApiMethods } from './contract';

export class ApiInputError extends Error {
  override name = 'ApiInputError';
}

type Check = (value: unknown, where: string) => void;

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

/** Argument checks per method, in order. A method missing here cannot be called. */
const SIGNATURES: { [M in ApiMethodName]: Check[] } = {
  info: [],
  openDialog: [],
  openPath: [string(4096)],
  openScenario: [string(64)],
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

/** Throws ApiInputError unless `args` fit `method`'s signature exactly. */
export function validateArgs<M extends ApiMethodName>(method: M, args: unknown): Parameters<ApiMethods[M]> {
  if (!Array.isArray(args)) throw new ApiInputError(`${method}: arguments must be a list`);
  const checks = SIGNATURES[method];
  if (args.length !== checks.length) {
    throw new ApiInputError(`${method}: expected ${checks.length} argument(s), got ${args.length}`);
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
