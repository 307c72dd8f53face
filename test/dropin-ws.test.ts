/**
 * Real ws servers and clients over loopback, in child processes, with each way of putting wsframe
 * in front of ws: `--require wsframe/register`, `--import wsframe/register` (ESM app), an npm alias
 * install of wsframe as `bufferutil`, and the codec mode (`wsframe/register-codec`: ws's receiver and
 * sender on wsframe's FrameReader / FrameWriter). Each run proves what ws loaded (the module ws's buffer-util.js
 * and validation.js required, a probe that only wsframe answers with a RangeError, the register's
 * redirect log) and that every event both sides saw (messages, errors with their codes, close
 * codes) is the same as with plain ws, across text, binary, fragmented, large, compressed and
 * invalid traffic (test/fixtures/dropin-scenario.cjs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT, assertBuilt, makeProject, removeProject, runNode } from './dropin-project.js';
import type { BufferutilInstall } from './dropin-project.js';

interface CodecStats {
  fast: number;
  fallback: number;
  fallbackReasons: Record<string, number>;
  fastSends: number;
  wsSends: number;
}
interface Loaded {
  bufferUtil: string[];
  validation: string[];
  probe: string;
  redirects: string[] | null;
  codec: CodecStats | null;
}
interface Outcome {
  events: string[];
  loaded: Loaded;
}

const DROPIN_BUFFERUTIL = join(ROOT, 'dist/cjs/dropin/bufferutil.js');
const DROPIN_UTF8 = join(ROOT, 'dist/cjs/dropin/utf-8-validate.js');
const WSFRAME_INDEX = join(ROOT, 'dist/cjs/index.js');
const REAL_BUFFERUTIL = join(ROOT, 'node_modules/bufferutil/index.js');

interface Mode {
  name: string;
  install: BufferutilInstall;
  args: string[];
  env?: Record<string, string>;
  expect: Partial<Loaded>;
  /** Codec mode: wsframe's reader/writer must have carried connections and sends. */
  codec?: boolean;
}

const PROBED = { SCENARIO_PROBE: '1' };
const REDIRECTED = ['bufferutil <- buffer-util.js'];
const MODES: Mode[] = [
  { name: 'plain ws + real bufferutil', install: 'real', args: ['dropin-scenario.cjs'], expect: { bufferUtil: [REAL_BUFFERUTIL], redirects: null } },
  {
    name: '--require wsframe/register, bufferutil not installed',
    install: 'none', args: ['--require', 'wsframe/register', 'dropin-scenario.cjs'], env: PROBED,
    expect: { bufferUtil: [DROPIN_BUFFERUTIL], probe: 'RangeError ERR_OUT_OF_RANGE', redirects: REDIRECTED },
  },
  {
    name: '--require wsframe/register wins over an installed bufferutil',
    install: 'real', args: ['--require', 'wsframe/register', 'dropin-scenario.cjs'], env: PROBED,
    expect: { bufferUtil: [DROPIN_BUFFERUTIL], probe: 'RangeError ERR_OUT_OF_RANGE', redirects: REDIRECTED },
  },
  {
    name: '--import wsframe/register, ESM application',
    install: 'none', args: ['--import', 'wsframe/register', 'dropin-scenario.mjs'], env: PROBED,
    expect: { bufferUtil: [DROPIN_BUFFERUTIL], probe: 'RangeError ERR_OUT_OF_RANGE', redirects: REDIRECTED },
  },
  {
    name: 'npm alias install of wsframe as bufferutil',
    install: 'alias', args: ['dropin-scenario.cjs'], env: PROBED,
    expect: { bufferUtil: [WSFRAME_INDEX], probe: 'RangeError ERR_OUT_OF_RANGE', redirects: null },
  },
  {
    name: 'register honours WS_NO_BUFFER_UTIL',
    install: 'none', args: ['--require', 'wsframe/register', 'dropin-scenario.cjs'], env: { ...PROBED, WS_NO_BUFFER_UTIL: '1' },
    expect: { bufferUtil: [], probe: 'no error', redirects: [] },
  },
  {
    // ws asks for utf-8-validate only where Node has no buffer.isUtf8 (< 18.14): simulated here.
    name: 'register, Node without buffer.isUtf8: utf-8-validate redirected too',
    install: 'none', args: ['--require', 'wsframe/register', 'dropin-scenario.cjs'], env: { ...PROBED, SCENARIO_NO_ISUTF8: '1' },
    expect: { bufferUtil: [DROPIN_BUFFERUTIL], validation: [DROPIN_UTF8], redirects: [...REDIRECTED, 'utf-8-validate <- validation.js'] },
  },
  {
    name: 'register, Node without buffer.isUtf8, WS_NO_UTF_8_VALIDATE',
    install: 'none', args: ['--require', 'wsframe/register', 'dropin-scenario.cjs'],
    env: { ...PROBED, SCENARIO_NO_ISUTF8: '1', WS_NO_UTF_8_VALIDATE: '1' },
    expect: { bufferUtil: [DROPIN_BUFFERUTIL], validation: [], redirects: REDIRECTED },
  },
  {
    name: 'codec mode: --require wsframe/register-codec',
    install: 'none', args: ['--require', 'wsframe/register-codec', 'dropin-scenario.cjs'], env: PROBED, codec: true,
    expect: { bufferUtil: [DROPIN_BUFFERUTIL], probe: 'RangeError ERR_OUT_OF_RANGE', redirects: REDIRECTED },
  },
  {
    name: 'codec mode: --import wsframe/register-codec, ESM application',
    install: 'none', args: ['--import', 'wsframe/register-codec', 'dropin-scenario.mjs'], env: PROBED, codec: true,
    expect: { bufferUtil: [DROPIN_BUFFERUTIL], redirects: REDIRECTED },
  },
  {
    name: 'codec mode with the js backend',
    install: 'none', args: ['--require', 'wsframe/register-codec', 'dropin-scenario.cjs'], env: { ...PROBED, WSFRAME_BACKEND: 'js' }, codec: true,
    expect: { bufferUtil: [DROPIN_BUFFERUTIL] },
  },
];

/**
 * The one event the codec mode reports differently: for a new data frame inside a fragmented
 * message ws's message names the frame's opcode, which wsframe's reader error does not carry (same
 * error class, code and close code). Listed in docs/dropin.md.
 */
const CODEC_KNOWN = ['invalid opcode (a data frame inside a fragmented message)', 'invalid opcode 1'] as const;

/** Events per connection side, in order: sides run concurrently, so only per-side order is fixed. */
function bySide(events: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of events) {
    const side = e.slice(0, e.indexOf(' '));
    (out[side] ??= []).push(e);
  }
  return out;
}

const projects = new Map<BufferutilInstall, string>();

async function run(install: BufferutilInstall, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const r = await runNode(projects.get(install)!, args, env, 60_000);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let parsed: (Outcome & { fatal?: string }) | undefined;
  try {
    parsed = JSON.parse(line);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed.fatal !== undefined || r.code !== 0) {
    throw new Error(`node ${args.join(' ')} failed (code ${r.code}, signal ${r.signal}): ${parsed?.fatal ?? ''}\n${r.stderr.slice(0, 2000)}`);
  }
  return parsed;
}

let plain: Outcome;
let plainNoIsUtf8: Outcome;
const outcomes = new Map<string, Promise<Outcome>>();

beforeAll(async () => {
  assertBuilt();
  for (const install of ['none', 'real', 'alias'] as const) projects.set(install, makeProject(install));
  [plain, plainNoIsUtf8] = await Promise.all([
    run('none', ['dropin-scenario.cjs']),
    run('none', ['dropin-scenario.cjs'], { SCENARIO_NO_ISUTF8: '1' }),
  ]);
  // Two at a time: the machine has two cores and each run is a server plus a client.
  const queue = [...MODES];
  const runNext = async (): Promise<void> => {
    const m = queue.shift();
    if (m === undefined) return;
    const p = run(m.install, m.args, m.env);
    outcomes.set(m.name, p);
    await p.catch(() => undefined);
    await runNext();
  };
  await Promise.all([runNext(), runNext()]);
}, 240_000);

afterAll(() => {
  for (const dir of projects.values()) removeProject(dir);
});

describe('plain ws baseline', () => {
  it('loads nothing for masking and sees the whole script', () => {
    expect(plain.loaded.bufferUtil).toEqual([]);
    expect(plain.loaded.validation).toEqual([]);
    const sides = bySide(plain.events);
    // The script's fixed shape, per client: 26 sizes + 2 fragmented + 2 large + 200 burst echoes.
    expect(sides.client.filter((e) => e.startsWith('client message')).length).toBe(26 + 2 + 2 + 200 + 1);
    expect(plain.events).toContain('raw invalid utf8 text -> 1007');
    expect(plain.events).toContain('raw over maxPayload -> 1009');
    expect(plain.events).toContain('client-deflate open ext=permessage-deflate');
    expect(bySide(plainNoIsUtf8.events)).toEqual(sides);
  });
});

describe.each(MODES)('$name', (mode) => {
  it('ws loaded what the mode says (not its own JS path)', async () => {
    const o = await outcomes.get(mode.name)!;
    for (const [k, v] of Object.entries(mode.expect)) expect(o.loaded[k as keyof Loaded], k).toEqual(v);
  });

  it('every event and close code matches plain ws', async () => {
    const o = await outcomes.get(mode.name)!;
    let events = o.events;
    if (mode.codec) {
      expect(events.filter((e) => e.includes(CODEC_KNOWN[0])).length).toBe(1);
      events = events.map((e) => e.replace(CODEC_KNOWN[0], CODEC_KNOWN[1]));
    }
    expect(bySide(events)).toEqual(bySide(plain.events));
  });

  if (mode.codec) {
    it("wsframe's reader and writer carried the connections; only permessage-deflate fell back", async () => {
      const c = (await outcomes.get(mode.name)!).loaded.codec!;
      expect(c).not.toBeNull();
      // Server and client sides of every non-compressed connection (3 ws clients + 20 raw).
      expect(c.fast).toBeGreaterThanOrEqual(20);
      expect(Object.keys(c.fallbackReasons)).toEqual(['permessage-deflate']);
      expect(c.fastSends).toBeGreaterThan(400);
    });
  } else {
    it('ws kept its own receiver and sender', async () => {
      expect((await outcomes.get(mode.name)!).loaded.codec).toBeNull();
    });
  }
});

describe('the register hook is narrow', () => {
  it('a require of bufferutil from outside ws resolves as usual', async () => {
    const code = "try { console.log(require.resolve('bufferutil')) } catch (e) { console.log(e.code) }";
    const none = await runNode(projects.get('none')!, ['--require', 'wsframe/register', '-e', code]);
    expect(none.stdout.trim()).toBe('MODULE_NOT_FOUND');
    const real = await runNode(projects.get('real')!, ['--require', 'wsframe/register', '-e', code]);
    expect(real.stdout.trim()).toBe(REAL_BUFFERUTIL);
  });
});

describe('codec mode falls back to ws where it must', () => {
  it('allowSynchronousEvents false, skipUTF8Validation, binaryType fragments: ws classes, same events', async () => {
    const [p, c] = await Promise.all([
      runNode(projects.get('none')!, ['dropin-codec-fallback.cjs'], {}, 60_000),
      runNode(projects.get('none')!, ['--require', 'wsframe/register-codec', 'dropin-codec-fallback.cjs'], {}, 60_000),
    ]);
    const plainOut = JSON.parse(p.stdout) as { events: string[]; codec: null };
    const codecOut = JSON.parse(c.stdout) as { events: string[]; codec: CodecStats };
    expect(plainOut.codec).toBeNull();
    expect(codecOut.events).toEqual(plainOut.events);
    // Both sides of the first trial, the client of the other two; every other side ran fast.
    expect(codecOut.codec.fallbackReasons).toEqual({ 'allowSynchronousEvents: false': 2, skipUTF8Validation: 1, "binaryType 'fragments'": 1 });
    expect(codecOut.codec.fast).toBe(2);
    // What the fallbacks preserve: skipped validation delivers the bytes, 'fragments' gives arrays.
    expect(plainOut.events).toContain('skipUTF8Validation: client message text Buffer c328');
    expect(plainOut.events.some((e) => e.startsWith("binaryType 'fragments': client message binary array of 1"))).toBe(true);
  });
});
