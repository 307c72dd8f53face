"""Python websockets as the server of a wsframe client: `python3 py_server.py [--deflate]`.

Prints `PORT n` once listening on 127.0.0.1, drives the exchange on the first connection, prints
one JSON line with the result and exits 0 when every echo, the pong and the close were right.
"""
import asyncio
import json
import sys

import websockets

from scenario import drive


async def main(deflate):
    done = asyncio.get_running_loop().create_future()

    async def handler(ws, *_path):
        try:
            ext = ws.response_headers.get('Sec-WebSocket-Extensions') or ''
            result = await drive(ws)
            done.set_result((ext,) + result)
        except Exception as e:  # noqa: BLE001 - report it instead of a stack trace
            done.set_result(('', [f'{type(e).__name__}: {e}'], 0))

    async with websockets.serve(handler, '127.0.0.1', 0, compression='deflate' if deflate else None,
                                max_size=None, close_timeout=10) as server:
        print(f'PORT {server.sockets[0].getsockname()[1]}', flush=True)
        ext, failures, count = await asyncio.wait_for(done, 60)
    if deflate != ext.startswith('permessage-deflate'):
        failures.append(f'extension negotiated: {ext!r}')
    print(json.dumps({'websockets': websockets.__version__, 'extensions': ext, 'messages': count,
                      'failures': failures}), flush=True)
    return 0 if not failures else 1


if __name__ == '__main__':
    sys.exit(asyncio.run(main('--deflate' in sys.argv[1:])))
