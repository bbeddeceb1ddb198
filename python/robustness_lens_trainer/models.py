"""The model a run trains: a network of the IR (python/ir_model.py) with the engine's initial
weights, or any nn.Module an entry `FILE.py:factory(args)` builds (this runs the user's file: the
CLI requires --trust-code for it, as params --exact asks for it)."""
import ast
import importlib.util
import json
import os
import re
import sys

import numpy as np
import torch

ENTRY = re.compile(r'^(?P<file>.+\.py):(?P<name>[A-Za-z_]\w*)(?P<call>\(.*\))?$', re.S)


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


def parse_entry(entry):
    """`FILE.py:name` or `FILE.py:name(literal args)` -> (file, name, args, kwargs)."""
    m = ENTRY.match(entry.strip())
    if not m:
        raise ModelError(f'"{entry}" is not an entry FILE.py:factory or FILE.py:factory(args)')
    args, kwargs = [], {}
    if m.group('call'):
        try:
            call = ast.parse(m.group('name') + m.group('call'), mode='eval').body
            args = [ast.literal_eval(a) for a in call.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        except (SyntaxError, ValueError) as error:
            raise ModelError(f'{entry}: the arguments must be Python literals ({error})') from error
    return m.group('file'), m.group('name'), args, kwargs


def build_entry(entry, base_dir=None):
    file, name, args, kwargs = parse_entry(entry)
    path = file if os.path.isabs(file) or base_dir is None else os.path.join(base_dir, file)
    if not os.path.isfile(path):
        raise ModelError(f'{entry}: no file {path}')
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location('robustness_lens_entry', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    factory = getattr(module, name, None)
    if factory is None:
        raise ModelError(f'{path} has no {name}')
    model = factory(*args, **kwargs)
    if not isinstance(model, torch.nn.Module):
        raise ModelError(f'{entry} returned {type(model).__name__}, not a torch.nn.Module')
    return model


def build_model(spec, run_dir):
    """spec: {"kind": "ir", "network": {...}, "mean", "std", "init": "init.rlck"} or
    {"kind": "entry", "entry": "FILE.py:factory(...)", "init": optional "init.pt" state dict}."""
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
            model.load_state_dict(torch.load(os.path.join(run_dir, spec['init']), map_location='cpu'))
        return model
    raise ModelError(f'unknown model kind {spec["kind"]}')
