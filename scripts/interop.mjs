#!/usr/bin/env node
/**
 * Interop with implementations that need system packages, so not part of `npm test`:
 *
 * - Python's `websockets` (Debian: python3-websockets, run by /usr/bin/python3) as the client of
 *   `wsframe echo-server` and as the server of `wsframe echo-client`, with and without
 *   permessage-deflate (scripts/interop/scenario.py drives the exchange).
 * - Headless Chromium (Debian: chromium) loading a page served here that talks to a wsframe
 *   server, plain and with permessage-deflate (scripts/interop/browser-page.html).
 *
 * Everything runs on 127.0.0.1 with bounded waits; every child process is killed at the end.
 * Runs against the built package (dist/): `npm run build` first. Exits 1 if any check fails or
 * a required program is missing (--skip-missing turns a missing program into a skip instead).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const HERE = join(ROOT, 'scripts/interop');
const CLI = join(ROOT, 'bin/wsframe.mjs');
const PYTHON = '/usr/bin/python3'; // Debian's python, where python3-websockets is installed
const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const skipMissing = process.argv.includes('--skip-missing');

const { WebSocketServer, activeBackend } = createRequire(import.meta.url)(join(ROOT, 'dist/cjs/index.js'));

const results = [];
const children = new Set();
let lastMark = performance.now();

function record(name, ok, detail) {
  const seconds = ((performance.now() - lastMark) / 1000).toFixed(1);
  lastMark = performance.now();
  results.push({ name, ok, detail, seconds });
  process.stdout.write(`${ok === null ? 'SKIP' : ok ? 'PASS' : 'FAIL'}  ${name}  [${seconds} s]${detail ? `  (${detail})` : ''}\n`);
}

/** Spawns a child process with a hard time limit; collects its output. */
function run(cmd, args, { timeoutMs = 60_000, onLine, detached = false } = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached });
  children.add(child);
  let out = '';
  let err = '';
  let pending = '';
  child.stdout.on('data', (c) => {
    out += c;
    pending += c;
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      onLine?.(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
  });
  child.stderr.on('data', (c) => (err += c));
  const timer = setTimeout(() => kill(child), timeoutMs);
  const exit = new Promise((resolve) => {
    child.on('error', (e) => resolve({ code: null, out, err: err + e.message }));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, out, err });
    });
  });
  return { child, exit };
}

function kill(child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Chromium runs as a process group we created (detached): end the whole group.
    if (child.spawnargs[0] === CHROMIUM) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    /* already gone */
  }
}

/** A wait that does not keep the process alive once everything else is done. */
function delay(ms) {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function lastJson(text) {
  const line = text.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  try {
    return line ? JSON.parse(line) : null;
  } catch {
    return null;
  }
}

function have(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}

// ------------------------------------------------------------------------------------------------
// Python websockets

async function pythonClientToEchoServer(deflate) {
  const name = `python websockets client -> wsframe echo-server${deflate ? ' --deflate' : ''}`;
  let port;
  const server = run(process.execPath, [CLI, 'echo-server', '--port', '0', '--verbose', ...(deflate ? ['--deflate'] : [])]);
  const started = Date.now();
  let errText = '';
  server.child.stderr.on('data', (c) => {
    errText += c;
    port ??= /listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(errText)?.[1];
  });
  while (port === undefined && Date.now() - started < 15_000 && server.child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  if (port === undefined) {
    kill(server.child);
    return record(name, false, `echo-server did not start: ${errText.trim()}`);
  }
  const client = await run(PYTHON, [join(HERE, 'py_client.py'), `ws://127.0.0.1:${port}/`, ...(deflate ? ['--deflate'] : [])]).exit;
  server.child.kill('SIGTERM');
  const serverExit = await server.exit;
  const res = lastJson(client.out);
  const failures = [...(res?.failures ?? [`no result: ${client.err.trim().split('\n').pop()}`])];
  if (serverExit.code !== 0) failures.push(`echo-server exited ${serverExit.code ?? serverExit.signal} on SIGTERM`);
  record(name, client.code === 0 && failures.length === 0, failures.length ? failures.join('; ') : `${res.messages} messages echoed, extensions '${res.extensions}'`);
}

async function echoClientToPythonServer(deflate) {
  const name = `wsframe echo-client${deflate ? ' --deflate' : ''} -> python websockets server`;
  let resolvePort;
  const portKnown = new Promise((r) => (resolvePort = r));
  const server = run(PYTHON, [join(HERE, 'py_server.py'), ...(deflate ? ['--deflate'] : [])], {
    onLine: (line) => {
      const m = /^PORT (\d+)$/.exec(line);
      if (m) resolvePort(m[1]);
    },
  });
  const port = await Promise.race([portKnown, server.exit.then(() => undefined), delay(15_000)]);
  if (port === undefined) {
    kill(server.child);
    const e = await server.exit;
    return record(name, false, `python server did not start: ${e.err.trim().split('\n').pop()}`);
  }
  const client = await run(process.execPath, [CLI, 'echo-client', `ws://127.0.0.1:${port}/`, '--timeout', '60000', ...(deflate ? ['--deflate'] : [])]).exit;
  const serverExit = await server.exit;
  const res = lastJson(serverExit.out);
  const failures = [...(res?.failures ?? [`no result: ${serverExit.err.trim().split('\n').pop()}`])];
  if (client.code !== 0) failures.push(`echo-client exited ${client.code}: ${client.err.trim()}`);
  record(name, serverExit.code === 0 && failures.length === 0, failures.length ? failures.join('; ') : `${res.messages} messages echoed, extensions '${res.extensions}'`);
}

// ------------------------------------------------------------------------------------------------
// Headless Chromium

async function chromium() {
  const name = 'headless chromium -> wsframe server (plain and permessage-deflate)';
  const page = readFileSync(join(HERE, 'browser-page.html'));
  let report;
  const reported = new Promise((r) => (report = r));
  const http = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (req.method === 'POST' && req.url === '/result') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.writeHead(204).end();
        report(body);
      });
    } else {
      res.writeHead(404).end();
    }
  });
  const servers = {
    '/plain': new WebSocketServer({ noServer: true }),
    '/deflate': new WebSocketServer({ noServer: true, perMessageDeflate: true }),
  };
  const seen = {};
  for (const [path, wss] of Object.entries(servers)) {
    wss.on('connection', (ws) => {
      seen[path] = { extensions: ws.extensions, messages: 0 };
      ws.on('error', (e) => (seen[path].error = e.message));
      ws.send(`welcome to ${path}`);
      ws.on('message', (data, isBinary) => {
        seen[path].messages++;
        ws.send(data, { binary: isBinary });
      });
      ws.on('close', (code, reason) => (seen[path].close = [code, reason.toString()]));
    });
  }
  http.on('upgrade', (req, socket, head) => {
    const wss = servers[req.url];
    if (!wss) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${http.address().port}/`;
  const profile = mkdtempSync(join(tmpdir(), 'wsframe-chromium-'));
  const browser = run(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`,
    '--disable-dev-shm-usage', // containers often have a tiny /dev/shm, which crashes renderers
    url,
  ], { timeoutMs: 90_000, detached: true });
  const body = await Promise.race([reported, browser.exit.then(() => null), delay(60_000).then(() => null)]);
  kill(browser.child, 'SIGTERM');
  const killTimer = setTimeout(() => kill(browser.child), 3000);
  const browserExit = await browser.exit;
  clearTimeout(killTimer);
  rmSync(profile, { recursive: true, force: true });
  for (const wss of Object.values(servers)) for (const c of wss.clients) c.terminate();
  http.closeAllConnections?.();
  await new Promise((r) => http.close(r));

  if (body === null) return record(name, false, `no report from the page; chromium exited ${browserExit.code ?? browserExit.signal}: ${browserExit.err.trim().split('\n').slice(-3).join(' | ')}`);
  const { userAgent, results: pageResults } = JSON.parse(body);
  const failures = [];
  for (const r of pageResults) {
    const srv = seen[r.path] ?? {};
    const wantDeflate = r.path === '/deflate';
    failures.push(...r.failures.map((f) => `${r.path}: ${f}`));
    if (r.serverMessage !== `welcome to ${r.path}`) failures.push(`${r.path}: greeting was ${JSON.stringify(r.serverMessage)}`);
    if (r.extensions.startsWith('permessage-deflate') !== wantDeflate) failures.push(`${r.path}: browser sees extensions '${r.extensions}'`);
    if (!r.close || r.close.code !== 1000 || !r.close.wasClean) failures.push(`${r.path}: browser close ${JSON.stringify(r.close)}`);
    if (!srv.close || srv.close[0] !== 1000 || srv.close[1] !== 'done ☺') failures.push(`${r.path}: server saw close ${JSON.stringify(srv.close)}`);
    if (srv.error) failures.push(`${r.path}: server error ${srv.error}`);
  }
  const chrome = /Chrome\/([\d.]+)/.exec(userAgent)?.[1] ?? userAgent;
  record(name, failures.length === 0, failures.length ? failures.join('; ') : `Chromium ${chrome}: ${pageResults.map((r) => `${r.path} ${r.echoes} echoes, '${r.extensions}'`).join('; ')}`);
}

// ------------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(join(ROOT, 'dist/cjs/index.js'))) {
    process.stderr.write('interop: dist/ is missing; run `npm run build` first\n');
    return 1;
  }
  const b = activeBackend();
  process.stdout.write(`wsframe interop (backend ${b.name}/${b.variant}; WSFRAME_BACKEND selects another)\n`);
  const deadline = setTimeout(() => {
    process.stderr.write('interop: overall time limit (5 min) reached\n');
    for (const c of children) kill(c);
    process.exit(1);
  }, 300_000);
  deadline.unref();

  if (have(PYTHON, ['-c', 'import websockets'])) {
    for (const deflate of [false, true]) {
      await pythonClientToEchoServer(deflate);
      await echoClientToPythonServer(deflate);
    }
  } else {
    record('python websockets', skipMissing ? null : false, `${PYTHON} cannot import websockets (apt-get install python3-websockets)`);
  }
  if (have(CHROMIUM, ['--version'])) {
    await chromium();
  } else {
    record('headless chromium', skipMissing ? null : false, `${CHROMIUM} not found (apt-get install chromium)`);
  }
  const failed = results.filter((r) => r.ok === false).length;
  process.stdout.write(`${results.length - failed} of ${results.length} interop checks passed\n`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
for (const c of children) kill(c);
