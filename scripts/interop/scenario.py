"""The exchange every Python interop run performs, whichever side wsframe plays.

Python's `websockets` drives: it sends text and binary messages of every length class (one frame
and fragmented), pings, checks that wsframe echoes each message with its type, byte for byte and
in order, then closes with 1000 and checks that wsframe answers the close.
"""
import asyncio
import random

SIZES = [0, 1, 125, 126, 127, 65535, 65536, 1024 * 1024]


def _text(rnd, n):
    out = []
    size = 0
    while size < n:
        r = rnd.random()
        cp = rnd.randrange(0x20, 0x80) if r < 0.5 else rnd.randrange(0x80, 0x800) if r < 0.7 \
            else rnd.randrange(0xE000, 0x10000) if r < 0.85 else rnd.randrange(0x10000, 0x110000)
        ch = chr(cp)
        out.append(ch)
        size += len(ch.encode('utf-8'))
    return ''.join(out)


def messages():
    rnd = random.Random(6455)
    msgs = [_text(rnd, n) for n in SIZES]
    msgs += [bytes(rnd.getrandbits(8) for _ in range(n)) if n < 70000 else rnd.randbytes(n) for n in SIZES]
    return msgs


async def drive(ws, timeout=20):
    """Runs the exchange on an open connection; returns a list of failures (empty: all good)."""
    failures = []
    msgs = messages()
    for m in msgs:
        await ws.send(m)
    # Fragmented messages: websockets sends an iterable as one message in several frames.
    await ws.send(['frag', 'mented ☺', ' text'])
    await ws.send([b'\x00\x01', b'', b'\xfe\xff'])
    expected = msgs + ['fragmented ☺ text', b'\x00\x01\xfe\xff']
    pong = await ws.ping(b'ping \x00\xff')
    try:
        await asyncio.wait_for(pong, timeout)
    except asyncio.TimeoutError:
        failures.append('no pong')
    for i, want in enumerate(expected):
        try:
            got = await asyncio.wait_for(ws.recv(), timeout)
        except Exception as e:  # noqa: BLE001 - report whatever ended the exchange
            failures.append(f'message {i}: no echo ({type(e).__name__}: {e})')
            break
        if type(got) is not type(want) or got != want:
            failures.append(f'message {i}: echo differs ({type(want).__name__} of {len(want)} sent, '
                            f'{type(got).__name__} of {len(got)} back)')
    await asyncio.wait_for(ws.close(1000, 'bye'), timeout)
    if ws.close_code != 1000:
        failures.append(f'close answered with {ws.close_code} {ws.close_reason!r}')
    return failures, len(expected)
