import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentFilesInMemory } from '../../main/api/recent-files';
import { startWebHost, type WebHost } from '../../main/web/server';
import { MAX_UPLOAD_CHUNK, WIRE_PART_BYTES } from '../../main/api/contract';
import { ProfileBuilder } from '../../profile/builder';
import { deserializeProfile, serializeProfile } from '../../profile/serialize';
import { ExecContext, totalWeight } from '../../profile/model';
import { builtExportWorkerUrl, builtWorkerUrl } from '../helpers/paths';
import { connect } from '../helpers/ws-client';

let host: WebHost;
let apiUrl: string;

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { port } = new URL(host.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'gp-web-'));
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>guestperf</title>');
  await writeFile(join(root, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(tmpdir(), 'gp-secret.txt'), 'secret');
  host = await startWebHost({
    port: 0,
    rendererDir: root,
    workerUrl: builtWorkerUrl(),
    exportWorkerUrl: builtExportWorkerUrl(),
    recent: recentFilesInMemory(),
    maxFileBytes: 64 * 1024 * 1024,
    version: 'test',
  });
  apiUrl = `${host.origin.replace('http', 'ws')}/api?token=${host.token}`;
});
afterAll(() => host.close());

describe('web host', () => {
  it('listens on loopback only and prints a tokenised URL', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.url).toBe(`${host.origin}/?token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the window with a strict CSP that allows only its own WebSocket', async () => {
    const res = await get('/', { Host: new URL(host.origin).host });
    expect(res.status).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain(`connect-src 'self' ${host.origin.replace('http', 'ws')}`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses path traversal, other Host headers and non-GET methods', async () => {
    const h = { Host: new URL(host.origin).host };
    expect((await get('/../gp-secret.txt', h)).status).not.toBe(200);
    expect((await get('/%2e%2e/gp-secret.txt', h)).status).not.toBe(200);
    expect((await get('/', { Host: 'evil.example:80' })).status).toBe(421);
  });

  it('refuses a WebSocket without the token, with a wrong token or from another origin', async () => {
    const base = `${host.origin.replace('http', 'ws')}/api`;
    await expect(connect(base, host.origin)).rejects.toThrow('HTTP 401');
    await expect(connect(`${base}?token=${host.token.slice(1)}x`, host.origin)).rejects.toThrow('HTTP 401');
    await expect(connect(apiUrl, 'http://evil.example')).rejects.toThrow('HTTP 403');
  });

  it('answers API calls, and validates them, over the WebSocket', async () => {
    const c = await connect(apiUrl, host.origin);
    const info = (await c.call('info', [])) as { host: string; extensions: string[] };
    expect(info.host).toBe('web');
    expect(info.extensions).toContain('perf');
    await expect(c.call('openPath', [7])).rejects.toThrow('openPath argument 1: expected a string');
    await expect(c.call('nope', [])).rejects.toThrow(/unknown method/);
    await expect(c.call('openDialog', [])).rejects.toThrow(/no native dialogs/);
    c.close();
  });

  it('parses an uploaded perf script in a worker and streams the profile back', async () => {
    const c = await connect(apiUrl, host.origin);
    const text = [
      'sleep 1234 [000] 100.000001: 250000 cpu-clock:',
      '\tffffffff81001000 native_safe_halt+0x6 ([kernel.kallsyms])',
      '\t7f0000001000 main+0x10 (/usr/bin/sleep)',
      '',
      'sleep 1234 [000] 100.000251: 250000 cpu-clock:',
      '\t7f0000001000 main+0x10 (/usr/bin/sleep)',
      '',
    ].join('\n');
    const bytes = new TextEncoder().encode(text);
    const job = (await c.call('beginUpload', ['sleep.perf', bytes.length])) as number;
    await c.call('uploadChunk', [job], bytes.subarray(0, 40));
    await c.call('uploadChunk', [job], bytes.subarray(40));
    await c.call('endUpload', [job]);
    const done = await c.nextEvent('job-done');
    const profile = deserializeProfile(done.payload!);
    expect(profile.samples.length).toBe(2);
    expect(totalWeight(profile)).toBe(500000);
    c.close();
  });

  it('sends a profile larger than a wire part as consecutive parts, whole again in the client', async () => {
    const b = new ProfileBuilder();
    const t = b.thread('big', 1, 1);
    const stack = b.stack(-1, b.frame('main', null, ExecContext.HostUser));
    const ev = b.event('cycles');
    for (let i = 0; i < 150_000; i++) b.sample({ stack, time: i, weight: 1 + (i % 7), event: ev, cpu: 0, thread: t, vcpu: -1, context: ExecContext.HostUser });
    const profile = b.build({ name: 'big', source: 'test', weightUnit: 'samples' });
    const bytes = serializeProfile(profile);
    expect(bytes.length).toBeGreaterThan(WIRE_PART_BYTES);
    const c = await connect(apiUrl, host.origin);
    const job = (await c.call('beginUpload', ['big.guestperf', bytes.length])) as number;
    for (let at = 0; at < bytes.length; at += MAX_UPLOAD_CHUNK) await c.call('uploadChunk', [job], bytes.subarray(at, at + MAX_UPLOAD_CHUNK));
    await c.call('endUpload', [job]);
    const done = await c.nextEvent('job-done');
    expect(c.partFrames).toBe(Math.ceil(done.payload!.length / WIRE_PART_BYTES));
    expect(c.partFrames).toBeGreaterThan(1);
    const back = deserializeProfile(done.payload!);
    expect(back.samples.length).toBe(150_000);
    expect(totalWeight(back)).toBe(totalWeight(profile));
    c.close();
  });

  it('reports a file that is not a trace as one clear failure', async () => {
    const c = await connect(apiUrl, host.origin);
    const bytes = new TextEncoder().encode('hello world, this is not a profile\n');
    const job = (await c.call('beginUpload', ['notes.txt', bytes.length])) as number;
    await c.call('uploadChunk', [job], bytes);
    await c.call('endUpload', [job]);
    const failed = await c.nextEvent('job-failed');
    expect(failed).toMatchObject({ type: 'job-failed', job });
    expect((failed as { message: string }).message).toMatch(/^notes\.txt:1: not a perf script file/);
    c.close();
  });
});
