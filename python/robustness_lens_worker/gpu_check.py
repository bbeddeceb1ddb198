"""The torch back end on a GPU machine without Node: drives the worker through its protocol
(client.py) exactly as the TypeScript TorchClassifier does, and prints one JSON line.

1. loads a small residual CNN (written here, with a factory) on the CPU and on --device;
2. gives both the same state, and compares their logits and the five objectives' input gradients;
3. times PGD-10 through the worker (the step written here on the client's side, with numpy, as
   the engine writes it in TypeScript) against the same PGD-10 written directly in PyTorch on
   the device, in the same process, turn about.

usage: python3 -m robustness_lens_worker.gpu_check [--device cuda] [--batch 128] [--rounds 3]"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

from .client import WorkerClient
from .objectives import KINDS

MODEL_FILE = '''import torch.nn as nn


class Block(nn.Module):
    def __init__(self, c, groups):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, groups=groups, bias=False),
                                  nn.BatchNorm2d(c), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(x + self.body(x))


def net(width=32, classes=10):
    return nn.Sequential(nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                         Block(width, 1), nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
                         Block(2 * width, 4), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, classes))
'''
SHAPE = {'height': 32, 'width': 32, 'channels': 3}
EPS = 8 / 255


def relative(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def bridge_pgd(client, x, y, steps, rng):
    """PGD with a random start, the step and projection on the client's side (as the engine's)."""
    alpha = EPS / 4
    adv = np.clip(x + rng.uniform(-EPS, EPS, x.shape).astype('f4'), 0, 1)
    for _ in range(steps):
        _, out = client.call('inputGradient', [('x', adv), ('labels', y)], objective='ce')
        adv = np.clip(np.clip(adv + alpha * np.sign(out['grad']), x - EPS, x + EPS), 0, 1).astype('f4')
    return adv


def direct_pgd(model, x, y, steps):
    x_adv = (x + torch.empty_like(x).uniform_(-EPS, EPS)).clamp(0, 1)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        grad, = torch.autograd.grad(F.cross_entropy(model(x_adv), y), x_adv)
        x_adv = torch.min(torch.max(x_adv.detach() + EPS / 4 * grad.sign(), x - EPS), x + EPS).clamp(0, 1)
    return x_adv


def sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--python', default=sys.executable)
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix='rl-gpu-check-')
    with open(os.path.join(work, 'netfile.py'), 'w') as f:
        f.write(MODEL_FILE)
    source = {'kind': 'entry', 'entry': 'netfile.py:net()', 'baseDir': work}
    rng = np.random.default_rng(0)
    x = rng.random((a.batch, 32, 32, 3)).astype('f4')
    y = rng.integers(0, 10, a.batch).astype('i4')
    report = {'torch': torch.__version__, 'device': a.device, 'batch': a.batch}
    with WorkerClient(a.python) as cpu, WorkerClient(a.python) as dev:
        cpu.call('load', source=source, inputShape=SHAPE, device='cpu', seed=0)
        info, _ = dev.call('load', source=source, inputShape=SHAPE, device=a.device, seed=0)
        report['deviceName'] = info['deviceName']
        # BatchNorm statistics away from their initial values, so the comparison covers them.
        _, state = cpu.call('getState')
        state = {k: (v + rng.uniform(0.1, 0.5, v.shape).astype('f4') if k.endswith('running_var') else v)
                 for k, v in state.items()}
        cpu.call('setState', list(state.items()))
        dev.call('setState', list(state.items()))
        n = min(16, a.batch)
        _, lc = cpu.call('logits', [('x', x[:n])])
        _, ld = dev.call('logits', [('x', x[:n])])
        errors = {'logits': relative(ld['logits'], lc['logits'])}
        targets = ((y[:n] + 3) % 10).astype('i4')
        reference = np.full((n, 10), 0.1, 'f4')
        for kind in KINDS:
            arrays = [('x', x[:n]), ('reference', reference)] if kind == 'kl' else \
                [('x', x[:n]), ('labels', y[:n]), ('targets', targets)]
            _, gc = cpu.call('inputGradient', arrays, objective=kind)
            _, gd = dev.call('inputGradient', arrays, objective=kind)
            errors[kind] = relative(gd['grad'], gc['grad'])
        report['relativeErrors'] = errors
        # TF32 convolutions (PyTorch's default on Ampere and later) round to about 1e-3.
        report['agrees'] = all(e < 5e-3 for e in errors.values())

        sys.path.insert(0, work)
        import netfile
        torch.manual_seed(0)
        model = netfile.net().to(a.device)
        model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()}, strict=True)
        model.eval()
        xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(a.device)
        yt = torch.from_numpy(y.astype(np.int64)).to(a.device)
        bridge_pgd(dev, x, y, 2, rng)
        direct_pgd(model, xt, yt, 2)
        ours, theirs = [], []
        for r in range(a.rounds):
            for side in ((0, 1) if r % 2 == 0 else (1, 0)):
                sync(a.device)
                start = time.perf_counter()
                if side == 0:
                    bridge_pgd(dev, x, y, 10, rng)
                else:
                    direct_pgd(model, xt, yt, 10)
                sync(a.device)
                (ours if side == 0 else theirs).append(a.batch / (time.perf_counter() - start))
        ratios = [o / t for o, t in zip(ours, theirs)]
        report.update({'pgd10_bridge_images_per_s': float(np.median(ours)),
                       'pgd10_direct_images_per_s': float(np.median(theirs)),
                       'ratio': float(np.median(ratios)), 'round_ratios': ratios})
    print(json.dumps(report))
    return 0 if report['agrees'] else 1


if __name__ == '__main__':
    sys.exit(main())
