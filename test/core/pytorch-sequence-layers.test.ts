import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networksOf, readModelFile, summarize } from '../../src/core';
import { usePythonParser } from '../helpers/python';
import { countFixtureTests, type CountFixture, torchAvailable, torchPerName } from '../helpers/torch-truth';

usePythonParser();

// Recurrent and Transformer layers of torch.nn, in every constructor form PyTorch 1.13 takes
// (positional, keyword, defaults), in image classifiers built from them (a CNN+LSTM, a small ViT).
// Each fixture is a real model file: where Debian's PyTorch is installed it is built there too;
// a stated count must be PyTorch's, and what PyTorch refuses must be unknown here.

const HEADER =
  'import torch\nimport torch.nn.functional as F\nfrom torch import nn\n' +
  'from torch.nn import GRU, TransformerEncoderLayer\n\n';

/** RNNBase's weights, layer by layer and direction by direction, as rnn.py allocates them. */
function stacked(
  gates: number,
  input: number,
  hidden: number,
  { layers = 1, bias = true, bidirectional = false, proj = 0 } = {},
): number {
  const rows = gates * hidden;
  const directions = bidirectional ? 2 : 1;
  const out = proj || hidden;
  let total = 0;
  for (let layer = 0; layer < layers; layer++) {
    for (let d = 0; d < directions; d++) {
      const inputs = layer === 0 ? input : out * directions;
      total += rows * inputs + rows * out + (bias ? 2 * rows : 0) + proj * hidden;
    }
  }
  return total;
}
const LSTM = 4;
const GRU_GATES = 3;
const RNN = 1;
const cell = (gates: number, input: number, hidden: number, bias = true): number =>
  gates * hidden * (input + hidden) + (bias ? 2 * gates * hidden : 0);
/** nn.MultiheadAttention(e, heads) with its defaults: in_proj (3e x e + 3e), out_proj (e x e + e). */
const attention = (e: number): number => 4 * e * e + 4 * e;
const encoderLayer = (e: number, ff: number): number => attention(e) + e * ff + ff + ff * e + e + 2 * (2 * e);
const decoderLayer = (e: number, ff: number): number => 2 * attention(e) + e * ff + ff + ff * e + e + 3 * (2 * e);

function net(body: string, extra = ''): string {
  return `${HEADER}${extra}class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n${body
    .trim()
    .split('\n')
    .map((line) => `        ${line}`)
    .join('\n')}\n`;
}

/** Expected: PyTorch's count (checked against PyTorch where it is installed), or why it is unknown. */
const FIXTURES: Record<string, CountFixture> = {
  'nn.LSTM with its defaults': {
    source: net('self.rnn = nn.LSTM(10, 20)'),
    expected: stacked(LSTM, 10, 20),
  },
  'nn.LSTM by keyword: two layers, no bias, batch first, dropout, bidirectional': {
    source: net(
      'self.rnn = nn.LSTM(input_size=10, hidden_size=20, num_layers=2, bias=False, batch_first=True, ' +
        'dropout=0.2, bidirectional=True)',
    ),
    expected: stacked(LSTM, 10, 20, { layers: 2, bias: false, bidirectional: true }),
  },
  'nn.LSTM with every argument positional, proj_size included': {
    source: net('self.rnn = nn.LSTM(10, 20, 3, True, False, 0.0, True, 5, None, None)'),
    expected: stacked(LSTM, 10, 20, { layers: 3, bidirectional: true, proj: 5 }),
  },
  'nn.LSTM with a projection, keywords in any order': {
    source: net('self.rnn = nn.LSTM(8, 16, proj_size=4, num_layers=2, bias=0)'),
    expected: stacked(LSTM, 8, 16, { layers: 2, proj: 4, bias: false }),
  },
  'nn.GRU imported by name, and through torch.nn.modules.rnn': {
    source: net('self.a = GRU(7, 9, 2, bidirectional=True)\nself.b = torch.nn.modules.rnn.GRU(7, 9, bias=False)'),
    expected: stacked(GRU_GATES, 7, 9, { layers: 2, bidirectional: true }) + stacked(GRU_GATES, 7, 9, { bias: false }),
  },
  'nn.RNN with relu and tanh, positional and keyword': {
    source: net(
      "self.a = nn.RNN(5, 6, nonlinearity='relu', num_layers=3)\n" +
        "self.b = nn.RNN(5, 6, 2, False, nonlinearity='tanh')\n" +
        'self.c = nn.RNN(input_size=5, hidden_size=6, bidirectional=True, dropout=1)',
    ),
    expected:
      stacked(RNN, 5, 6, { layers: 3 }) +
      stacked(RNN, 5, 6, { layers: 2, bias: false }) +
      stacked(RNN, 5, 6, { bidirectional: true }),
  },
  'recurrent layers with zero inputs, and a cell of width 0': {
    source: net('self.b = nn.GRU(0, 3)\nself.c = nn.LSTMCell(0, 0)\nself.d = nn.RNNCell(3, 0)'),
    expected: stacked(GRU_GATES, 0, 3),
  },
  'nn.GRU and nn.RNN take a projection given positionally (only the keyword is refused)': {
    source: net(
      'self.a = nn.GRU(4, 8, 1, True, False, 0.0, False, 2)\nself.b = nn.RNN(4, 8, 2, True, False, 0.0, True, 3)',
    ),
    expected: stacked(GRU_GATES, 4, 8, { proj: 2 }) + stacked(RNN, 4, 8, { layers: 2, bidirectional: true, proj: 3 }),
  },
  'nn.RNNCell, nn.LSTMCell, nn.GRUCell in each form': {
    source: net(
      'self.a = nn.RNNCell(4, 5)\n' +
        "self.b = nn.RNNCell(4, 5, False, 'relu')\n" +
        'self.c = nn.LSTMCell(4, 5, bias=False)\n' +
        'self.d = nn.GRUCell(input_size=4, hidden_size=5)\n' +
        'self.e = nn.LSTMCell(4, 5, True, None, None)',
    ),
    expected:
      cell(RNN, 4, 5) + cell(RNN, 4, 5, false) + cell(LSTM, 4, 5, false) + cell(GRU_GATES, 4, 5) + cell(LSTM, 4, 5),
  },
  'a user class deriving from nn.LSTM': {
    source: `${HEADER}class Recurrent(nn.LSTM):
    def __init__(self, width):
        super().__init__(width, 2 * width, batch_first=True)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = Recurrent(6)
        self.fc = nn.Linear(12, 3)
`,
    expected: stacked(LSTM, 6, 12) + 12 * 3 + 3,
  },
  'a CNN+LSTM classifier: conv features read column by column': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self, num_classes=10, hidden=32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 7)),
        )
        self.lstm = nn.LSTM(32, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, num_classes)

    def forward(self, x):
        x = self.features(x).squeeze(2).transpose(1, 2)
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])
`,
    expected:
      16 * 9 + 32 + (32 * 16 * 9 + 32) + stacked(LSTM, 32, 32, { layers: 2, bidirectional: true }) + (64 * 10 + 10),
  },
  'nn.TransformerEncoderLayer with its defaults (dim_feedforward 2048)': {
    source: net('self.layer = nn.TransformerEncoderLayer(16, 4)'),
    expected: encoderLayer(16, 2048),
  },
  'nn.TransformerEncoderLayer by keyword, every argument': {
    source: net(
      'self.layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0, ' +
        "activation='gelu', layer_norm_eps=1e-6, batch_first=True, norm_first=True, device=None, dtype=None)",
    ),
    expected: encoderLayer(16, 32),
  },
  'nn.TransformerEncoderLayer positional, with a function as activation, imported by name': {
    source: net('self.layer = TransformerEncoderLayer(16, 4, 64, 0.1, F.gelu, 1e-5, True, False)'),
    expected: encoderLayer(16, 64),
  },
  'an activation module is registered: its parameters count, once where it is shared': {
    source: net(
      'act = nn.PReLU()\nself.act = act\nself.a = nn.TransformerEncoderLayer(16, 4, 32, activation=act)\n' +
        'self.b = nn.TransformerEncoderLayer(16, 4, 32, activation=nn.PReLU(3))\n' +
        'self.stack = nn.TransformerEncoder(self.a, 2)',
    ),
    // a shares the PReLU with self.act; the stack's two deep copies have their own.
    expected: 1 + encoderLayer(16, 32) + (encoderLayer(16, 32) + 3) + 2 * (encoderLayer(16, 32) + 1),
  },
  'nn.TransformerDecoderLayer, positional and keyword': {
    source: net(
      "self.a = nn.TransformerDecoderLayer(16, 4, 32, 0.1, 'relu')\n" +
        'self.b = nn.TransformerDecoderLayer(d_model=8, nhead=8, dim_feedforward=0)',
    ),
    expected: decoderLayer(16, 32) + decoderLayer(8, 0),
  },
  'nn.TransformerEncoder: deep copies of its layer, the original kept too, and a final norm': {
    source: net(
      'self.layer = nn.TransformerEncoderLayer(16, 4, 32)\n' +
        'self.a = nn.TransformerEncoder(self.layer, 3)\n' +
        'self.b = nn.TransformerEncoder(encoder_layer=self.layer, num_layers=2, norm=nn.LayerNorm(16), ' +
        'enable_nested_tensor=False, mask_check=False)\n' +
        'self.c = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 8), 0)',
    ),
    expected: encoderLayer(16, 32) * (1 + 3 + 2) + 32,
  },
  'nn.TransformerDecoder with a norm, positional': {
    source: net('self.dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 2, 24), 2, nn.LayerNorm(16))'),
    expected: 2 * decoderLayer(16, 24) + 32,
  },
  'nn.Transformer with all its defaults: 6 + 6 layers of width 512 and the two final norms': {
    source: net('self.model = nn.Transformer()'),
    expected: 6 * encoderLayer(512, 2048) + 6 * decoderLayer(512, 2048) + 2 * 1024,
  },
  'nn.Transformer smaller, by keyword and positional': {
    source: net(
      'self.a = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=64)\n' +
        "self.b = nn.Transformer(16, 2, 1, 0, 8, 0.0, 'gelu', None, None, 1e-6, True, True)",
    ),
    expected: 2 * encoderLayer(32, 64) + decoderLayer(32, 64) + 2 * 64 + (encoderLayer(16, 8) + 2 * 32),
  },
  'nn.Transformer with a custom encoder and decoder': {
    source: net(
      'self.model = nn.Transformer(32, 4, custom_encoder=nn.Linear(32, 32), dim_feedforward=16)\n' +
        'self.other = nn.Transformer(custom_encoder=nn.Identity(), custom_decoder=nn.Linear(4, 4))',
    ),
    expected: 32 * 32 + 32 + 6 * decoderLayer(32, 16) + 64 + (16 + 4),
  },
  'a user block derived from nn.TransformerEncoderLayer': {
    source: `${HEADER}class Block(nn.TransformerEncoderLayer):
    def __init__(self, width):
        super().__init__(width, 4, 2 * width, batch_first=True)
        self.extra = nn.Linear(width, width)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Block(16) for _ in range(2)])
`,
    expected: 2 * (encoderLayer(16, 32) + 16 * 16 + 16),
  },
  'a small ViT: patch embedding, class token, position embedding, TransformerEncoder, head': {
    source: `${HEADER}class Net(nn.Module):
    def __init__(self, image=32, patch=4, width=48, depth=3, heads=3, num_classes=10):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, width, patch, stride=patch)
        tokens = (image // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens + 1, width))
        layer = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, norm=nn.LayerNorm(width))
        self.head = nn.Linear(width, num_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.head(self.encoder(x)[:, 0])
`,
    expected: 3 * 48 * 16 + 48 + 48 + 65 * 48 + 3 * encoderLayer(48, 192) + 96 + (48 * 10 + 10),
  },
  'a ViT whose TransformerEncoder copies a block written by hand': {
    source: `${HEADER}class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))

    def forward(self, x):
        y = self.norm1(x)
        x = x + self.attn(y, y, y)[0]
        return x + self.mlp(self.norm2(x))


class Net(nn.Module):
    def __init__(self, width=24, depth=4):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 8, 8)
        self.blocks = nn.TransformerEncoder(Block(width, 2), depth)
        self.fc = nn.Linear(width, 10)
`,
    expected: 3 * 24 * 64 + 24 + 4 * (2 * 48 + attention(24) + (24 * 48 + 48) + (48 * 24 + 24)) + 250,
  },
  'values PyTorch takes as they are: a bool dropout, a negative number of copies, a truthy int, a device': {
    source: net(
      'self.a = nn.TransformerEncoderLayer(16, 4, 8, dropout=True)\n' +
        'self.b = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 8), -1)\n' +
        "self.c = nn.LSTM(4, 8, bidirectional=2, device='cpu')",
    ),
    expected: encoderLayer(16, 8) + stacked(LSTM, 4, 8, { bidirectional: true }),
  },
  'a Transformer layer past 2^53 parameters is not stated as a number': {
    source: net('self.layer = nn.TransformerEncoderLayer(2 ** 27, 1, 2 ** 27, device="meta")'),
    expected: /past 2\^53/,
  },
  // PyTorch refuses each of these: never a count.
  "nn.LayerNorm(bias=False), a later PyTorch's argument that changes the count, is not counted": {
    source: net('self.norm = nn.LayerNorm(16, bias=False)'),
    expected: /counted differently by PyTorch versions/,
    torchRefuses: true,
  },
  'nn.LSTM with dropout None is refused': {
    source: net('self.rnn = nn.LSTM(4, 8, dropout=None)'),
    expected: /dropout should be a number/,
    torchRefuses: true,
  },
  'nn.GRU with proj_size is refused': {
    source: net('self.rnn = nn.GRU(4, 8, proj_size=2)'),
    expected: /proj_size/,
    torchRefuses: true,
  },
  'nn.LSTM whose proj_size is not below hidden_size is refused': {
    source: net('self.rnn = nn.LSTM(4, 8, proj_size=8)'),
    expected: /proj_size is not smaller/,
    torchRefuses: true,
  },
  "nn.RNN with a nonlinearity other than 'tanh' or 'relu' is refused": {
    source: net("self.rnn = nn.RNN(4, 8, nonlinearity='gelu')"),
    expected: /nonlinearity/,
    torchRefuses: true,
  },
  'nn.LSTM given a nonlinearity is refused': {
    source: net("self.rnn = nn.LSTM(4, 8, nonlinearity='tanh')"),
    expected: /takes no argument 'nonlinearity'/,
    torchRefuses: true,
  },
  'nn.LSTM with dropout out of [0, 1], or a bool, is refused': {
    source: net('self.a = nn.LSTM(4, 8, dropout=1.5)\nself.b = nn.LSTM(4, 8, 2, dropout=True)'),
    expected: /dropout should be a number/,
    torchRefuses: true,
  },
  'nn.LSTM with a float hidden size is refused': {
    source: net('self.rnn = nn.LSTM(4, 8 / 2)'),
    expected: /a float where PyTorch needs an int/,
    torchRefuses: true,
  },
  'nn.LSTM missing its hidden size, or given too many arguments, is refused': {
    source: net('self.a = nn.LSTM(4)\nself.b = nn.LSTM(4, 8, 1, True, False, 0.0, False, 0, None, None, 1)'),
    expected: /missing its argument 'hidden_size'/,
    torchRefuses: true,
  },
  'nn.GRUCell given a nonlinearity takes it as its device: refused': {
    source: net("self.cell = nn.GRUCell(4, 8, True, 'tanh')"),
    expected: /got 'tanh' as its device/,
    torchRefuses: true,
  },
  'nn.LSTM with no layers is refused by PyTorch 1.13': {
    source: net('self.rnn = nn.LSTM(4, 8, 0)'),
    expected: /num_layers is 0/,
    torchRefuses: true,
  },
  'nn.TransformerEncoderLayer whose width does not split into its heads is refused': {
    source: net('self.layer = nn.TransformerEncoderLayer(10, 3)'),
    expected: /not divisible/,
    torchRefuses: true,
  },
  "nn.TransformerEncoderLayer with an activation other than 'relu' or 'gelu' is refused": {
    source: net("self.layer = nn.TransformerEncoderLayer(16, 4, activation='tanh')"),
    expected: /relu\/gelu/,
    torchRefuses: true,
  },
  "nn.TransformerEncoderLayer(bias=False) is a later PyTorch's argument: refused by 1.13": {
    source: net('self.layer = nn.TransformerEncoderLayer(16, 4, bias=False)'),
    expected: /takes no argument 'bias' in PyTorch 1.13/,
    torchRefuses: true,
  },
  'nn.TransformerEncoderLayer with dropout past 1 is refused': {
    source: net('self.layer = nn.TransformerEncoderLayer(16, 4, dropout=1.5)'),
    expected: /dropout/,
    torchRefuses: true,
  },
  'nn.Transformer whose layers PyTorch refuses is refused even with no layers': {
    source: net('self.model = nn.Transformer(d_model=10, nhead=3, num_encoder_layers=0, num_decoder_layers=0)'),
    expected: /not divisible/,
    torchRefuses: true,
  },
  'nn.TransformerEncoder with a float number of layers is refused': {
    source: net('self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4), 2.0)'),
    expected: /a float/,
    torchRefuses: true,
  },
};

/** Not statically known, though PyTorch may build them: unknown with the reason, never a number. */
const NOT_KNOWN: Record<string, CountFixture> = {
  'an LSTM width imported from a file not read': {
    source: net('self.rnn = nn.LSTM(4, WIDTH)', 'from settings import WIDTH\n\n'),
    expected: /hidden_size is not statically known|WIDTH|settings/,
  },
  'a TransformerEncoder of a layer not known': {
    source: net('self.enc = nn.TransformerEncoder(Block(), 2)', 'from blocks import Block\n\n'),
    expected: /its layer is not a module statically known/,
  },
  'a TransformerEncoderLayer whose activation is an object not known': {
    source: net('self.layer = nn.TransformerEncoderLayer(16, 4, activation=Act())', 'from blocks import Act\n\n'),
    expected: /activation is not statically known/,
  },
  'a TransformerEncoder whose norm is not known': {
    source: net(
      'self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4), 2, Norm(16))',
      'from blocks import Norm\n\n',
    ),
    expected: /its norm is not statically known/,
  },
};

describe('torch.nn recurrent and Transformer layers', () => {
  countFixtureTests(FIXTURES, NOT_KNOWN);

  it(
    "each layer is PyTorch's module of the same name, with its count",
    { skip: torchAvailable ? false : "Debian's PyTorch is not installed", timeout: 300_000 },
    () => {
      const names = [
        'a CNN+LSTM classifier: conv features read column by column',
        'an activation module is registered: its parameters count, once where it is shared',
        'nn.Transformer smaller, by keyword and positional',
        'a small ViT: patch embedding, class token, position embedding, TransformerEncoder, head',
        'a ViT whose TransformerEncoder copies a block written by hand',
      ];
      const sources = names.map((name) => (FIXTURES[name] as { source: string }).source);
      const truths = torchPerName(sources);
      for (const [i, name] of names.entries()) {
        const source = sources[i] as string;
        const truth = truths[i] ?? {};
        const [network] = networksOf(readModelFile('model.py', source)).filter((n) => n.name === 'Net');
        assert.ok(network, name);
        const rows = summarize(network).rows.filter((r) => r.params.known && r.params.value > 0);
        assert.ok(rows.length > 3, name);
        for (const row of rows) {
          assert.equal(row.params.known && row.params.value, truth[row.layer.name], `${name}: ${row.layer.name}`);
        }
      }
    },
  );

  it('MACs of a model with an LSTM or attention are unknown, not 0; lookups and parameters add none', () => {
    const macsOf = (body: string): string | number => {
      const [network] = networksOf(readModelFile('model.py', net(`self.conv = nn.Conv2d(3, 4, 3)\n${body}`)));
      assert.ok(network);
      const macs = summarize(network, 8).macs;
      return macs.known ? macs.value : macs.reason;
    };
    assert.match(String(macsOf('self.rnn = nn.LSTM(4, 8)')), /MACs of LSTM are not counted/);
    assert.match(String(macsOf('self.enc = nn.TransformerEncoderLayer(4, 2, 8)')), /MACs of MultiheadAttention/);
    const conv = 4 * 3 * 9 * 6 * 6;
    assert.equal(macsOf('self.embed = nn.Embedding(10, 4)\nself.token = nn.Parameter(torch.zeros(1, 4))'), conv);
  });
});
