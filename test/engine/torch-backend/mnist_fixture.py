"""A PyTorch MNIST model file with a factory, and a checkpoint of it trained here with FGSM
adversarial training (Wong et al., 2020) on the bundled digits, saved as a DataParallel run saves
it (prefixed names under "state_dict"): the torch back end's end-to-end fixture.

usage: mnist_fixture.py MNIST_DIR OUT_DIR [EPOCHS]"""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MODEL_FILE = '''import torch.nn as nn


class SmallNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        return self.fc(self.relu(self.fc1(self.flatten(self.features(x)))))


def small_net(num_classes=10):
    return SmallNet(num_classes)
'''


def idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def main(mnist_dir, out_dir, epochs=2):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'small_net.py'), 'w') as f:
        f.write(MODEL_FILE)
    sys.path.insert(0, out_dir)
    from small_net import small_net
    torch.manual_seed(0)
    x = torch.from_numpy(idx(os.path.join(mnist_dir, 'train-images-idx3-ubyte.gz')).astype(np.float32) / 255)[:, None]
    y = torch.from_numpy(idx(os.path.join(mnist_dir, 'train-labels-idx1-ubyte.gz')).astype(np.int64))
    model = small_net()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    eps = 0.1
    for _ in range(epochs):
        order = torch.randperm(len(y))
        for i in range(0, len(y), 64):
            xb, yb = x[order[i:i + 64]], y[order[i:i + 64]]
            delta = torch.empty_like(xb).uniform_(-eps, eps).requires_grad_(True)
            grad, = torch.autograd.grad(F.cross_entropy(model((xb + delta).clamp(0, 1)), yb), delta)
            x_adv = (xb + (delta + 1.25 * eps * grad.sign()).clamp(-eps, eps)).clamp(0, 1).detach()
            opt.zero_grad()
            F.cross_entropy(model(x_adv), yb).backward()
            opt.step()
    state = {f'module.{k}': v for k, v in model.state_dict().items()}
    torch.save({'epoch': epochs, 'state_dict': state}, os.path.join(out_dir, 'small_net.pt'))
    print(len(y))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:]))
