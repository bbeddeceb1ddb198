"""Writes and reads the PyTorch checkpoints of the weights tests (Debian's python3-torch).

  write SPEC   SPEC is JSON: {"network", "mean", "std", "seed", "file", "wrap", "prefix", "input": [n, h, w, c],
               "inputFile", "logitsFile"}: builds python/ir_model.py's IrModel, moves every parameter
               and BatchNorm statistic away from its initial value, saves its state_dict with
               torch.save (under `wrap` when given, each name prefixed by `prefix`), and writes the
               eval-mode logits of a random NHWC float32 input (also written) as JSON.
  module SPEC  as write, but for the user's own nn.Module: SPEC has "source" (Python text) and "className"
               instead of "network"; the checkpoint holds that module's own state_dict names.
  read SPEC    SPEC: {"network", "file", "inputFile", "input", "logitsFile"}: torch.load(file) into IrModel
               with load_state_dict(strict=True) and writes the logits of the input.
  dtypes FILE OUT   saves tensors of every dtype, views and strides; OUT gets their float32 values.
  evil FILE MARKER  saves, the way torch.save does, an object whose unpickling runs os.system.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'python'))
from ir_model import IrModel  # noqa: E402


def logits_of(model, spec):
    n, h, w, c = spec['input']
    x = np.fromfile(spec['inputFile'], dtype=np.float32).reshape(n, h, w, c)
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(x.copy()).permute(0, 3, 1, 2))
    with open(spec['logitsFile'], 'w', encoding='utf-8') as f:
        json.dump(out.reshape(-1).tolist(), f)


def write(spec, model=None):
    torch.manual_seed(spec['seed'])
    if model is None:
        model = IrModel(spec['network'], spec.get('mean'), spec.get('std'))
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.add_(0.05 * torch.randn_like(p))
        for name, b in model.named_buffers():
            if name.endswith('running_var'):
                b.copy_(0.5 + torch.rand_like(b))
            elif name.endswith('running_mean'):
                b.copy_(0.2 * torch.randn_like(b))
            elif name.endswith('num_batches_tracked'):
                b.fill_(7)
    n, h, w, c = spec['input']
    torch.rand(n, h, w, c).numpy().astype(np.float32).tofile(spec['inputFile'])
    state = model.state_dict()
    prefix = spec.get('prefix', '')
    if prefix:
        state = type(state)((prefix + k, v) for k, v in state.items())
    obj = {spec['wrap']: state, 'epoch': 3, 'best_acc': 0.5} if spec.get('wrap') else state
    torch.save(obj, spec['file'])
    if spec.get('safetensorsFile'):
        write_safetensors(model.state_dict(), spec['safetensorsFile'])
    logits_of(model, spec)


def module(spec):
    scope = {}
    exec(compile(spec['source'], 'model.py', 'exec'), scope)  # the test's own model text
    write(spec, scope[spec['className']]())


def write_safetensors(state, file):
    # The documented layout (u64 header length, JSON header, raw little-endian data), written
    # here with numpy because Debian has no safetensors package.
    kinds = {torch.float32: 'F32', torch.float16: 'F16', torch.int64: 'I64'}
    header, chunks, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for name, t in state.items():
        raw = t.contiguous().numpy().tobytes()
        header[name] = {'dtype': kinds[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode('utf-8')
    with open(file, 'wb') as f:
        f.write(len(text).to_bytes(8, 'little'))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def read(spec):
    model = IrModel(spec['network'])
    model.load_state_dict(torch.load(spec['file']), strict=True)
    logits_of(model, spec)


def dtypes(file, out):
    base = torch.arange(24, dtype=torch.float32).view(2, 3, 4) / 7 - 1
    tensors = {
        'f32': base.clone(),
        'f64': base.double(),
        'f16': base.half(),
        'bf16': base.bfloat16(),
        'i64': torch.arange(-3, 3, dtype=torch.int64),
        'i32': torch.arange(5, dtype=torch.int32) * 1000,
        'u8': torch.arange(4, dtype=torch.uint8) * 60,
        'bool': torch.tensor([True, False, True]),
        'transposed': base[0].t(),
        'offset': base.view(-1)[5:17:3],
        'permuted': base.permute(2, 0, 1),
        'scalar': torch.tensor(2.5),
        'empty': torch.zeros(0, 3),
    }
    # A view of another tensor's storage: saved once, read twice.
    tensors['shares_f32'] = tensors['f32'][1]
    torch.save({'model_state_dict': tensors, 'optimizer': {'lr': 0.1}}, file)
    expected = {k: {'shape': list(v.shape), 'values': v.float().reshape(-1).tolist()} for k, v in tensors.items()}
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(expected, f)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def evil(file, marker):
    torch.save({'state_dict': {'w': torch.ones(2)}, 'payload': Evil(marker)}, file)


if __name__ == '__main__':
    command = sys.argv[1]
    if command in ('write', 'read', 'module'):
        with open(sys.argv[2], encoding='utf-8') as f:
            {'write': write, 'read': read, 'module': module}[command](json.load(f))
    elif command == 'dtypes':
        dtypes(sys.argv[2], sys.argv[3])
    elif command == 'evil':
        evil(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f'unknown command {command}')
