import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tfl from '@tensorflow/tfjs-layers';
import { kerasTopologyProblem } from '../../src/core/frontends/keras/check-topology';
import { selectTfjsBackend } from '../../src/engine/tfjs/select-backend';

type Layer = { name: string; class_name: string; inbound_nodes: unknown[] };
type Topology = { class_name: string; config: { layers: Layer[] } };

/**
 * A model TF.js itself serialises with a shared layer and a nested model, each called twice:
 * its layer list is out of dependency order (the shared Dense comes first but its second call
 * takes the nested model's output) and the nested model's calls start at node 1.
 */
function sharedAndNested(): Topology {
  const a = tfl.input({ shape: [4] });
  const inner = tfl.model({
    inputs: a,
    outputs: tfl.layers.dense({ units: 4 }).apply(a) as tfl.SymbolicTensor,
    name: 'inner',
  });
  const x = tfl.input({ shape: [4], name: 'x' });
  const shared = tfl.layers.dense({ units: 4, name: 'shared' });
  const y = shared.apply(inner.apply(shared.apply(x)) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: x, outputs: inner.apply(y) as tfl.SymbolicTensor });
  return model.toJSON(null, false) as unknown as Topology;
}

describe('kerasTopologyProblem', () => {
  before(async () => {
    await selectTfjsBackend('cpu');
  });

  it('accepts what TF.js writes and reloads: shared layers, nested models, layers out of order', async () => {
    const topology = sharedAndNested();
    assert.deepEqual(
      topology.config.layers.map((l) => l.name),
      ['x', 'shared', 'inner'],
    );
    assert.equal(kerasTopologyProblem(topology), undefined);
    const reloaded = await tfl.loadLayersModel({ load: async () => ({ modelTopology: topology }) });
    assert.equal(reloaded.layers.length, 3);
  });

  it('refuses a cycle through a nested model and names it', () => {
    const topology = sharedAndNested();
    const shared = topology.config.layers.find((l) => l.name === 'shared') as Layer;
    shared.inbound_nodes = [[['inner', 1, 0, {}]]];
    assert.match(
      kerasTopologyProblem(topology) ?? '',
      /^in the model, the layers form a cycle \((shared -> inner -> shared|inner -> shared -> inner)\)/,
    );
  });

  it('refuses duplicate names, names that disagree with the config, and malformed inbound references', () => {
    const twice = sharedAndNested();
    const third = twice.config.layers[2] as Layer & { config: { name: string } };
    third.name = 'shared';
    third.config.name = 'shared';
    assert.match(kerasTopologyProblem(twice) ?? '', /has two layers named shared/);
    const disagree = sharedAndNested();
    (disagree.config.layers[1] as Layer).name = 'other';
    assert.match(kerasTopologyProblem(disagree) ?? '', /is named other but its config names it shared/);
    const malformed = sharedAndNested();
    (malformed.config.layers[1] as Layer).inbound_nodes = [[['x', -1, 0, {}]]];
    assert.match(kerasTopologyProblem(malformed) ?? '', /layer shared has an inbound reference \["x",-1,0,\{\}\]/);
  });

  it('checks a reversed chain of 20,000 layers in well under a second', () => {
    const n = 20_000;
    const layers: Layer[] = [{ name: 'l0', class_name: 'InputLayer', inbound_nodes: [] }];
    for (let i = 1; i < n; i++)
      layers.push({ name: `l${i}`, class_name: 'Dense', inbound_nodes: [[[`l${i - 1}`, 0, 0, {}]]] });
    layers.reverse();
    const started = Date.now();
    assert.equal(kerasTopologyProblem({ class_name: 'Model', config: { layers } }), undefined);
    const ms = Date.now() - started;
    assert.ok(ms < 5_000, `${ms} ms`);
    layers.push({ name: 'extra', class_name: 'Dense', inbound_nodes: [] });
    assert.match(
      kerasTopologyProblem({ class_name: 'Model', config: { layers } }) ?? '',
      /the model has more than 20,000 layers/,
    );
  });
});
