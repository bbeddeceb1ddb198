"""Reads a .safetensors file into a dict of CPU tensors without the `safetensors` package (which
PyPI alone ships). The format (huggingface/safetensors, docs "format"): an 8-byte little-endian
header length N, N bytes of a JSON object {name: {dtype, shape, data_offsets: [begin, end]}} with
an optional "__metadata__" of strings, then the data, little-endian and C-ordered, the offsets
relative to its start. Reads are bounded: the header has a size limit, each tensor's bytes lie
inside the file, match its shape and type, and overlap no other tensor's."""
import json
import os
import sys

import torch

# The same limit as the engine's reader (src/engine/weights/safetensors.ts).
MAX_HEADER = 100 * 1024 * 1024
DTYPES = {
    'F64': torch.float64,
    'F32': torch.float32,
    'F16': torch.float16,
    'BF16': torch.bfloat16,
    'I64': torch.int64,
    'I32': torch.int32,
    'I16': torch.int16,
    'I8': torch.int8,
    'U8': torch.uint8,
    'BOOL': torch.bool,
}
SIZES = {'F64': 8, 'F32': 4, 'F16': 2, 'BF16': 2, 'I64': 8, 'I32': 4, 'I16': 2, 'I8': 1, 'U8': 1, 'BOOL': 1}


class SafetensorsError(Exception):
    pass


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise SafetensorsError(f'the key "{key}" appears twice')
        seen[key] = value
    return seen


def _entries(header, label, data_size):
    """(name, dtype, shape, begin, end) for each tensor of the header, every field checked."""
    if not isinstance(header, dict):
        raise SafetensorsError(f'{label}: its header is not a JSON object')
    metadata = header.get('__metadata__')
    if metadata is not None and not isinstance(metadata, dict):
        raise SafetensorsError(f'{label}: its "__metadata__" is not an object')
    entries = []
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        if not isinstance(entry, dict):
            raise SafetensorsError(f'{label}: "{name}" has a malformed header entry (not an object)')
        dtype, shape, offsets = entry.get('dtype'), entry.get('shape'), entry.get('data_offsets')
        if dtype not in DTYPES:
            raise SafetensorsError(
                f'{label}: "{name}" has type {dtype!r}, which is not read ({", ".join(DTYPES)})')
        is_int = lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0  # noqa: E731
        if not isinstance(shape, list) or not all(is_int(d) for d in shape):
            raise SafetensorsError(f'{label}: "{name}" has a malformed shape {shape!r}')
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(is_int(o) for o in offsets):
            raise SafetensorsError(f'{label}: "{name}" has malformed data_offsets {offsets!r}')
        begin, end = offsets
        if end < begin or end > data_size:
            raise SafetensorsError(
                f'{label}: "{name}"\'s data [{begin}, {end}) lies outside the file\'s {data_size} data bytes')
        count = 1
        for d in shape:
            count *= d
        if end - begin != count * SIZES[dtype]:
            raise SafetensorsError(
                f'{label}: "{name}" has shape {shape} of {dtype} ({count * SIZES[dtype]} bytes) '
                f'but data_offsets [{begin}, {end}) hold {end - begin}')
        entries.append((name, dtype, shape, begin, end))
    spans = sorted((e for e in entries if e[4] > e[3]), key=lambda e: e[3])
    for before, after in zip(spans, spans[1:]):
        if after[3] < before[4]:
            raise SafetensorsError(f'{label}: the data of "{before[0]}" and "{after[0]}" overlap')
    return entries


def _tensor(raw, dtype, shape):
    if not raw:
        return torch.zeros(shape, dtype=DTYPES[dtype])
    if sys.byteorder != 'little' and SIZES[dtype] > 1:
        import numpy as np
        raw = bytearray(np.frombuffer(bytes(raw), np.uint8).reshape(-1, SIZES[dtype])[:, ::-1].tobytes())
    # A fresh bytearray per tensor: writable (torch.frombuffer warns otherwise) and aligned.
    return torch.frombuffer(raw, dtype=DTYPES[dtype]).reshape(shape)


def read_safetensors(path):
    """{name: tensor} of the file at path; SafetensorsError naming the file (and the key) when it is damaged."""
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        head = f.read(8)
        if len(head) < 8:
            raise SafetensorsError(f'{path} is too short to be a safetensors file ({size} bytes)')
        length = int.from_bytes(head, 'little')
        if length > min(MAX_HEADER, size - 8):
            raise SafetensorsError(
                f'{path}: its header claims {length} bytes, more than the file holds or the limit of {MAX_HEADER}')
        try:
            header = json.loads(f.read(length).decode('utf-8'), object_pairs_hook=_no_duplicates)
        except SafetensorsError as error:
            raise SafetensorsError(f'{path}: its JSON header is damaged ({error})') from error
        except (UnicodeDecodeError, ValueError) as error:
            raise SafetensorsError(f'{path}: its JSON header is damaged ({error})') from error
        start = 8 + length
        tensors = {}
        for name, dtype, shape, begin, end in _entries(header, path, size - start):
            f.seek(start + begin)
            raw = bytearray(f.read(end - begin))
            if len(raw) != end - begin:
                raise SafetensorsError(f'{path}: "{name}" was cut short while reading')
            if dtype == 'BOOL' and raw.translate(None, b'\x00\x01'):
                # torch would keep other bytes as booleans that are neither true nor false.
                raise SafetensorsError(f'{path}: "{name}" is BOOL but holds bytes other than 0 and 1')
            tensors[name] = _tensor(raw, dtype, shape)
    return tensors
