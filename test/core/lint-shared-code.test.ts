import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Diagnostic } from '../../src/core';
import { mergeSharedFindings, nameModels, onFirstLine, type ModelFinding } from '../../src/core/lint/shared-findings';
import { lintText } from '../helpers/lint';
import { repoPath } from '../helpers/paths';
import { usePythonParser } from '../helpers/python';
import { joinRegExp } from '../helpers/regexp';

usePythonParser();

const EXAMPLE = repoPath('examples/pytorch/resnet.py');
// The example's two factories plus three more built from the same block classes.
const FIVE_MODELS = `${fs.readFileSync(EXAMPLE, 'utf8')}

def resnet34(num_classes: int = 1000) -> ResNet:
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes=num_classes)


def resnet101(num_classes: int = 1000) -> ResNet:
    return ResNet(Bottleneck, [3, 4, 23, 3], num_classes=num_classes)


def resnet152(num_classes: int = 1000) -> ResNet:
    return ResNet(Bottleneck, [3, 8, 36, 3], num_classes=num_classes)
`;

function textAt(text: string, d: Diagnostic): string {
  const lines = text.split('\n');
  const { start, end } = d.range;
  assert.equal(start.line, end.line, `${d.code} spans lines ${start.line + 1}-${end.line + 1}: ${d.message}`);
  return (lines[start.line] ?? '').slice(start.character, end.character);
}

function assertOnePerLocation(diagnostics: readonly Diagnostic[]): void {
  const keys = diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`);
  assert.deepEqual(
    keys.filter((k, i) => keys.indexOf(k) !== i),
    [],
    'a rule reported twice at one place',
  );
}

function assertMessageStyle(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics.filter((x) => x.code.startsWith('RA'))) {
    assert.match(d.message, /^[A-Z0-9]/, `${d.code} starts with a capital: ${d.message}`);
    assert.ok(d.message.length <= 165, `${d.code} is ${d.message.length} characters: ${d.message}`);
    assert.doesNotMatch(
      d.message,
      /RobArch study|\(guideline \d+/,
      `${d.code} leaves the evidence to its page: ${d.message}`,
    );
  }
}

describe('lint on code several models share', () => {
  // Read once the parser is loaded (usePythonParser's hook runs before the first test).
  let diagnostics: Diagnostic[] = [];
  before(() => {
    diagnostics = lintText('/virtual/resnets.py', FIVE_MODELS).filter((d) => d.code.startsWith('RA'));
  });

  it('reports each rule once per location, naming the models that share it', () => {
    assertOnePerLocation(diagnostics);
    const se = diagnostics.filter((d) => d.code === 'RA013');
    const basic = se.find((d) => textAt(FIVE_MODELS, d) === 'BasicBlock');
    const bottleneck = se.find((d) => textAt(FIVE_MODELS, d) === 'Bottleneck');
    assert.match(basic?.message ?? '', /^No squeeze-and-excitation .* \(in resnet18 and resnet34\)$/);
    assert.match(bottleneck?.message ?? '', /\(in resnet50, resnet101 and resnet152\)$/);
    // The per-model cost of adding SE differs between the three: it is left out, not picked from one.
    assert.doesNotMatch(bottleneck?.message ?? '', /here it costs/);
    const stem = diagnostics.filter((d) => d.code === 'RA007');
    assert.equal(stem.length, 1);
    assert.match(
      stem[0]?.message ?? '',
      /^Stem under 96 channels; .* \(width 64\) \(in resnet18, resnet50 and 3 more\)$/,
    );
  });

  it('puts model findings on the factory name and block findings on the class or layer name', () => {
    for (const d of diagnostics.filter((x) => ['RA002', 'RA005', 'RA017', 'RA018'].includes(x.code))) {
      assert.match(textAt(FIVE_MODELS, d), /^resnet\d+$/, `${d.code}: ${d.message}`);
    }
    for (const d of diagnostics.filter((x) => x.code === 'RA011' || x.code === 'RA016')) {
      assert.ok(textAt(FIVE_MODELS, d).length < 40, `${d.code} covers a layer, not a body: ${d.message}`);
    }
  });

  it('names each place one shared activation layer serves, in one finding', () => {
    const relu = diagnostics.filter((d) => d.code === 'RA011');
    assert.equal(relu.length, 2, relu.map((d) => d.message).join('\n'));
    const oneFinding = joinRegExp(
      /^ReLU as the activation of the first \(1x1\) conv, /,
      /of the second \(kxk\) conv and after the residual addition;/,
    );
    assert.ok(relu.some((d) => oneFinding.test(d.message)));
  });

  it('keeps messages short, capitalised and finding first', () => assertMessageStyle(diagnostics));

  it('keeps the model-specific detail when one model is concerned', () => {
    const single = lintText(EXAMPLE, fs.readFileSync(EXAMPLE, 'utf8'));
    const bottleneck = single.find((d) => d.code === 'RA013' && d.range.start.line === 49);
    assert.match(bottleneck?.message ?? '', /; here it costs \+\d+\.\d+M params$/);
  });
});

describe('merging findings of several models', () => {
  const at = (line: number): Diagnostic['range'] => ({ start: { line, character: 4 }, end: { line, character: 9 } });
  const finding = (model: string, message: string, extra: Partial<ModelFinding> = {}): ModelFinding => ({
    file: 'f.py',
    range: at(3),
    severity: 'warning',
    code: 'RA099',
    message,
    model,
    ...extra,
  });

  it('names up to three models, then counts the rest', () => {
    assert.equal(nameModels(['a']), 'a');
    assert.equal(nameModels(['a', 'b', 'c']), 'a, b and c');
    assert.equal(nameModels(['a', 'b', 'c', 'd', 'e']), 'a, b and 3 more');
  });

  it('keeps a detail every model agrees on, the strongest severity and a fix', () => {
    const fix = { title: 'fix', edits: [], safety: 'safe' as const };
    const [merged, ...rest] = mergeSharedFindings([
      finding('m1', 'Same', { detail: '; d', severity: 'info' }),
      finding('m2', 'Same', { detail: '; d', fix }),
    ]);
    assert.equal(rest.length, 0);
    assert.equal(merged?.message, 'Same; d (in m1 and m2)');
    assert.equal(merged?.severity, 'warning');
    assert.deepEqual(merged?.fix, fix);
  });

  it('joins findings that still differ at one place, each naming its models, rather than drop one', () => {
    const merged = mergeSharedFindings([finding('m1', 'A'), finding('m2', 'B'), finding('m3', 'A')]);
    assert.deepEqual(
      merged.map((d) => d.message),
      ['A (in m1 and m3); B (in m2)'],
    );
  });

  it('writes out two differing forms and counts the rest, naming their models', () => {
    const merged = mergeSharedFindings(['A', 'B', 'C', 'D'].map((m, i) => finding(`m${i}`, m)));
    assert.deepEqual(
      merged.map((d) => d.message),
      ['A (in m0); B (in m1); 2 more forms in m2 and m3'],
    );
  });

  it("shows a finding on a call written over several lines on the callee's name", () => {
    const lines = [
      '        layers.append(',
      '            Conv2dNormActivation(',
      '                3,',
      '            )',
    ];
    const d = { ...finding('m', 'A'), range: { start: { line: 1, character: 12 }, end: { line: 3, character: 13 } } };
    const shown = onFirstLine(d, lines);
    assert.deepEqual(shown.range, { start: { line: 1, character: 12 }, end: { line: 1, character: 32 } });
    assert.equal(lines[1]?.slice(12, 32), 'Conv2dNormActivation');
  });

  it('leaves findings at other places or of other rules apart', () => {
    const merged = mergeSharedFindings([
      finding('m1', 'A'),
      finding('m2', 'A', { range: at(4) }),
      finding('m1', 'A', { code: 'RA098' }),
    ]);
    assert.equal(merged.length, 3);
    assert.ok(merged.every((d) => d.message === 'A'));
  });
});

const TORCHVISION = '/usr/lib/python3/dist-packages/torchvision/models';

describe(
  "lint on torchvision's own files, read in place",
  { skip: fs.existsSync(TORCHVISION) ? false : 'python3-torchvision is not installed' },
  () => {
    const lintTorchvision = (name: string): { text: string; diagnostics: Diagnostic[] } => {
      const file = `${TORCHVISION}/${name}`;
      const text = fs.readFileSync(file, 'utf8');
      return { text, diagnostics: lintText(file, text).filter((d) => d.code.startsWith('RA')) };
    };

    it('resnet.py: one finding per place, on names, naming the models', () => {
      const { text, diagnostics } = lintTorchvision('resnet.py');
      assertOnePerLocation(diagnostics);
      assertMessageStyle(diagnostics);
      const se = diagnostics.find((d) => d.code === 'RA013' && textAt(text, d) === 'Bottleneck');
      assert.match(se?.message ?? '', /\(in resnet50, resnet101 and \d+ more\)$/);
      for (const d of diagnostics.filter((x) => x.code === 'RA002'))
        assert.match(textAt(text, d), /^(resnet|resnext|wide_resnet)\w+$/);
    });

    it("efficientnet.py: RA007 judges the stem conv, not the first block's depthwise conv, on one line", () => {
      const { text, diagnostics } = lintTorchvision('efficientnet.py');
      assertOnePerLocation(diagnostics);
      assertMessageStyle(diagnostics);
      const stem = diagnostics.filter((d) => d.code === 'RA007');
      assert.equal(stem.length, 1, stem.map((d) => d.message).join('\n'));
      assert.equal(textAt(text, stem[0] as Diagnostic), 'Conv2dNormActivation');
      assert.match(
        text
          .split('\n')
          .slice(stem[0]?.range.start.line, (stem[0]?.range.start.line ?? 0) + 3)
          .join('\n'),
        /3, firstconv_output_channels/,
      );
    });

    it("densenet.py: RA007 judges conv0 on the input path, not a dense layer's conv", () => {
      const { text, diagnostics } = lintTorchvision('densenet.py');
      const stem = diagnostics.filter((d) => d.code === 'RA007');
      assert.equal(stem.length, 1, stem.map((d) => d.message).join('\n'));
      assert.match(text.split('\n')[stem[0]?.range.start.line ?? 0] ?? '', /"conv0", nn\.Conv2d/);
      // densenet161 starts with 96 channels: it is not among the models named.
      assert.match(
        stem[0]?.message ?? '',
        /^Stem under 96 channels; .* \(width 64\) \(in densenet121, densenet169 and densenet201\)$/,
      );
    });
  },
);
