"""The images a run trains and evaluates on, as the CLI wrote them into the run folder.

The CLI reads the user's data with the engine's own readers (MNIST IDX, CIFAR binaries, image
folders, the bundled digits), takes the training subset and the held-out evaluation images exactly
as the engine does, and writes them to <run>/data.rlds, so both trainers see the same pixels in the
same order. Layout: b"RLDS", a little-endian uint32 header length, a UTF-8 JSON header
{"version": 1, "dtype": "uint8" | "float32", "shape": [h, w, c], "numClasses": k,
 "splits": {"train": {"n", "images", "labels"}, "eval": {...}}} whose offsets count bytes after the
header, then the data: images NHWC (uint8 means value / 255), labels int32.
"""
import json
import os

import numpy as np

MAGIC = b'RLDS'


class DataFileError(Exception):
    pass


def read_data_file(path):
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        head = f.read(8)
        if len(head) < 8 or head[:4] != MAGIC:
            raise DataFileError(f'{path} is not a Robustness Lens data file')
        length = int.from_bytes(head[4:8], 'little')
        if 8 + length > size:
            raise DataFileError(f'{path} is truncated (its header runs past the end)')
        header = json.loads(f.read(length).decode('utf-8'))
    base = 8 + length
    h, w, c = header['shape']
    itemsize = 1 if header['dtype'] == 'uint8' else 4
    dtype = np.uint8 if itemsize == 1 else np.float32
    splits = {}
    for name, split in header['splits'].items():
        n = int(split['n'])
        image_bytes = n * h * w * c * itemsize
        if base + split['images'] + image_bytes > size or base + split['labels'] + 4 * n > size:
            raise DataFileError(f'{path}: the {name} split runs past the end of the file')
        images = np.fromfile(path, dtype=dtype, count=n * h * w * c, offset=base + split['images'])
        images = images.reshape(n, h, w, c).astype(np.float32)
        if itemsize == 1:
            images /= np.float32(255)
        labels = np.fromfile(path, dtype='<i4', count=n, offset=base + split['labels']).astype(np.int64)
        if n and (labels.min() < 0 or labels.max() >= header['numClasses']):
            raise DataFileError(f'{path}: a {name} label lies outside [0, {header["numClasses"]})')
        splits[name] = (images, labels)
    return header, splits


def write_data_file(path, shape, num_classes, splits, dtype='float32'):
    """The same layout from numpy arrays (tests and tools); written atomically."""
    from .atomic import write_bytes_atomic
    chunks, entries, offset = [], {}, 0
    for name, (images, labels) in splits.items():
        raw = (np.round(images * 255).astype(np.uint8) if dtype == 'uint8' else images.astype('<f4')).tobytes()
        lab = np.asarray(labels, dtype='<i4').tobytes()
        entries[name] = {'n': int(len(labels)), 'images': offset, 'labels': offset + len(raw)}
        chunks += [raw, lab]
        offset += len(raw) + len(lab)
    header = json.dumps({'version': 1, 'dtype': dtype, 'shape': list(shape), 'numClasses': num_classes,
                         'splits': entries}).encode()
    write_bytes_atomic(path, MAGIC + len(header).to_bytes(4, 'little') + header + b''.join(chunks))
