"""Builds the module the worker runs: a network of the IR (python/ir_model.py), or any nn.Module
an entry `FILE.py:factory(args)` or `package.module:factory(args)` makes (running the user's code:
the engine asks for --trust-code first), with optional weights from a torch.save or .safetensors file."""
import ast
import importlib
import importlib.util
import os
import re
import sys

import torch

from .safetensors_file import SafetensorsError, read_safetensors

# A target may start with a Windows drive (C:\models\net.py, C:/x/net.py), whose colon is not the separator.
ENTRY = re.compile(r'^(?P<target>(?:[A-Za-z]:[\\/])?[^:]+):(?P<name>[A-Za-z_]\w*)(?P<call>\(.*\))?$', re.S)
MODULE = re.compile(r'^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$')
# Where real checkpoints nest their state dict (RobustBench, torchvision recipes, DataParallel runs).
WRAPPER_KEYS = ('state_dict', 'model_state_dict', 'model', 'net', 'network')


class SourceError(Exception):
    pass


def parse_entry(entry):
    """-> (target, name, args, kwargs): target a FILE.py or a dotted module name."""
    m = ENTRY.match(entry.strip())
    if not m:
        raise SourceError(f'"{entry}" is not an entry FILE.py:factory(args) or package.module:factory(args)')
    target = m.group('target')
    if not target.endswith('.py') and not MODULE.match(target):
        raise SourceError(f'"{entry}": {target} is neither a .py file nor a dotted module name')
    args, kwargs = [], {}
    if m.group('call'):
        try:
            call = ast.parse(m.group('name') + m.group('call'), mode='eval').body
            args = [ast.literal_eval(a) for a in call.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        except (SyntaxError, ValueError) as error:
            raise SourceError(f'{entry}: the arguments must be Python literals ({error})') from error
    return target, m.group('name'), args, kwargs


def build_entry(entry, base_dir):
    target, name, args, kwargs = parse_entry(entry)
    base = base_dir or os.getcwd()
    if target.endswith('.py'):
        path = target if os.path.isabs(target) else os.path.join(base, target)
        if not os.path.isfile(path):
            raise SourceError(f'{entry}: no file {path}')
        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
        spec = importlib.util.spec_from_file_location('robustness_lens_entry', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        sys.path.insert(0, os.path.abspath(base))
        try:
            module = importlib.import_module(target)
        except ImportError as error:
            raise SourceError(f'{entry}: cannot import {target} from {base} ({error})') from error
    factory = getattr(module, name, None)
    if factory is None:
        raise SourceError(f'{target} has no {name}')
    # A module-level instance (`model = Net()`) is the model itself: called, it would run forward().
    if isinstance(factory, torch.nn.Module) and not args and not kwargs:
        return factory
    model = factory(*args, **kwargs)
    if not isinstance(model, torch.nn.Module):
        raise SourceError(f'{entry} returned {type(model).__name__}, not a torch.nn.Module')
    return model


def build(source):
    """source: {"kind": "ir", "network": {...}} or {"kind": "entry", "entry": ..., "baseDir": ...}."""
    kind = source.get('kind') if isinstance(source, dict) else None
    if kind == 'ir':
        from ir_model import IrModel
        return IrModel(source['network'], source.get('mean'), source.get('std'))
    if kind == 'entry':
        return build_entry(str(source.get('entry', '')), source.get('baseDir'))
    raise SourceError(f'unknown model source {kind!r}; ir or entry')


def unwrap_state_dict(obj, label):
    """The state dict inside a checkpoint object, 'module.' prefixes removed, and notes saying how."""
    notes = []
    for _ in range(3):
        if isinstance(obj, torch.nn.Module):
            notes.append('a whole pickled module: its state_dict() is used')
            obj = obj.state_dict()
            break
        if isinstance(obj, dict) and not all(isinstance(v, torch.Tensor) for v in obj.values()):
            key = next((k for k in WRAPPER_KEYS if k in obj), None)
            if key is None:
                raise SourceError(f'{label} holds a dict without tensors under any of {", ".join(WRAPPER_KEYS)}')
            notes.append(f'the state dict under "{key}"')
            obj = obj[key]
            continue
        break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise SourceError(f'{label} holds no state dict of tensors')
    prefixes = ('module.', '_orig_mod.')
    for prefix in prefixes:
        if obj and all(k.startswith(prefix) for k in obj):
            obj = {k[len(prefix):]: v for k, v in obj.items()}
            notes.append(f'"{prefix}" prefixes removed')
    return obj, notes


def load_weights(model, path):
    if not os.path.isfile(path):
        raise SourceError(f'no weights file {path}')
    raw = read_weights_file(path)
    state, notes = unwrap_state_dict(raw, path)
    own = model.state_dict()
    # Buffers a model may declare optional (IrModel's input normalisation): absent, they keep their values.
    kept = [k for k in getattr(model, 'OPTIONAL_STATE', ()) if k in own and k not in state]
    if kept:
        state = {**state, **{k: own[k] for k in kept}}
        notes.append(f'no {", ".join(kept)} in the file: the model\'s own kept')
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shaped = [k for k, v in state.items() if k in own and tuple(own[k].shape) != tuple(v.shape)]
    if missing or unexpected or shaped:
        parts = [f'{title}: {", ".join(keys[:8])}{" ..." if len(keys) > 8 else ""}'
                 for title, keys in (('missing', missing), ('unexpected', unexpected), ('wrongly shaped', shaped))
                 if keys]
        raise SourceError(f'{path} does not fit the model ({"; ".join(parts)})')
    model.load_state_dict(state, strict=True)
    return notes


def read_weights_file(path):
    """The object a weights file holds: a .safetensors file's flat dict of tensors, else torch.load's."""
    if path.lower().endswith('.safetensors'):
        try:
            return read_safetensors(path)
        except SafetensorsError as error:
            raise SourceError(str(error)) from error
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except TypeError:
        # torch before 1.13 has no weights_only; the caller has already trusted the model's code.
        return torch.load(path, map_location='cpu')
    except Exception as error:  # the unpickler raises many kinds
        raise SourceError(f'{path} cannot be read as plain tensors ({type(error).__name__}: {error})') from error
