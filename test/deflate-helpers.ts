/**
 * Access to ws's own permessage-deflate and header code (the incumbent, used as the interop reference)
 * and small helpers shared by the deflate tests.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { DeflateParams } from '../ts/deflate-negotiation.js';

const require = createRequire(import.meta.url);
const wsDir = path.dirname(require.resolve('ws'));

interface WsPmd {
  params: Record<string, unknown> | null;
  accept(configurations: unknown[]): Record<string, unknown>;
  offer(): Record<string, unknown>;
  compress(data: Buffer | string, fin: boolean, cb: (err: Error | null, out?: Buffer) => void): void;
  decompress(data: Buffer, fin: boolean, cb: (err: Error | null, out?: Buffer) => void): void;
  cleanup(): void;
}
type WsPmdClass = new (options: Record<string, unknown>) => WsPmd;

export const WsPerMessageDeflate = require(path.join(wsDir, 'lib/permessage-deflate.js')) as WsPmdClass;
export const wsExtension = require(path.join(wsDir, 'lib/extension.js')) as {
  parse(header: string): Record<string, Array<Record<string, Array<string | true>>>>;
  format(ext: Record<string, unknown>): string;
};

/** A ws PerMessageDeflate for `role` with `params` already agreed (ws's snake_case form). */
export function wsCodec(role: 'server' | 'client', params: DeflateParams, maxPayload = 0): WsPmd {
  const pmd = new WsPerMessageDeflate({ isServer: role === 'server', maxPayload });
  pmd.params = {
    server_no_context_takeover: params.serverNoContextTakeover,
    client_no_context_takeover: params.clientNoContextTakeover,
    server_max_window_bits: params.serverMaxWindowBits,
    client_max_window_bits: params.clientMaxWindowBits,
  };
  return pmd;
}

export function wsCompress(pmd: WsPmd, data: Buffer | string, fin = true): Promise<Buffer> {
  return new Promise((resolve, reject) => pmd.compress(data, fin, (err, out) => (err ? reject(err) : resolve(out!))));
}

export function wsDecompress(pmd: WsPmd, data: Buffer, fin = true): Promise<Buffer> {
  return new Promise((resolve, reject) => pmd.decompress(data, fin, (err, out) => (err ? reject(err) : resolve(out!))));
}

export function params(p: Partial<DeflateParams> = {}): DeflateParams {
  return { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15, ...p };
}

/** A JSON market-data-like message of about `size` bytes; `seq` varies a few fields so messages look alike but differ. */
export function jsonMessage(seq: number, size = 1024): string {
  const rows: string[] = [];
  let length = 0;
  for (let i = 0; length < size - 60; i++) {
    const row = `{"sym":"SYM${(seq * 7 + i) % 97}","bid":${(100 + ((seq * 13 + i * 3) % 50) / 100).toFixed(2)},"ask":${(100.5 + ((seq + i) % 40) / 100).toFixed(2)},"qty":${(seq * 31 + i * 17) % 1000}}`;
    rows.push(row);
    length += row.length + 1;
  }
  return `{"type":"book","seq":${seq},"rows":[${rows.join(',')}]}`;
}
