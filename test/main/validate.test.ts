import { describe, expect, it } from 'vitest';
import { MAX_UPLOAD_CHUNK, MAX_VIEW_STATE, type ApiMethods } from '../../main/api/contract';
import { ApiInputError, dispatch, validateArgs } from '../../main/api/validate';

const calls: string[] = [];
const api = new Proxy({} as ApiMethods, {
  get: (_t, method: string) => async (...args: unknown[]) => {
    calls.push(`${method}(${args.length})`);
    return 'ok';
  },
});

describe('API input validation', () => {
  it('passes well-formed calls through to the handler', async () => {
    await expect(dispatch(api, 'beginUpload', ['trace.perf', 10])).resolves.toBe('ok');
    await expect(dispatch(api, 'uploadChunk', [1, new Uint8Array(4)])).resolves.toBe('ok');
    expect(calls).toEqual(['beginUpload(2)', 'uploadChunk(2)']);
  });

  it('refuses unknown methods, including inherited property names', async () => {
    await expect(dispatch(api, 'constructor', [])).rejects.toThrow(ApiInputError);
    await expect(dispatch(api, '__proto__', [])).rejects.toThrow(/unknown method/);
    await expect(dispatch(api, 42, [])).rejects.toThrow(/unknown method/);
  });

  it('names the method and the argument that is wrong', () => {
    expect(() => validateArgs('openPath', [7])).toThrow('openPath argument 1: expected a string');
    expect(() => validateArgs('openPath', [''])).toThrow(/expected 1 to 4096 characters/);
    expect(() => validateArgs('openPath', ['/a\0b'])).toThrow(/NUL/);
    expect(() => validateArgs('beginUpload', ['x', -1])).toThrow('beginUpload argument 2: expected a non-negative integer');
    expect(() => validateArgs('beginUpload', ['x', 1.5])).toThrow(/non-negative integer/);
    expect(() => validateArgs('uploadChunk', [1, 'bytes'])).toThrow('uploadChunk argument 2: expected bytes');
    expect(() => validateArgs('uploadChunk', [1, new Uint8Array(MAX_UPLOAD_CHUNK + 1)])).toThrow(/larger than/);
    expect(() => validateArgs('info', [1])).toThrow('info: expected 0 argument(s), got 1');
    expect(() => validateArgs('info', 'x')).toThrow(/must be a list/);
    expect(() => validateArgs('setViewState', ['{"view":'])).toThrow(/^setViewState argument 1: not JSON \(/);
    expect(() => validateArgs('setViewState', ['[1]'])).toThrow('setViewState argument 1: expected a JSON object');
    expect(() => validateArgs('setViewState', ['x'.repeat(MAX_VIEW_STATE + 1)])).toThrow(/expected 1 to 262144 characters/);
    expect(validateArgs('setViewState', ['{"view":{"tab":"tree"}}'])).toEqual(['{"view":{"tab":"tree"}}']);
  });
});
