"""The model a run trains: a network of the IR (python/ir_model.py) with the engine's initial
weights, or any nn.Module an entry `FILE.py:factory(args)` builds (this runs the user's file: the
CLI requires --trust-code for it, as params --exact asks for it)."""
import json
import os

import numpy as np
import torch


class ModelError(Exception):
    pass


def read_rlck(path):
    """The engine's checkpoint format (src/engine/train/checkpoint.ts): ordered (name, array) pairs."""
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:4] != b'RLCK' or len(raw) < 8:
        raise ModelError(f'{path} is not a Robustness Lens checkpoint')
    length = int.from_bytes(raw[4:8], 'little')
    header = json.loads(raw[8:8 + length].decode('utf-8'))
    data = np.frombuffer(raw, dtype='<f4', offset=8 + length)
    out = []
    for e in header['tensors']:
        if e['offset'] + e['length'] > data.size:
            raise ModelError(f'{path} is truncated')
        out.append((e['name'], data[e['offset']:e['offset'] + e['length']].reshape(e['shape']).copy()))
    return out, header.get('meta')


def assign_engine_tensors(model, tensors):
    """The engine's (name, array) pairs onto an IR model (python/ir_model.py), momentum slots left out."""
    from ir_model import assign_engine_tensors as assign
    kept = [(n, torch.from_numpy(t)) for n, t in tensors if not n.startswith('momentum:')]
    try:
        assign(model, kept)
    except ValueError as error:
        raise ModelError(str(error)) from error


def build_entry(entry, base_dir=None):
    """The nn.Module an entry builds, as the torch back end's worker builds it (one parser for both)."""
    from robustness_lens_worker.model_source import SourceError, build_entry as build
    try:
        return build(entry, base_dir)
    except SourceError as error:
        raise ModelError(str(error)) from error


def load_init_weights(model, path):
    """A PyTorch file into an entry's model (fine-tuning), by the worker's loader: torch.load with
    weights_only=True, the usual wrappers ("state_dict", "model", ...) and "module." prefixes, and
    one message naming every missing, unexpected and wrongly shaped key."""
    from robustness_lens_worker.model_source import SourceError, load_weights
    try:
        return load_weights(model, path)
    except SourceError as error:
        raise ModelError(str(error)) from error


def build_model(spec, run_dir):
    """spec: {"kind": "ir", "network": {...}, "mean", "std", "init": "init.rlck"} or
    {"kind": "entry", "entry": "FILE.py:factory(...)", "init": optional state dict file, relative
    to the run folder or absolute (--init-weights)}."""
    if spec['kind'] == 'ir':
        from ir_model import IrModel
        model = IrModel(spec['network'], spec.get('mean'), spec.get('std'))
        if spec.get('init'):
            tensors, _ = read_rlck(os.path.join(run_dir, spec['init']))
            assign_engine_tensors(model, tensors)
        return model
    if spec['kind'] == 'entry':
        model = build_entry(spec['entry'], spec.get('baseDir'))
        if spec.get('init'):
            load_init_weights(model, os.path.join(run_dir, spec['init']))
        return model
    raise ModelError(f'unknown model kind {spec["kind"]}')
