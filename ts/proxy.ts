/**
 * Tunnelling through an HTTP proxy (RFC 6455 §4.1 requirement 2, RFC 9110 §9.3.6): `CONNECT
 * host:port` to the proxy, then the WebSocket handshake (and TLS for wss://) runs inside the tunnel.
 */
import { request } from 'node:http';
import type { ClientRequest, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { wsError } from './errors.js';
import type { WsFrameError } from './errors.js';

/** An HTTP proxy: its URL (`http://user:pass@host:port`, credentials become Basic auth) plus extra headers. */
export interface ProxyOptions {
  url: string | URL;
  headers?: OutgoingHttpHeaders;
}

/** A checked proxy: its URL and extra headers. */
export interface Proxy {
  url: URL;
  headers?: OutgoingHttpHeaders;
}

/** Checks the `proxy` option (an http:// URL with a host); throws WS_ERR_INVALID_URL otherwise. */
export function parseProxy(proxy: string | URL | ProxyOptions): Proxy {
  const opts = typeof proxy === 'string' || proxy instanceof URL ? { url: proxy } : proxy;
  let url: URL;
  try {
    url = new URL(String(opts.url));
  } catch {
    throw wsError('WS_ERR_INVALID_URL', `Invalid proxy URL: ${String(opts.url)}`);
  }
  if (url.protocol !== 'http:' || url.hostname === '') {
    throw wsError('WS_ERR_INVALID_URL', `The proxy must be an http:// URL with a host (got ${url.href})`);
  }
  return { url, headers: opts.headers };
}

/**
 * Opens a tunnel to `host:port` through the proxy. Calls back once with the raw socket (bytes the
 * proxy sent after its answer are put back into it) or with an error: a proxy that cannot be
 * reached, or one that answers anything but 2xx. Returns the request, so a timeout can destroy it.
 */
export function openTunnel(
  proxy: Proxy,
  host: string,
  port: number,
  callback: (err: WsFrameError | null, socket?: Socket) => void,
): ClientRequest {
  const url = proxy.url;
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const headers: OutgoingHttpHeaders = { ...proxy.headers, Host: authority };
  if (url.username !== '' || url.password !== '') {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers['Proxy-Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  let called = false;
  const done = (err: WsFrameError | null, socket?: Socket): void => {
    if (called) return;
    called = true;
    callback(err, socket);
  };
  const req = request({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 80 : Number(url.port),
    method: 'CONNECT',
    path: authority,
    headers,
    agent: false,
  });
  req.once('connect', (res, socket, head) => {
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      socket.destroy();
      done(wsError('WS_ERR_PROXY', `Proxy refused CONNECT ${authority}: ${status} ${res.statusMessage ?? ''}`.trim()));
      return;
    }
    if (head.length > 0) socket.unshift(head);
    done(null, socket);
  });
  req.once('response', (res) => {
    res.resume();
    done(wsError('WS_ERR_PROXY', `Proxy answered CONNECT ${authority} with ${res.statusCode}`));
  });
  req.once('error', (err) => done(wsError('WS_ERR_PROXY', `Proxy ${url.host} failed: ${err.message}`)));
  req.end();
  return req;
}
