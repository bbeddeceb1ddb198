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

from ir_model import IrModel, assign_engine_tensors


def main():
    manifest = json.load(open(sys.argv[1], encoding='utf-8'))
    data = np.fromfile(sys.argv[2], dtype=np.float32)
    out = []
    for entry in manifest:
        model = IrModel(entry['network'], entry.get('mean'), entry.get('std'))
        tensors = [(f'tensor {i}', torch.from_numpy(data[o:o + int(np.prod(s))].reshape(s).copy()))
                   for i, (s, o) in enumerate(entry['tensors'])]
        try:
            assign_engine_tensors(model, tensors)
        except ValueError as error:
            raise SystemExit(f"{entry['network']['name']}: {error}") from error
        n, h, w, c, o = entry['input']
        x = torch.from_numpy(data[o:o + n * h * w * c].reshape(n, h, w, c).copy()).permute(0, 3, 1, 2)
        model.eval()
        with torch.no_grad():
            out.append(model(x).tolist())
    print(json.dumps(out))


if __name__ == '__main__':
    main()
