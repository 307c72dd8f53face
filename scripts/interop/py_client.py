"""Python websockets as the client of a wsframe server: `python3 py_client.py URL [--deflate]`.

Prints one JSON line with the result; exits 0 when every echo, the pong and the close were right.
"""
import asyncio
import json
import sys

import websockets

from scenario import drive


async def main(url, deflate):
    async with websockets.connect(url, compression='deflate' if deflate else None, max_size=None,
                                  open_timeout=10, close_timeout=10) as ws:
        ext = ws.response_headers.get('Sec-WebSocket-Extensions') or ''
        failures, count = await drive(ws)
    if deflate != ext.startswith('permessage-deflate'):
        failures.append(f'extension negotiated: {ext!r}')
    print(json.dumps({'websockets': websockets.__version__, 'extensions': ext, 'messages': count,
                      'failures': failures}))
    return 0 if not failures else 1


if __name__ == '__main__':
    sys.exit(asyncio.run(main(sys.argv[1], '--deflate' in sys.argv[2:])))
