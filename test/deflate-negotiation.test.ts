import { describe, expect, it } from 'vitest';
import { formatExtensions, parseExtensions } from '../ts/extension-header.js';
import {
  acceptDeflateOffer, acceptDeflateResponse, buildDeflateOffer, validateDeflateOptions,
} from '../ts/deflate-negotiation.js';
import { wsExtension, WsPerMessageDeflate } from './deflate-helpers.js';

describe('Sec-WebSocket-Extensions parsing (RFC 6455 §9.1, RFC 7230 lists)', () => {
  it('parses several extensions, parameters with and without values, in order', () => {
    expect(parseExtensions('permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo, permessage-deflate')).toEqual([
      { name: 'permessage-deflate', params: [['client_max_window_bits', true], ['server_max_window_bits', '10']] },
      { name: 'x-foo', params: [] },
      { name: 'permessage-deflate', params: [] },
    ]);
  });

  it('tolerates optional whitespace, tabs and empty list elements', () => {
    expect(parseExtensions(' ,a ;\tb = 1 ;c,, d ,')).toEqual([
      { name: 'a', params: [['b', '1'], ['c', true]] },
      { name: 'd', params: [] },
    ]);
  });

  it('unescapes quoted values and keeps duplicates for the extension to judge', () => {
    expect(parseExtensions('e; p="1\\0"; p=2')).toEqual([{ name: 'e', params: [['p', '10'], ['p', '2']] }]);
  });

  it('joins several header lines like one comma list', () => {
    expect(parseExtensions(['a; x', 'b'])).toEqual([{ name: 'a', params: [['x', true]] }, { name: 'b', params: [] }]);
    expect(parseExtensions(undefined)).toEqual([]);
    expect(parseExtensions('   ')).toEqual([]);
  });

  it.each([
    ['a;', 'missing parameter name'],
    ['a; =1', 'missing parameter name'],
    ['a; b=', 'missing value'],
    ['a b', 'space inside an element'],
    ['a; b="1 2"', 'quoted value that is not a token'],
    ['a; b=""', 'empty quoted value'],
    ['a; b="10', 'unterminated quote'],
    ['a; b=1 2', 'two values'],
    ['a, ;b', 'parameter without extension'],
    ['a; b=@', 'separator as value'],
    ['pérmessage-deflate', 'non-token character'],
    ['a; b="\u0001"', 'control character'],
  ])('rejects %j (%s)', (header) => {
    expect(() => parseExtensions(header)).toThrow(expect.objectContaining({ code: 'WSFRAME_ERR_EXTENSIONS_HEADER' }));
  });

  it('agrees with ws on what it accepts, and formats headers ws parses back', () => {
    const header = 'permessage-deflate; client_no_context_takeover; server_max_window_bits=12, foo; bar=baz';
    const ours = parseExtensions(header);
    const theirs = wsExtension.parse(header);
    expect(Object.keys(theirs)).toEqual(['permessage-deflate', 'foo']);
    expect(theirs['permessage-deflate'][0]).toEqual({ client_no_context_takeover: [true], server_max_window_bits: ['12'] });
    expect(wsExtension.parse(formatExtensions(ours))).toEqual(theirs);
  });
});

describe('server: accepting an offer (RFC 7692 §7.1)', () => {
  it('accepts a bare offer with every default and answers with the bare name', () => {
    expect(acceptDeflateOffer('permessage-deflate')).toEqual({
      params: { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
      response: 'permessage-deflate',
    });
  });

  it('answers null without an offer of the extension', () => {
    expect(acceptDeflateOffer(undefined)).toBeNull();
    expect(acceptDeflateOffer('x-webkit-deflate-frame')).toBeNull();
  });

  it('echoes server_no_context_takeover and client_no_context_takeover when offered', () => {
    const r = acceptDeflateOffer('permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    expect(r?.response).toBe('permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    expect(r?.params.serverNoContextTakeover).toBe(true);
    expect(r?.params.clientNoContextTakeover).toBe(true);
  });

  it('adds the no-context-takeover parameters its options ask for', () => {
    const r = acceptDeflateOffer('permessage-deflate', { serverNoContextTakeover: true, clientNoContextTakeover: true });
    expect(r?.response).toBe('permessage-deflate; server_no_context_takeover; client_no_context_takeover');
  });

  it('declines offers requiring server_no_context_takeover when told not to reset', () => {
    expect(acceptDeflateOffer('permessage-deflate; server_no_context_takeover', { serverNoContextTakeover: false })).toBeNull();
    expect(acceptDeflateOffer('permessage-deflate; server_no_context_takeover, permessage-deflate', { serverNoContextTakeover: false })?.response)
      .toBe('permessage-deflate');
  });

  it('uses the smaller of the offered and configured server window', () => {
    expect(acceptDeflateOffer('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 12 })?.response)
      .toBe('permessage-deflate; server_max_window_bits=10');
    expect(acceptDeflateOffer('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 9 })?.params.serverMaxWindowBits).toBe(9);
    expect(acceptDeflateOffer('permessage-deflate', { serverMaxWindowBits: 11 })?.response).toBe('permessage-deflate; server_max_window_bits=11');
  });

  it('sets client_max_window_bits only for clients that offered it', () => {
    expect(acceptDeflateOffer('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })?.response)
      .toBe('permessage-deflate; client_max_window_bits=10');
    expect(acceptDeflateOffer('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 10 })?.params.clientMaxWindowBits).toBe(9);
    expect(acceptDeflateOffer('permessage-deflate', { clientMaxWindowBits: 10 })).toBeNull();
    // Without the option a valueless offer changes nothing, and a client's own limit is echoed.
    expect(acceptDeflateOffer('permessage-deflate; client_max_window_bits')?.response).toBe('permessage-deflate');
    expect(acceptDeflateOffer('permessage-deflate; client_max_window_bits=12')?.response).toBe('permessage-deflate; client_max_window_bits=12');
  });

  it('accepts a window of 8 (and the codec then sends uncompressed)', () => {
    expect(acceptDeflateOffer('permessage-deflate; server_max_window_bits=8')?.params.serverMaxWindowBits).toBe(8);
  });

  it.each([
    ['permessage-deflate; foo', 'unknown parameter'],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', 'duplicate'],
    ['permessage-deflate; client_max_window_bits=10; client_max_window_bits=11', 'duplicate with values'],
    ['permessage-deflate; server_no_context_takeover=1', 'value on a flag'],
    ['permessage-deflate; server_max_window_bits', 'server window without value'],
    ['permessage-deflate; server_max_window_bits=7', 'window below 8'],
    ['permessage-deflate; server_max_window_bits=16', 'window above 15'],
    ['permessage-deflate; client_max_window_bits=010', 'leading zero'],
    ['permessage-deflate; client_max_window_bits=1e1', 'not decimal'],
  ])('declines an invalid offer %j (%s) and takes the next valid one', (bad) => {
    expect(acceptDeflateOffer(bad)).toBeNull();
    const r = acceptDeflateOffer(`${bad}, permessage-deflate; server_max_window_bits=11`);
    expect(r?.response).toBe('permessage-deflate; server_max_window_bits=11');
  });

  it('reads quoted parameter values', () => {
    expect(acceptDeflateOffer('permessage-deflate; server_max_window_bits="10"')?.params.serverMaxWindowBits).toBe(10);
  });

  it('throws on a malformed header (the handshake answers 400)', () => {
    expect(() => acceptDeflateOffer('permessage-deflate; =')).toThrow(expect.objectContaining({ code: 'WSFRAME_ERR_EXTENSIONS_HEADER' }));
  });
});

describe('client: offer and response (RFC 7692 §5.1, §7.1)', () => {
  it('builds offers from options', () => {
    expect(buildDeflateOffer()).toBe('permessage-deflate; client_max_window_bits');
    expect(buildDeflateOffer({ clientMaxWindowBits: false })).toBe('permessage-deflate');
    expect(buildDeflateOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 }))
      .toBe('permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9');
  });

  it('reads accepted parameters, absent windows as 15', () => {
    expect(acceptDeflateResponse('permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12')).toEqual({
      serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 10, clientMaxWindowBits: 12,
    });
    expect(acceptDeflateResponse('permessage-deflate; client_no_context_takeover')).toEqual({
      serverNoContextTakeover: false, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15,
    });
  });

  it('keeps to its own offered client window when the server leaves it out', () => {
    expect(acceptDeflateResponse('permessage-deflate', { clientMaxWindowBits: 10 })?.clientMaxWindowBits).toBe(10);
  });

  it('answers null when the server did not accept the extension', () => {
    expect(acceptDeflateResponse(undefined)).toBeNull();
    expect(acceptDeflateResponse('x-other')).toBeNull();
  });

  it.each([
    ['permessage-deflate, permessage-deflate', {}, 'the extension twice'],
    ['permessage-deflate; foo', {}, 'unknown parameter'],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}, 'duplicate'],
    ['permessage-deflate; client_max_window_bits', {}, 'client window without value'],
    ['permessage-deflate; client_max_window_bits=10', { clientMaxWindowBits: false }, 'client window not offered'],
    ['permessage-deflate; client_max_window_bits=11', { clientMaxWindowBits: 10 }, 'client window above the offer'],
    ['permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }, 'server window above the offer'],
    ['permessage-deflate; server_max_window_bits=16', {}, 'server window out of range'],
    ['permessage-deflate; client_no_context_takeover', { clientNoContextTakeover: false }, 'reset refused by option'],
  ])('fails the connection on %j with %j (%s)', (header, options) => {
    expect(() => acceptDeflateResponse(header, options)).toThrow(expect.objectContaining({ code: 'WSFRAME_ERR_EXTENSION_NEGOTIATION' }));
  });
});

describe('negotiation interop with ws', () => {
  const cases = [
    {},
    { serverNoContextTakeover: true },
    { clientNoContextTakeover: true },
    { serverMaxWindowBits: 10 },
    { clientMaxWindowBits: 9 },
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 11 },
  ];

  it.each(cases)('a ws client offer %j is accepted by wsframe and ws accepts the response', (opts) => {
    const wsClient = new WsPerMessageDeflate({ ...opts, isServer: false });
    const offer = wsExtension.format({ 'permessage-deflate': [wsClient.offer()] });
    const accepted = acceptDeflateOffer(offer, opts);
    expect(accepted).not.toBeNull();
    const wsParams = wsClient.accept(wsExtension.parse(accepted!.response)['permessage-deflate']);
    expect(!!wsParams.server_no_context_takeover).toBe(accepted!.params.serverNoContextTakeover);
    expect(!!wsParams.client_no_context_takeover).toBe(accepted!.params.clientNoContextTakeover);
    expect(wsParams.server_max_window_bits ?? 15).toBe(accepted!.params.serverMaxWindowBits);
    expect(wsParams.client_max_window_bits ?? 15).toBe(accepted!.params.clientMaxWindowBits);
  });

  it.each(cases)('a wsframe client offer %j is accepted by a ws server and wsframe accepts its response', (opts) => {
    const wsServer = new WsPerMessageDeflate({ ...opts, isServer: true });
    const wsParams = wsServer.accept(wsExtension.parse(buildDeflateOffer(opts))['permessage-deflate']);
    const ours = acceptDeflateResponse(wsExtension.format({ 'permessage-deflate': [wsParams] }), opts);
    expect(ours).not.toBeNull();
    expect(ours!.serverNoContextTakeover).toBe(!!wsParams.server_no_context_takeover);
    expect(ours!.serverMaxWindowBits).toBe(wsParams.server_max_window_bits ?? 15);
  });
});

describe('option validation', () => {
  it('rejects windows zlib cannot use, bad thresholds and limits', () => {
    expect(() => validateDeflateOptions({ serverMaxWindowBits: 8 })).toThrow(RangeError);
    expect(() => validateDeflateOptions({ clientMaxWindowBits: 16 })).toThrow(RangeError);
    expect(() => validateDeflateOptions({ threshold: -1 })).toThrow(RangeError);
    expect(() => validateDeflateOptions({ concurrencyLimit: 0 })).toThrow(RangeError);
    expect(() => validateDeflateOptions(null as never)).toThrow(TypeError);
    expect(() => validateDeflateOptions({ serverMaxWindowBits: 9, clientMaxWindowBits: 8, threshold: 0, concurrencyLimit: 1 })).not.toThrow();
    expect(() => validateDeflateOptions({ clientMaxWindowBits: true })).not.toThrow();
  });
});
