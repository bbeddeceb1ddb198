"""Builds a torch.nn model from the JSON description of a Robustness Lens network.

The engine writes the JSON (src/engine/pytorch/network-json.ts); this module builds the same
layers, in the same order, with the same parameter shapes, so a benchmark or a parity test runs
PyTorch on exactly the architecture the engine runs. Only Debian's python3-torch is needed.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class PSiLU(nn.Module):
    def __init__(self):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x * torch.sigmoid(self.alpha * x)


class PSSiLU(nn.Module):
    def __init__(self):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1))
        self.beta = nn.Parameter(torch.full((1,), 1e-4))

    def forward(self, x):
        beta = self.beta.clamp(0, 1)
        return x * (torch.sigmoid(self.alpha * x) - beta) / (1 - beta + 1e-6)


ACTIVATIONS = {
    'relu': nn.ReLU, 'relu6': nn.ReLU6, 'leaky-relu': nn.LeakyReLU, 'elu': nn.ELU, 'silu': nn.SiLU,
    'gelu': nn.GELU, 'mish': nn.Mish, 'hardswish': nn.Hardswish, 'sigmoid': nn.Sigmoid, 'tanh': nn.Tanh,
    'softplus': nn.Softplus, 'psilu': PSiLU, 'pssilu': PSSiLU,
}


def activation(fn, count=1):
    if fn == 'prelu':
        return nn.PReLU(count or 1)
    return ACTIVATIONS[fn]()


class SqueezeExcitation(nn.Module):
    # Declared in torchvision's order (fc1, fc2, activation), which fixes the parameters' order.
    def __init__(self, channels, squeeze, act, bias):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1, bias=bias)
        self.fc2 = nn.Conv2d(squeeze, channels, 1, bias=bias)
        self.activation = activation(act) if act else nn.Identity()

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.fc2(self.activation(self.fc1(s))))


class ChannelsLayerNorm(nn.Module):
    """LayerNorm over the channels of each position, as the engine applies it."""

    def __init__(self, channels, affine):
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=1e-5, elementwise_affine=affine)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def layer(d):
    kind = d['kind']
    if kind == 'conv':
        return nn.Conv2d(d['in'], d['out'], tuple(d['kernel']), tuple(d['stride']), tuple(d['padding']),
                         tuple(d['dilation']), d['groups'], bias=d['bias'])
    if kind == 'linear':
        return nn.Sequential(nn.Flatten(), nn.Linear(d['in'], d['out'], bias=d['bias']))
    if kind == 'norm':
        if d['norm'] == 'batch':
            return nn.BatchNorm2d(d['channels'], affine=d['affine'])
        if d['norm'] == 'instance':
            return nn.InstanceNorm2d(d['channels'], affine=d['affine'])
        if d['norm'] == 'group':
            return nn.GroupNorm(d['groups'] or 1, d['channels'], affine=d['affine'])
        return ChannelsLayerNorm(d['channels'], d['affine'])
    if kind == 'activation':
        return activation(d['fn'], d.get('count'))
    if kind == 'pool':
        if d['outputSize']:
            size = tuple(d['outputSize'])
            return nn.AdaptiveMaxPool2d(size) if d['pool'] == 'max' else nn.AdaptiveAvgPool2d(size)
        args = (tuple(d['kernel']), tuple(d['stride']), tuple(d['padding']))
        return nn.MaxPool2d(*args) if d['pool'] == 'max' else nn.AvgPool2d(*args)
    if kind == 'se':
        return SqueezeExcitation(d['channels'], d['squeeze'], d['activation'], d['bias'])
    if kind == 'flatten':
        return nn.Flatten()
    if kind in ('identity', 'other'):
        return nn.Identity()
    raise ValueError(f'unknown layer kind {kind}')


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.branch = nn.Sequential(*[layer(x) for x in d['branch']])
        self.shortcut = nn.Sequential(*[layer(x) for x in d['shortcut']])
        self.after = nn.Sequential(*[layer(x) for x in d['after']])

    def forward(self, x):
        return self.after(self.branch(x) + self.shortcut(x))


class IrModel(nn.Module):
    # A checkpoint of the same layers written by a model that normalises outside itself has no
    # mean/std: loading it keeps these (raw pixels unless the caller set them), as the engine does.
    OPTIONAL_STATE = ('mean', 'std')

    def __init__(self, d, mean=None, std=None):
        super().__init__()
        channels = d['inputChannels']
        self.register_buffer('mean', torch.tensor(mean or [0.0] * channels).view(1, -1, 1, 1))
        self.register_buffer('std', torch.tensor(std or [1.0] * channels).view(1, -1, 1, 1))
        self.stem = nn.Sequential(*[layer(x) for x in d['stem']])
        self.blocks = nn.Sequential(*[Block(b) for b in d['blocks']])
        self.head = nn.Sequential(*[layer(x) for x in d['head']])

    def forward(self, x):
        return self.head(self.blocks(self.stem((x - self.mean) / self.std)))


def assign_engine_tensors(model, tensors):
    """Tensors in the engine's order (parameters, then BatchNorm running mean and variance per
    layer) and layouts (HWIO convs, [in, out] linear weights) onto the model's PyTorch parameters.

    `tensors` is a list of (name, torch tensor); raises ValueError naming what does not fit."""
    params = list(model.parameters())
    stats = [b for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
             for b in (m.running_mean, m.running_var)]
    if len(tensors) != len(params) + len(stats):
        raise ValueError(f'{len(tensors)} engine tensors for {len(params)} parameters and {len(stats)} statistics')
    with torch.no_grad():
        for target, (name, t) in zip(params + stats, tensors):
            if t.dim() == 4:
                t = t.permute(3, 2, 0, 1)
            elif t.dim() == 2:
                t = t.t()
            if tuple(t.shape) != tuple(target.shape):
                raise ValueError(f'{name}: shape {tuple(t.shape)} does not fit {tuple(target.shape)}')
            target.copy_(t)


def load(path):
    with open(path, encoding='utf-8') as f:
        return IrModel(json.load(f))


if __name__ == '__main__':
    model = load(sys.argv[1])
    print(sum(p.numel() for p in model.parameters()))
