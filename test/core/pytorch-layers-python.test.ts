import { describe } from 'node:test';
import { usePythonParser } from '../helpers/python';
import { countFixtureTests, type CountFixture } from '../helpers/torch-truth';

usePythonParser();

// torch.nn layers the IR has no shape for (attention, 1-D and 3-D layers, embeddings,
// quantization stubs) and the Python model code is written in (typing checks, dataclass
// configs, partial, static and class methods through self, ModuleList +=). Each fixture is a
// real model file: where Debian's PyTorch is installed it is built there too, and a stated count
// must be PyTorch's; where PyTorch refuses a layer, the count must be unknown.

const HEADER =
  'import functools\nimport typing\nfrom dataclasses import dataclass\nfrom typing import ' +
  'Optional, OrderedDict, Sequence\n' +
  'import torch\nfrom torch import nn\n\n';

const E = 16;
/** nn.MultiheadAttention(E, heads): in_proj (3E x E + 3E) and out_proj (E x E + E). */
const ATTENTION = 3 * E * E + 3 * E + E * E + E;

const FIXTURES: Record<string, CountFixture> = {
  'nn.MultiheadAttention: bias, add_bias_kv, kdim and vdim': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.MultiheadAttention(${E}, 4, dropout=0.1, batch_first=True)
        self.b = nn.MultiheadAttention(${E}, 2, bias=False)
        self.c = nn.MultiheadAttention(${E}, 4, add_bias_kv=True)
        self.d = nn.MultiheadAttention(${E}, 4, kdim=8, vdim=12)
`,
    expected: ATTENTION + 4 * E * E + (ATTENTION + 2 * E) + (E * E + E * 8 + E * 12 + 3 * E + E * E + E),
  },
  'nn.MultiheadAttention whose width does not split into its heads is refused': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.MultiheadAttention(10, 3)
`,
    expected: /divisible/,
    torchRefuses: true,
  },
  'nn.Parameter of torch.zeros / torch.empty(...).normal_() counts its elements': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(1, 1, width))
        self.position = nn.Parameter(torch.empty(1, 5, width).normal_(std=0.02))
        self.scale = nn.Parameter(torch.log(10 * torch.ones((4, 1, 1))))
`,
    expected: 8 + 40 + 4,
  },
  '1-D and 3-D convolutions and norms, transposed convolutions, embeddings': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(4, 8, 3)
        self.b = nn.Conv3d(2, 4, (1, 2, 3), groups=2, bias=False)
        self.c = nn.ConvTranspose2d(4, 6, 3, groups=2)
        self.d = nn.BatchNorm3d(5)
        self.e = nn.InstanceNorm1d(3, affine=True)
        self.f = nn.Embedding(10, 3)
        self.g = nn.Sequential(nn.MaxPool3d(2), nn.AdaptiveAvgPool1d(1), nn.ReflectionPad1d(1), nn.Dropout3d())
`,
    expected: 8 * 4 * 3 + 8 + 4 * 1 * 6 + (4 * 3 * 9 + 6) + 10 + 6 + 30,
  },
  'a convolution whose channels do not split into its groups is refused': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(4, 6, 3, groups=4)
`,
    expected: /divisible by groups/,
    torchRefuses: true,
  },
  'quantization stubs hold no parameters': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = torch.quantization.QuantStub()
        self.fc = nn.Linear(3, 2)
        self.dequant = torch.ao.quantization.DeQuantStub()
`,
    expected: 8,
  },
  'isinstance against typing types and tuples, hasattr, type(None), typing.OrderedDict()': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self, widths=(4, 8), extra=None):
        super().__init__()
        if isinstance(widths, Sequence) and isinstance(widths, (list, tuple)):
            widths = list(widths)
        layers = OrderedDict()
        for i, w in enumerate(widths):
            layers[f"fc{i}"] = nn.Linear(w, w)
        self.body = nn.Sequential(layers)
        if isinstance(extra, type(None)):
            self.head = nn.Linear(8, 2)
        if hasattr(self.head, "weight") and not hasattr(self, "missing") and not hasattr(self.body, "pre_logits"):
            self.tail = nn.Linear(2, 1)
`,
    expected: 16 + 4 + (64 + 8) + (16 + 2) + 3,
  },
  '@dataclass configs, functools.partial, static and class methods through self': {
    source: `${HEADER}@dataclass
class Config:
    width: int
    depth: int = 2
    norm: bool = True


class Net(nn.Module):
    def __init__(self, config=Config(6)):
        super().__init__()
        make = functools.partial(nn.Conv2d, kernel_size=1, bias=False)
        self.blocks = nn.ModuleList()
        for _ in range(config.depth):
            self.blocks += [make(config.width, self.widen(config.width))]
        self.norm = self.norm_for(self.widen(config.width)) if config.norm else nn.Identity()

    @staticmethod
    def widen(width):
        return width * 2

    @classmethod
    def norm_for(cls, width):
        return nn.BatchNorm2d(width)
`,
    expected: 2 * (6 * 12) + 24,
  },
};

/** Not built in PyTorch: they import a module that is not there. */
const STATIC_ONLY: Record<string, CountFixture> = {
  'a ModuleList child reassigned to something not known is not counted as empty': {
    source: `${HEADER}from somewhere_unknown import combine

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList()
        self.layers = combine(self.layers, [nn.Linear(3, 3)])
`,
    expected: /not statically known|unknown|not defined/,
  },
  'a ModuleList of modules not known says so': {
    source: `${HEADER}from somewhere_unknown import make_layers

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.layers = nn.ModuleList(make_layers())
`,
    expected: /a ModuleList of modules not statically known/,
  },
  'a ModuleDict of modules not known says so': {
    source: `${HEADER}from somewhere_unknown import make_heads

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict(make_heads())
`,
    expected: /a ModuleDict of modules not statically known/,
  },
  'a Sequential holding a module not known names the element': {
    source: `${HEADER}from somewhere_unknown import Block

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 3), Block())
`,
    expected: /an element of Sequential is not a module statically known/,
  },
};

describe('torch.nn layers and the Python of model code', () => {
  countFixtureTests(FIXTURES, STATIC_ONLY);
});
