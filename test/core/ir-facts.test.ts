import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { known } from '../../src/core';
import { readNetwork } from '../helpers/read';

describe('model IR facts', () => {
  const robarch = readNetwork('examples/robarch-s.arch.yaml');
  const resnet = readNetwork('examples/resnet50.arch.yaml');

  it('states the network-level design (D-, W-, G-, BM- notation of the paper)', () => {
    assert.deepEqual(robarch.facts.depths, known([5, 8, 13, 1]));
    assert.deepEqual(robarch.facts.widths, known([288, 576, 1120, 2160]));
    assert.deepEqual(robarch.facts.groups, known([2, 2, 2, 2]));
    assert.deepEqual(robarch.facts.bottleneckMultipliers, known([0.25, 0.25, 0.25, 0.25]));
    assert.deepEqual(resnet.facts.groups, known([1, 1, 1, 1]));
    assert.deepEqual(resnet.facts.strides, known([1, 2, 2, 2]));
  });

  it('states the stem: width, kernel, max-pool', () => {
    assert.deepEqual(robarch.stem.facts.width, known(96));
    assert.deepEqual(robarch.stem.facts.maxPool, known(false));
    assert.deepEqual(resnet.stem.facts.maxPool, known(true));
    assert.deepEqual(resnet.stem.facts.kernel, known(7));
  });

  it('states each block: norms and activations per conv, SE placement, shortcut', () => {
    const first = robarch.stages[0]?.blocks[0];
    const second = robarch.stages[0]?.blocks[1];
    assert.ok(first && second);
    assert.deepEqual(first.facts.norms, known([null, 'batch', 'batch']));
    assert.deepEqual(first.facts.activations, known(['silu', 'silu', 'silu']));
    assert.deepEqual(
      first.facts.se,
      known({ afterConv: 1, squeezeChannels: 24, ratio: known(0.25), activation: 'relu' }),
    );
    assert.deepEqual(second.facts.se.known && second.facts.se.value?.squeezeChannels, 72);
    assert.deepEqual(first.facts.shortcut, known('projection'));
    assert.deepEqual(second.facts.shortcut, known('identity'));
    assert.equal(second.facts.shortcutNorm.known, false, 'an identity shortcut has no norm to state');
    assert.deepEqual(first.facts.innerWidth, known(72));
    assert.deepEqual(first.facts.groups, known(2));
  });

  it('keeps PyTorch module names and the source line of each layer', () => {
    const block = robarch.stages[0]?.blocks[0];
    assert.deepEqual(
      block?.layers.map((l) => l.name),
      [
        'stages.stage1.stage1-block0.F.a.0',
        'stages.stage1.stage1-block0.F.a.2',
        'stages.stage1.stage1-block0.F.b.0',
        'stages.stage1.stage1-block0.F.b.1',
        'stages.stage1.stage1-block0.F.b.2',
        'stages.stage1.stage1-block0.F.se',
        'stages.stage1.stage1-block0.F.c.0',
        'stages.stage1.stage1-block0.F.c.1',
      ],
    );
    // Every layer of a block points at its stage's line (so the line carries the stage's cost);
    // the block's facts point where each was written.
    const lineOf = (i: number): number | undefined => block?.layers[i]?.source?.start.line;
    assert.equal(lineOf(0), 20, 'the 1x1 conv points at stages[0] (line 21)');
    assert.equal(lineOf(1), 20, 'so does its SiLU');
    assert.equal(
      block?.factSources?.['activations.1']?.start.line,
      14,
      'the activation fact points at block.activations (line 15)',
    );
  });

  it('marks conv bias as PyTorch would: no bias before a norm, none where RobArch removed the norm', () => {
    const conv = robarch.stages[0]?.blocks[0]?.layers[0];
    assert.equal(conv?.kind, 'conv');
    assert.deepEqual(conv?.kind === 'conv' && conv.bias, known(false));
    const fc = robarch.head.layers.find((l) => l.kind === 'linear');
    assert.deepEqual(fc?.kind === 'linear' && fc.bias, known(true));
  });
});
