/**
 * GuestperfApi over the web host's WebSocket (browser mode and the
 * end-to-end tests). One socket, request ids, binary frames (./wire.ts).
 *
 * Every pending call is rejected when the socket closes: the window must
 * never wait forever on an answer that cannot come.
 */
import type {
  ApiEvent,
  ApiMethodName,
  EventCheck,
  ExportedFile,
  GuestperfApi,
  HostInfo,
  JobId,
  ScenarioInfo,
} from '../../main/api/contract';
import { PartAssembler, decodeReply, encodeRequest, WireError } from './wire';

/** The part of the WebSocket constructor the client uses (tests pass a fake). */
export type WebSocketLike = Pick<WebSocket, 'send' | 'close' | 'binaryType'> & {
  onopen: ((ev: Event) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
};
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface WsClientOptions {
  /** Called once when the connection is lost after it was established. */
  onClose?: (message: string) => void;
  createSocket?: WebSocketFactory;
}

interface Pending {
  method: ApiMethodName;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** The URL without its query (the token must not end up in messages). */
const redact = (url: string) => url.replace(/\?.*$/, '');

function describeClose(ev: { code?: number; reason?: string } | undefined): string {
  if (!ev || ev.code === undefined) return 'closed';
  return ev.reason ? `closed (code ${ev.code}: ${ev.reason})` : `closed (code ${ev.code})`;
}

/** `args` followed by the optional ones up to the last one given. */
function withOptional(args: unknown[], ...optional: unknown[]): unknown[] {
  let n = optional.length;
  while (n > 0 && optional[n - 1] === undefined) n--;
  return [...args, ...optional.slice(0, n)];
}

/** Opens the socket; resolves with the API once it is open. */
export function connectWebSocketApi(url: string, options: WsClientOptions = {}): Promise<GuestperfApi> {
  const create = options.createSocket ?? ((u: string) => new WebSocket(u) as WebSocketLike);
  return new Promise((resolveConnect, rejectConnect) => {
    let socket: WebSocketLike;
    try {
      socket = create(url);
    } catch (e) {
      rejectConnect(new Error(`Could not connect to the guestperf host at ${redact(url)}: ${(e as Error).message}`));
      return;
    }
    socket.binaryType = 'arraybuffer';
    const pending = new Map<number, Pending>();
    const parts = new PartAssembler();
    const listeners = new Set<(event: ApiEvent) => void>();
    let nextId = 1;
    let opened = false;
    let closedMessage: string | null = null;

    const call = <T>(method: ApiMethodName, args: unknown[], payload?: Uint8Array): Promise<T> => {
      if (closedMessage !== null) {
        return Promise.reject(new Error(`${method} failed: the connection to the guestperf host is ${closedMessage}`));
      }
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
        try {
          socket.send(encodeRequest(id, method, args, payload));
        } catch (e) {
          pending.delete(id);
          reject(new Error(`${method} failed: ${(e as Error).message}`));
        }
      });
    };

    const api: GuestperfApi = {
      info: () => call<HostInfo>('info', []),
      openDialog: () => call<JobId | null>('openDialog', []),
      openPath: (path) => call<JobId>('openPath', [path]),
      // Optional arguments left out travel as absent, not as null.
      openScenario: (name, options) => call<JobId>('openScenario', withOptional([name], options)),
      openScenarioText: (fileName, text, options) => call<JobId>('openScenarioText', withOptional([fileName, text], options)),
      listScenarios: () => call<ScenarioInfo[]>('listScenarios', []),
      describeScenarioText: (fileName, text) => call<ScenarioInfo>('describeScenarioText', [fileName, text]),
      checkEvents: (text, arch, vendor) => call<EventCheck>('checkEvents', withOptional([text], arch, vendor)),
      beginUpload: (name, size) => call<JobId>('beginUpload', [name, size]),
      uploadChunk: (job, chunk) => call<void>('uploadChunk', [job], chunk),
      endUpload: (job) => call<void>('endUpload', [job]),
      cancelJob: (job) => call<void>('cancelJob', [job]),
      recentFiles: () => call<string[]>('recentFiles', []),
      setViewState: (json) => call<void>('setViewState', [json]),
      saveDialog: () => call<string | null>('saveDialog', []),
      exportDialog: (formatId) => call<string | null>('exportDialog', [formatId]),
      exportProfile: (formatId) => call<ExportedFile>('exportProfile', [formatId]),
      onEvent(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };

    const emit = (event: ApiEvent) => {
      for (const l of [...listeners]) {
        try {
          l(event);
        } catch (e) {
          console.error('guestperf: event listener failed', e);
        }
      }
    };

    socket.onopen = () => {
      opened = true;
      resolveConnect(api);
    };
    socket.onerror = () => {
      // The close event that follows carries the code; nothing to do here.
    };
    socket.onclose = (ev) => {
      if (closedMessage !== null) return;
      closedMessage = describeClose(ev);
      if (!opened) {
        rejectConnect(new Error(`Could not connect to the guestperf host at ${redact(url)}: connection ${closedMessage}`));
        return;
      }
      for (const [, p] of pending) {
        p.reject(new Error(`the connection to the guestperf host ${closedMessage} before ${p.method} answered`));
      }
      pending.clear();
      options.onClose?.(`Lost the connection to the guestperf host: ${closedMessage}. Reload the page to reconnect.`);
    };
    socket.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) {
        console.error('guestperf: ignoring a text frame; the wire format is binary');
        return;
      }
      let reply;
      try {
        reply = decodeReply(ev.data);
      } catch (e) {
        if (e instanceof WireError) {
          console.error(`guestperf: bad frame from host: ${e.message}`);
          return;
        }
        throw e;
      }
      if (reply.kind === 'event') {
        emit(reply.event);
        return;
      }
      if (reply.kind === 'part') {
        const whole = parts.add(reply);
        if (whole) emit(whole);
        return;
      }
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (reply.kind === 'error') p.reject(new Error(reply.error));
      else p.resolve(reply.result);
    };
  });
}
