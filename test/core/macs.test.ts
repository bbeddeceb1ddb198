import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from '../../src/core';
import { readNetwork } from '../helpers/read';

describe('multiply-accumulates', () => {
  // Measured with PyTorch 1.13 forward hooks on torchvision's resnet50 (convs: output positions x
  // Cout x Cin/groups x kh x kw; linear: in x out).
  it('matches ResNet-50 at 224 and 160 pixels', () => {
    const network = readNetwork('examples/resnet50.arch.yaml');
    assert.deepEqual(summarize(network, 224).macs, { known: true, value: 4_089_184_256 });
    assert.deepEqual(summarize(network, 160).macs, { known: true, value: 2_087_321_600 });
  });

  it('follows the spatial size through strided convs and the max-pool', () => {
    const summary = summarize(readNetwork('examples/resnet50.arch.yaml'), 224);
    const shape = (name: string): unknown => summary.rows.find((r) => r.layer.name === name)?.output;
    assert.deepEqual(shape('stem.stem.stem.0'), { kind: 'map', channels: 64, height: 112, width: 112 });
    assert.deepEqual(shape('stem.stem.stem_downsample'), { kind: 'map', channels: 64, height: 56, width: 56 });
    assert.deepEqual(shape('stages.stage4.stage4-block2.F.c.1'), { kind: 'map', channels: 2048, height: 7, width: 7 });
    assert.deepEqual(shape('fc'), { kind: 'flat', features: 1000 });
  });

  it('counts SE on the pooled map, independent of the input size', () => {
    const s = summarize(readNetwork('examples/robarch-s.arch.yaml'), 224);
    const se = s.rows.find((r) => r.layer.name === 'stages.stage1.stage1-block0.F.se');
    // 72 -> 24 -> 72: round(0.25 x 96 input channels) = 24 squeeze channels.
    assert.deepEqual(se?.macs, { known: true, value: 2 * 72 * 24 });
  });
});
