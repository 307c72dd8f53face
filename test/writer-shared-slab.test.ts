/**
 * Every FrameWriter shares one slab and one scratch buffer. These tests pin the invariant that makes
 * that safe: frames from interleaved writers, and from a writer whose mask-key generator itself
 * frames a message on another writer (user code re-entering the writer), stay byte-exact, and a
 * frame handed out is never overwritten by later frames.
 */
import { describe, expect, it } from 'vitest';
import { FrameWriter } from '../ts/writer.js';
import { oracle } from './oracle.js';
import { prng, randomUtf8 } from './reference.js';

function bytesOf(frames: Uint8Array | Uint8Array[]): Uint8Array {
  return Buffer.concat((Array.isArray(frames) ? frames : [frames]).map((f) => Buffer.from(f)));
}

describe('writers sharing one slab', () => {
  it('interleaved writers of both roles produce exact frames that stay intact', () => {
    const rand = prng(99);
    const server = new FrameWriter({ role: 'server' });
    const client = new FrameWriter({ role: 'client' });
    const kept: { bytes: Uint8Array; copy: Uint8Array; role: 'server' | 'client'; text: string }[] = [];
    for (let i = 0; i < 3000; i++) {
      const text = Buffer.from(randomUtf8(rand, (rand() * 300) | 0, 0.7)).toString('utf8');
      const role = rand() < 0.5 ? 'server' : 'client';
      const frames = (role === 'server' ? server : client).text(text);
      const bytes = bytesOf(frames);
      const single = Array.isArray(frames) ? bytes : frames;
      kept.push({ bytes: single, copy: Uint8Array.from(bytes), role, text });
    }
    for (const k of kept) {
      // The reader of a server's frames is a client, and the other way round.
      expect(oracle(k.copy, { role: k.role === 'server' ? 'client' : 'server' })).toEqual([['text', k.text]]);
      expect(Buffer.compare(Buffer.from(k.bytes), Buffer.from(k.copy))).toBe(0);
    }
  });

  it('a mask-key generator that frames on another writer does not corrupt the frame being built', () => {
    const other = new FrameWriter({ role: 'server' });
    const nested: Uint8Array[] = [];
    let n = 0;
    const client = new FrameWriter({
      role: 'client',
      maskKey: () => {
        nested.push(Uint8Array.from(bytesOf(other.text(`nested ${n}`))));
        return (0x9e3779b9 * ++n) >>> 0;
      },
    });
    for (let i = 0; i < 200; i++) {
      const msg = 'x'.repeat(i) + '✓';
      expect(oracle(bytesOf(client.text(msg)), { role: 'server' })).toEqual([['text', msg]]);
      expect(oracle(bytesOf(client.binary(Buffer.from(msg))), { role: 'server' })).toEqual([['binary', Buffer.from(msg).toString('hex')]]);
    }
    nested.forEach((f, i) => expect(oracle(f, { role: 'client' })).toEqual([['text', `nested ${i}`]]));
  });
});
