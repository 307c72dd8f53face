/**
 * The codec mode's Sender (ts/dropin/ws-codec.ts) on a recording socket: every frame sent in one
 * tick, small ones framed by wsframe and large ones framed by ws, leaves in one write, in order,
 * and each frame is byte-for-byte a valid server frame of its message.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { codecFor } from '../ts/dropin/ws-codec.js';
import { ROOT } from './dropin-project.js';
import { parseFrames } from './frame-parse.js';

const require = createRequire(join(ROOT, 'package.json'));
const wsLib = join(dirname(require.resolve('ws')), 'lib');
const { Sender } = codecFor(wsLib);

/** A socket that records each write the stream layer hands it: one entry per write or writev. */
function recordingSocket(): { socket: Writable; writes: Buffer[][] } {
  const writes: Buffer[][] = [];
  const socket = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push([chunk]);
      cb();
    },
    writev(chunks, cb) {
      writes.push(chunks.map((c) => c.chunk as Buffer));
      cb();
    },
  });
  return { socket, writes };
}

/** Payloads of the frames in `bytes` (test/frame-parse.ts), each checked to be a whole unmasked binary frame. */
function framePayloads(bytes: Buffer): Buffer[] {
  return parseFrames(bytes).map((f) => {
    expect({ fin: f.fin, opcode: f.opcode, masked: f.masked }).toEqual({ fin: true, opcode: 2, masked: false });
    return f.payload;
  });
}

describe('codec mode Sender', () => {
  it('writes a tick of small and large messages in one writev, in order', async () => {
    const { socket, writes } = recordingSocket();
    const sender = new Sender(socket);
    const messages = [
      Buffer.alloc(16 * 1024, 1), // over FAST_SEND_MAX: framed by ws itself, and first in the tick
      Buffer.alloc(64, 2),
      Buffer.alloc(70 * 1024, 3), // 64-bit length, framed by ws
      Buffer.alloc(100, 4),
      Buffer.alloc(16 * 1024, 5),
    ];
    let acked = 0;
    for (const m of messages) sender.send(m, { binary: true, fin: true, mask: false }, () => acked++);
    expect(writes).toEqual([]); // corked until the end of the tick
    await new Promise((r) => setImmediate(r));
    expect(writes.length).toBe(1);
    const sent = framePayloads(Buffer.concat(writes[0]));
    expect(sent.map((p) => [p.length, p[0]])).toEqual(messages.map((m) => [m.length, m[0]]));
    for (let i = 0; i < messages.length; i++) expect(Buffer.compare(sent[i], messages[i])).toBe(0);
    expect(acked).toBe(messages.length);
  });

  it('a later tick is a write of its own', async () => {
    const { socket, writes } = recordingSocket();
    const sender = new Sender(socket);
    sender.send(Buffer.alloc(20 * 1024, 7), { binary: true, fin: true, mask: false });
    await new Promise((r) => setImmediate(r));
    sender.send(Buffer.alloc(20 * 1024, 8), { binary: true, fin: true, mask: false });
    sender.send(Buffer.alloc(30, 9), { binary: true, fin: true, mask: false });
    await new Promise((r) => setImmediate(r));
    expect(writes.length).toBe(2);
    expect(framePayloads(Buffer.concat(writes[1])).map((p) => p[0])).toEqual([8, 9]);
  });
});
