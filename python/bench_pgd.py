"""PGD-10 and one PGD-3 adversarial training step in PyTorch, on the model a JSON network
description gives (python/ir_model.py), for the engine's benchmark to compare against.

Prints one JSON object: images per second for each task. Uses Debian's python3-torch on the CPU.
"""
import argparse
import json
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
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = load(a.network)
    channels = model.mean.shape[1]
    x = torch.rand(a.batch, channels, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch,))
    eps = 8 / 255

    model.eval()
    pgd(model, x, y, eps, eps / 4, 2)
    start = time.perf_counter()
    for _ in range(a.repeats):
        pgd(model, x, y, eps, eps / 4, 10)
    pgd10 = a.batch * a.repeats / (time.perf_counter() - start)

    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    xt, yt = x[:a.train_batch], y[:a.train_batch]

    def train_step():
        model.eval()
        x_adv = pgd(model, xt, yt, eps, eps / 2, 3)
        model.train()
        opt.zero_grad()
        F.cross_entropy(model(x_adv), yt).backward()
        opt.step()

    # Two untimed steps, as the engine bench does for ONNX Runtime (steady-state throughput).
    train_step()
    train_step()
    start = time.perf_counter()
    for _ in range(a.train_repeats):
        train_step()
    step = a.train_batch * a.train_repeats / (time.perf_counter() - start)
    print(json.dumps({'torch': torch.__version__, 'threads': a.threads, 'pgd10_images_per_s': pgd10, 'train_step_images_per_s': step}))


if __name__ == '__main__':
    main()
