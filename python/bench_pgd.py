"""PGD-10 and PGD-3 adversarial training steps in PyTorch, on the model a JSON network
description gives (python/ir_model.py), for the engine's benchmark to compare against.

Without --serve: prints one JSON object, images per second for each task.
With --serve: builds and warms the model once, then answers one line per request on stdin
("pgd10 R": R PGD-10 batches; "train K": K training steps; "quit") with a JSON object. The engine's
benchmark alternates these requests with its own measurements, so both sides are timed in the
same minutes of a machine whose speed drifts. Uses Debian's python3-torch on the CPU.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F

from ir_model import load


def pgd(model, x, y, eps, alpha, steps):
    x_adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        grad, = torch.autograd.grad(loss, x_adv)
        x_adv = torch.min(torch.max(x_adv.detach() + alpha * grad.sign(), x - eps), x + eps).clamp(0, 1)
    return x_adv


class Bench:
    def __init__(self, a):
        self.keeps = bool(getattr(a, 'keep_freed_memory', False))
        torch.set_num_threads(a.threads)
        torch.manual_seed(0)
        self.model = load(a.network)
        channels = self.model.mean.shape[1]
        self.batch = a.batch
        self.train_batch = a.train_batch
        self.x = torch.rand(a.batch, channels, a.size, a.size)
        self.y = torch.randint(0, a.classes, (a.batch,))
        self.eps = 8 / 255
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def pgd10(self, repeats):
        self.model.eval()
        start = time.perf_counter()
        for _ in range(repeats):
            pgd(self.model, self.x, self.y, self.eps, self.eps / 4, 10)
        return self.batch * repeats / (time.perf_counter() - start)

    def train_step(self):
        xt, yt = self.x[:self.train_batch], self.y[:self.train_batch]
        self.model.eval()
        x_adv = pgd(self.model, xt, yt, self.eps, self.eps / 2, 3)
        self.model.train()
        self.opt.zero_grad()
        F.cross_entropy(self.model(x_adv), yt).backward()
        self.opt.step()

    def train(self, steps):
        start = time.perf_counter()
        for _ in range(steps):
            self.train_step()
        return self.train_batch * steps / (time.perf_counter() - start)

    def warm(self):
        self.model.eval()
        pgd(self.model, self.x, self.y, self.eps, self.eps / 4, 2)
        # Two untimed steps, as the engine bench does for ONNX Runtime (steady-state throughput).
        self.train_step()
        self.train_step()


def serve(bench):
    info = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'keepFreedMemory': bench.keeps}
    print(json.dumps({'ready': True, **info}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == 'quit':
            break
        count = int(words[1]) if len(words) > 1 else 1
        if words[0] == 'pgd10':
            print(json.dumps({'task': 'pgd10', 'images_per_s': bench.pgd10(count)}), flush=True)
        elif words[0] == 'train':
            print(json.dumps({'task': 'train_step', 'images_per_s': bench.train(count)}), flush=True)
        else:
            print(json.dumps({'error': f'unknown request {words[0]}'}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('network')
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--train-batch', type=int, default=64)
    p.add_argument('--size', type=int, default=32)
    p.add_argument('--classes', type=int, default=10)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--repeats', type=int, default=3)
    # A training step is short and noisy on 2 cores: more of them make the figure steadier.
    p.add_argument('--train-repeats', type=int, default=8)
    p.add_argument('--serve', action='store_true')
    # The torch worker's allocator settings (robustness_lens_worker/allocator.py): with them, the
    # bridge benchmark compares the same PyTorch process setup on both sides, the protocol alone.
    p.add_argument('--keep-freed-memory', action='store_true')
    a = p.parse_args()
    if a.keep_freed_memory:
        from robustness_lens_worker.allocator import keep_freed_memory
        if not keep_freed_memory():
            sys.exit('--keep-freed-memory: this C library does not take the settings')
    bench = Bench(a)
    bench.warm()
    if a.serve:
        serve(bench)
        return
    pgd10 = bench.pgd10(a.repeats)
    step = bench.train(a.train_repeats)
    print(json.dumps({'torch': torch.__version__, 'threads': a.threads, 'pgd10_images_per_s': pgd10,
                      'train_step_images_per_s': step}))


if __name__ == '__main__':
    main()
