import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';
import { UnsupportedModelError } from '../../../src/engine/tfjs/unsupported-model-error';
import { lintText } from '../../helpers/lint';
import { networkFromText } from '../onnx/parity-support';

// The engine builds convolutional classifiers from the IR; recurrent and Transformer layers are
// counted but not built. Every model built on the engine starts as a tfjs model (ONNX Runtime
// takes its weights), so tfjs refusing such a model, naming the layer, keeps it from being
// trained or attacked as something else. The rules read the same IR: they must not fail on it.

const HEADER = 'import torch\nfrom torch import nn\n\n';

const MODELS: Record<string, { source: string; refused: RegExp }> = {
  'a CNN+LSTM classifier': {
    source: `${HEADER}class CnnLstm(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(4)
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.pool(self.act(self.conv(x))).mean(2).transpose(1, 2)
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])
`,
    refused: /^lstm: LSTM is not built by the tfjs back end/,
  },
  'a convolutional stem with a Transformer encoder': {
    source: `${HEADER}class ConvFormer(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 7, stride=7)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), 2)
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)
        return self.fc(self.encoder(x).mean(1))
`,
    refused: /^encoder\.layers\.0\.self_attn: MultiheadAttention is not built by the tfjs back end/,
  },
  'a GRU cell after a convolution': {
    source: `${HEADER}class ConvGru(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 28)
        self.flat = nn.Flatten()
        self.cell = nn.GRUCell(4, 8)
        self.fc = nn.Linear(8, num_classes)

    def forward(self, x):
        return self.fc(self.cell(self.flat(self.conv(x))))
`,
    refused: /^cell: GRUCell is not built by the tfjs back end/,
  },
};

describe('models with recurrent or Transformer layers on the engine', () => {
  before(async () => {
    await selectTfjsBackend('cpu');
  });

  for (const [name, { source, refused }] of Object.entries(MODELS)) {
    it(`refuses ${name}, naming the layer`, async () => {
      const network = await networkFromText('model.py', source, 10);
      await assert.rejects(
        async () =>
          new TfjsClassifier(network, { inputShape: { height: 28, width: 28, channels: 1 }, numClasses: 10, seed: 1 }),
        (e: unknown) => {
          assert.ok(e instanceof UnsupportedModelError, String(e));
          assert.match(e.message, refused);
          return true;
        },
      );
    });

    it(`runs every rule on ${name} without failing`, () => {
      // A rule that throws fails the whole lint (lint.ts catches nothing): this call is the check.
      const diagnostics = lintText('model.py', source);
      assert.ok(diagnostics.every((d) => d.range.start.line >= 0 && d.message.length > 0));
    });
  }
});
