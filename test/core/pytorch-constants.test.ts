import { describe } from 'node:test';
import { usePythonParser } from '../helpers/python';
import { countFixtureTests, type CountFixture } from '../helpers/torch-truth';

usePythonParser();

// Widths that model code computes from constants: math, torch and NumPy arithmetic (RegNet's
// quantised widths, MaxViT's linspace of drop rates). Each fixture is a real model file: where
// Debian's PyTorch is installed it is built there too, and a stated count must be PyTorch's.
// A float too close to a rounding boundary must leave the count unknown, never a guess.

const HEADER = 'import math\nimport numpy as np\nimport torch\nfrom torch import nn\n\n';

/** Expected: PyTorch's count (worked out by hand, checked against PyTorch), or why it is unknown. */
const FIXTURES: Record<string, CountFixture> = {
  'RegNet-style quantised widths (float32 log, round, pow, divide, int, tolist, set, diff)': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self, depth=18, w_0=80, w_a=34.01, w_m=2.25, quant=8):
        super().__init__()
        widths_cont = torch.arange(depth) * w_a + w_0
        capacity = torch.round(torch.log(widths_cont / w_0) / math.log(w_m))
        widths = (torch.round(torch.divide(w_0 * torch.pow(w_m, capacity), quant)) * quant).int().tolist()
        splits = [w != wp for w, wp in zip(widths + [0], [0] + widths)]
        stage_widths = [w for w, t in zip(widths, splits[:-1]) if t]
        stage_depths = torch.diff(torch.tensor([d for d, t in enumerate(splits) if t])).int().tolist()
        self.stages = nn.ModuleList([nn.Linear(w, d) for w, d in zip(stage_widths, stage_depths)])
        self.count = nn.Linear(len(set(widths)), 1)
`,
    // Widths 8 x round(w_0 * 2.25^c / 8): 80 (x2), 176 (x4: 22.5 rounds to 22, half to even),
    // 408 (x10: 50.625), 912 (x2: 113.90625).
    expected: 80 * 2 + 2 + (176 * 4 + 4) + (408 * 10 + 10) + (912 * 2 + 2) + (4 + 1),
  },
  'NumPy: linspace length, prod, round half to even, astype': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        rates = np.linspace(0, 0.2, 7).tolist()
        self.a = nn.Linear(len(rates), int(np.prod([2, 3, 4])))
        self.b = nn.Linear(int(np.round(2.5)), int(np.round(3.5)))
        self.c = nn.Linear(int(np.array([1.7, 2.2]).astype(int).sum()), 1)
        self.d = nn.Linear(int(rates[-1] * 10), 1)
`,
    // rates[-1] is 0.2 exactly (linspace ends on its stop): 0.2 * 10 == 2.0, but as a product
    // of floats it sits on an integer, too close to truncate safely: unknown.
    expected: /too close/,
  },
  'NumPy and math on constants that decide safely': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        rates = np.linspace(0, 0.2, 7).tolist()
        self.a = nn.Linear(len(rates), int(np.prod([2, 3, 4])))
        self.b = nn.Linear(int(np.round(2.5)), int(np.round(3.5)))
        self.c = nn.Linear(int(np.array([1.7, 2.2]).astype(int).sum()), 1)
        self.d = nn.Linear(int(math.log2(64)), math.ceil(math.log(1000) / 2), bias=max(rates) > 0.19)
        self.e = nn.Linear(int(round(math.sqrt(2) * 10)), int(math.pi * 2))
`,
    expected: 7 * 24 + 24 + (2 * 4 + 4) + (3 + 1) + (6 * 4 + 4) + (14 * 6 + 6),
  },
  'a truncation of a float sitting on an integer is unknown': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(int(math.log(8) / math.log(2)), 1)
`,
    expected: /too close/,
  },
  'a float32 rounding exactly on a half goes to the even neighbour': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        halves = torch.round(torch.tensor([0.5, 1.5, 2.5, 7.25])).int().tolist()
        self.fc = nn.Linear(sum(halves) + 1, int(torch.tensor([3, 4]).prod()))
`,
    // 0 + 2 + 2 + 7 + 1 = 12 inputs, 12 outputs.
    expected: 12 * 12 + 12,
  },
};

describe('constant arithmetic in model code (math, torch, NumPy)', () => {
  countFixtureTests(FIXTURES);
});
