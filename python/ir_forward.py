"""Logits of IR models (python/ir_model.py) with weights the engine exported, for parity tests.

Reads a JSON manifest: a list of {"network": <network JSON>, "tensors": [[shape, offset], ...],
"mean": [...], "std": [...], "input": [n, h, w, c, offset]} entries over one float32 file. Tensors come
in the engine's order (parameters, then BatchNorm running mean and variance per layer) and in
its layouts (HWIO convs, [in, out] linear weights), and are assigned in PyTorch's parameter
order after transposing. Prints one JSON list of logits lists per entry (eval mode).
"""
import json
import sys

import numpy as np
import torch

from ir_model import IrModel


def main():
    manifest = json.load(open(sys.argv[1], encoding='utf-8'))
    data = np.fromfile(sys.argv[2], dtype=np.float32)
    out = []
    for entry in manifest:
        model = IrModel(entry['network'], entry.get('mean'), entry.get('std'))
        tensors = [torch.from_numpy(data[o:o + int(np.prod(s))].reshape(s).copy()) for s, o in entry['tensors']]
        params = list(model.parameters())
        stats = [b for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for b in (m.running_mean, m.running_var)]
        if len(tensors) != len(params) + len(stats):
            raise SystemExit(f"{entry['network']['name']}: {len(tensors)} tensors for {len(params)} parameters and {len(stats)} statistics")
        with torch.no_grad():
            for target, t in zip(params + stats, tensors):
                if t.dim() == 4:
                    t = t.permute(3, 2, 0, 1)
                elif t.dim() == 2:
                    t = t.t()
                if tuple(t.shape) != tuple(target.shape):
                    raise SystemExit(f'shape {tuple(t.shape)} does not fit {tuple(target.shape)}')
                target.copy_(t)
        n, h, w, c, o = entry['input']
        x = torch.from_numpy(data[o:o + n * h * w * c].reshape(n, h, w, c).copy()).permute(0, 3, 1, 2)
        model.eval()
        with torch.no_grad():
            out.append(model(x).tolist())
    print(json.dumps(out))


if __name__ == '__main__':
    main()
