"""Binary frames of the worker protocol, one per request and one per answer.

A frame is: the 4 bytes b'RLTW', the header's length (u32 little-endian), the payload's length
(u64 little-endian), the header (UTF-8 JSON object), then the payload: the raw little-endian
bytes of the arrays the header's "arrays" list names, in that order, each
{"name", "dtype": "f32" | "i32", "shape": [...]}. Numbers never travel as JSON arrays.
Writers pad the header with spaces (valid JSON) so the payload starts 8-aligned within the frame:
the reader can then view the arrays in place instead of copying each one to an aligned buffer.
The TypeScript side is src/engine/torch-backend/frames.ts; the two must agree byte for byte.
"""
import json
import struct

import numpy as np

MAGIC = b'RLTW'
PREFIX = struct.Struct('<4sIQ')
MAX_HEADER = 1 << 20
# One request holds at most this much array data (a batch of 1,000 ImageNet images is 600 MB).
MAX_PAYLOAD = 4 << 30
DTYPES = {'f32': np.dtype('<f4'), 'i32': np.dtype('<i4')}
ALIGN = 8


class FrameError(Exception):
    """A frame that does not follow the protocol; the stream cannot be trusted afterwards."""


def read_exact(stream, n):
    """n bytes into a fresh bytearray (writable, so arrays viewing it need no copy); fewer at the end."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    readinto = getattr(stream, 'readinto', None)
    while got < n:
        if readinto is not None:
            count = readinto(view[got:])
        else:
            chunk = stream.read(n - got)
            count = len(chunk)
            view[got:got + count] = chunk
        if not count:
            del view
            return buf[:got]
        got += count
    return buf


def read_frame(stream):
    """(header dict, {name: np.ndarray}), or None at a clean end of the stream. The arrays view
    one writable buffer per frame."""
    prefix = read_exact(stream, PREFIX.size)
    if not prefix:
        return None
    if len(prefix) < PREFIX.size:
        raise FrameError(f'the stream ended inside a frame prefix ({len(prefix)} of {PREFIX.size} bytes)')
    magic, header_len, payload_len = PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise FrameError(f'a frame must start with {MAGIC!r}, not {magic!r}')
    if header_len > MAX_HEADER:
        raise FrameError(f'a header of {header_len} bytes is over the limit of {MAX_HEADER}')
    if payload_len > MAX_PAYLOAD:
        raise FrameError(f'a payload of {payload_len} bytes is over the limit of {MAX_PAYLOAD}')
    raw = read_exact(stream, header_len)
    if len(raw) < header_len:
        raise FrameError('the stream ended inside a frame header')
    try:
        header = json.loads(raw.decode('utf-8'))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FrameError(f'the frame header is not JSON: {error}') from error
    if not isinstance(header, dict):
        raise FrameError('the frame header must be a JSON object')
    payload = read_exact(stream, payload_len)
    if len(payload) < payload_len:
        raise FrameError('the stream ended inside a frame payload')
    return header, split_arrays(header.get('arrays', []), payload)


def split_arrays(specs, payload):
    if not isinstance(specs, list):
        raise FrameError('"arrays" must be a list')
    arrays = {}
    offset = 0
    for spec in specs:
        if not isinstance(spec, dict):
            raise FrameError('each entry of "arrays" must be an object')
        name, dtype, shape = spec.get('name'), spec.get('dtype'), spec.get('shape')
        if not isinstance(name, str) or name in arrays:
            raise FrameError(f'array name {name!r} is missing or repeated')
        if dtype not in DTYPES:
            raise FrameError(f'{name}: dtype {dtype!r} is not one of {sorted(DTYPES)}')
        sizes = isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)
        if not sizes:
            raise FrameError(f'{name}: shape {shape!r} is not a list of sizes')
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        size = count * DTYPES[dtype].itemsize
        if offset + size > len(payload):
            raise FrameError(f'{name}: {shape} needs {size} bytes but the payload has {len(payload) - offset} left')
        arrays[name] = np.frombuffer(payload, DTYPES[dtype], count, offset).reshape(shape)
        offset += size
    if offset != len(payload):
        raise FrameError(f'the payload has {len(payload) - offset} bytes no array claims')
    return arrays


def encode_head(header, specs, payload_len):
    """The prefix and the JSON header, padded with spaces so the payload starts 8-aligned."""
    raw = json.dumps({**header, 'arrays': specs}).encode('utf-8')
    raw += b' ' * (-(PREFIX.size + len(raw)) % ALIGN)
    return PREFIX.pack(MAGIC, len(raw), payload_len) + raw


def write_all(stream, data):
    # An unbuffered file (the worker's stdout) may take part of a write; the rest must follow.
    view = memoryview(data).cast('B')
    while view.nbytes:
        written = stream.write(view)
        if written is None:  # a non-blocking stream that is full: nothing here sets O_NONBLOCK
            raise BlockingIOError('the frame stream would block')
        view = view[written:]


def write_frame(stream, header, arrays=()):
    """arrays: (name, np.ndarray) pairs, sent as f32 or i32 in this order. Contiguous arrays of
    the wire's dtype are written from their own memory; the head goes in the same write as a
    small first array, so a small answer is one write."""
    specs = []
    blobs = []
    for name, a in arrays:
        kind = 'i32' if np.issubdtype(a.dtype, np.integer) else 'f32'
        data = np.ascontiguousarray(a, dtype=DTYPES[kind])  # C order (a copy only when not already)
        specs.append({'name': name, 'dtype': kind, 'shape': list(np.shape(a))})
        blobs.append(data)
    payload_len = sum(b.nbytes for b in blobs)
    head = encode_head(header, specs, payload_len)
    if payload_len <= 1 << 16:
        write_all(stream, head + b''.join(b.tobytes() for b in blobs))
    else:
        write_all(stream, head)
        for b in blobs:
            if b.nbytes:
                write_all(stream, b)
    stream.flush()
