/**
 * Runs one corpus case against wsframe in one role: builds the peer's bytes with the independent
 * frame builder of test/oracle.ts (and ws's permessage-deflate for compressed messages), drives the
 * exchange over loopback, and reads wsframe's answer back with the oracle parser.
 */
import { createHash } from 'node:crypto';
import type { Case, Echo, Role } from './conformance-cases.js';
import { asClientPeer, asServerPeer, chop, startEchoServer } from './conformance-peers.js';
import type { Observed } from './conformance-peers.js';
import { buildFrame, concatBytes, oracle } from './oracle.js';
import { params, wsCodec, wsCompress, wsDecompress } from './deflate-helpers.js';
import type { DeflateParams } from '../ts/deflate-negotiation.js';
import { prng } from './reference.js';

/** What a case produced, normalised so that a failure message stays readable. */
export interface Outcome {
  echoes: string[];
  close: number | string;
  tcpClosed: boolean;
  /** Server role with a required answer: 'ok', or the answer wsframe gave. */
  negotiation?: string;
}

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

/** Long payloads are compared by length and hash so a mismatch prints a line, not megabytes. */
function short(kind: string, value: string): string {
  return value.length > 160 ? `${kind}:${value.length}:${createHash('sha1').update(value).digest('hex').slice(0, 12)}` : `${kind}:${value}`;
}

export function expected(c: Case): Outcome {
  const close = c.close === 0 ? 'none' : (c.close ?? 1000);
  const out: Outcome = { echoes: c.expect.map(([k, v]) => short(k, v)), close, tcpClosed: true };
  if (c.deflate?.response) out.negotiation = 'ok';
  return out;
}

/** permessage-deflate parameters from a Sec-WebSocket-Extensions value. */
export function deflateParams(header: string | undefined): DeflateParams | undefined {
  if (!header || !header.includes('permessage-deflate')) return undefined;
  const bits = (name: string) => {
    const m = new RegExp(`${name}(?:=(\\d+))?`).exec(header);
    return m ? Number(m[1] ?? 15) : 15;
  };
  return params({
    serverNoContextTakeover: header.includes('server_no_context_takeover'),
    clientNoContextTakeover: header.includes('client_no_context_takeover'),
    serverMaxWindowBits: bits('server_max_window_bits'),
    clientMaxWindowBits: bits('client_max_window_bits'),
  });
}

type Codec = ReturnType<typeof wsCodec>;

/** The peer's bytes for `c`, chopped into writes. */
async function peerBytes(c: Case, role: Role, codec: Codec | undefined): Promise<Uint8Array[]> {
  const peerMasks = role === 'server';
  const rand = prng(createHash('sha1').update(c.id).digest().readUInt32LE(0));
  const key = () => new Uint8Array([(rand() * 256) | 0, (rand() * 256) | 0, (rand() * 256) | 0, (rand() * 256) | 0]);
  const frames: Uint8Array[] = [];
  // Frames not compressed by a negotiated codec (e.g. RSV1 sent without negotiation) use a default one.
  const compressor = codec ?? wsCodec(role === 'server' ? 'client' : 'server', params());
  for (const f of c.frames) {
    if (f.raw) {
      const raw = f.raw.slice();
      if (peerMasks) raw[1] |= 0x80;
      frames.push(peerMasks ? concatBytes([raw, key()]) : raw);
      continue;
    }
    const data = typeof f.data === 'string' ? enc(f.data) : (f.data ?? new Uint8Array(0));
    const mask = (f.badMask ? !peerMasks : peerMasks) ? key() : undefined;
    if (f.compress) {
      const z = new Uint8Array(await wsCompress(compressor, Buffer.from(data), true));
      const parts = f.split ?? 1;
      const step = Math.ceil(z.length / parts);
      for (let i = 0; i < parts; i++) {
        const payload = z.subarray(i * step, Math.min(z.length, (i + 1) * step));
        frames.push(buildFrame({ fin: i === parts - 1, rsv: i === 0 ? 4 : 0, opcode: i === 0 ? f.op : 0, payload, mask }));
        if (i === 0 && parts > 1) frames.push(buildFrame({ opcode: 9, payload: enc('between'), mask }));
      }
      continue;
    }
    let frame = buildFrame({ fin: f.fin, rsv: f.rsv, opcode: f.op, payload: data, mask, lengthBits: f.lengthBits });
    if (f.truncate !== undefined) frame = frame.subarray(0, frame.length - data.length + f.truncate);
    frames.push(frame);
  }
  const sendsClose = c.frames.some((f) => f.op === 8);
  if (!c.noPeerClose && !sendsClose) {
    frames.push(buildFrame({ opcode: 8, payload: new Uint8Array([0x03, 0xe8]), mask: peerMasks ? key() : undefined }));
  }
  const how = c.chop ?? 'frames';
  if (how === 'frames') return frames;
  const all = concatBytes(frames);
  return how === 'whole' ? [all] : chop(all, how);
}

/** wsframe's frames as the outcome: echoes (inflated if compressed), then the close code it sent. */
async function outcomeOf(observed: Observed, role: Role, codec: Codec | undefined): Promise<Outcome> {
  const events = oracle(observed.bytes, { role: role === 'server' ? 'client' : 'server', allowRsv1: codec !== undefined });
  const echoes: string[] = [];
  let close: number | string = 'none';
  for (const ev of events) {
    if (ev[0] === 'compressed') {
      const data = await wsDecompress(codec!, Buffer.from(ev[2], 'hex'));
      echoes.push(ev[1] ? short('binary', data.toString('hex')) : short('text', data.toString('utf8')));
    } else if (ev[0] === 'text' || ev[0] === 'binary' || ev[0] === 'pong') {
      echoes.push(short(ev[0], ev[1]));
    } else if (ev[0] === 'close') {
      close = ev[1];
    } else if (ev[0] === 'error') {
      close = `wsframe sent an invalid frame: ${ev[2]}`;
    }
  }
  return { echoes, close, tcpClosed: observed.tcpClosed };
}

/** Runs `c` with wsframe in `role` and returns what happened on the wire. */
export async function runCase(c: Case, role: Role): Promise<Outcome> {
  const opts = { maxPayload: c.options?.maxPayload, perMessageDeflate: (c.options?.perMessageDeflate ?? false) as boolean };
  let codec: Codec | undefined;
  const peerRole = role === 'server' ? 'client' : 'server';
  const chunksFor = (negotiated: string | undefined) => {
    const p = deflateParams(negotiated);
    codec = p ? wsCodec(peerRole, p) : undefined;
    return peerBytes(c, role, codec);
  };
  let observed: Observed;
  if (role === 'server') {
    const server = await startEchoServer(opts);
    try {
      const offer = c.deflate?.offer ? `Sec-WebSocket-Extensions: ${c.deflate.offer}\r\n` : '';
      observed = await asClientPeer(server.port, (h) => chunksFor(h['sec-websocket-extensions']), offer);
    } finally {
      await server.close();
    }
  } else {
    const answer = c.deflate?.answer || undefined;
    observed = await asServerPeer(() => chunksFor(answer), { ...opts, extensionsHeader: answer });
  }
  const outcome = await outcomeOf(observed, role, codec);
  codec?.cleanup();
  const response = c.deflate?.response;
  if (role === 'server' && response) {
    const header = observed.headers['sec-websocket-extensions'] ?? '';
    outcome.negotiation = response.test(header) ? 'ok' : `answered '${header}'`;
  }
  return outcome;
}

export type { Echo };
