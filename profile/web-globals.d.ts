/**
 * The few web-standard globals that every runtime guestperf runs in provides
 * (Node ≥ 20, Electron, Chromium, worker threads). The pure layers are
 * type-checked without DOM or Node typings, so they are declared here, and
 * nothing else from the host environment is available to them.
 */
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: string;
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
