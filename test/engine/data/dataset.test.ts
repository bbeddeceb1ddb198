import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { batchOf, readMnistIdx, shuffledOrder, take, type Dataset } from '../../../src/engine/data';
import { fixture } from './fixtures';

/** The 20 training digits of the IDX fixture: two per class, classes in turn. */
function digits(): Dataset {
  const { train } = readMnistIdx(fixture('mnist-idx'));
  assert.ok(train);
  return train;
}

describe('dataset helpers', () => {
  it('batchOf copies the chosen images and labels in the order asked', () => {
    const data = digits();
    const batch = batchOf(data, [3, 0, 3]);
    assert.equal(batch.n, 3);
    assert.deepEqual(Array.from(batch.labels), [data.labels[3], data.labels[0], data.labels[3]]);
    assert.deepEqual(batch.x.subarray(0, 784), data.images.subarray(3 * 784, 4 * 784));
    assert.deepEqual(batch.x.subarray(784, 2 * 784), data.images.subarray(0, 784));
    assert.deepEqual(batch.x.subarray(2 * 784), data.images.subarray(3 * 784, 4 * 784));
    assert.throws(() => batchOf(data, [20]), /index 20 is outside/);
    assert.equal(batchOf(data, []).x.length, 0);
  });

  it('shuffledOrder is a permutation fixed by the seed', () => {
    const order = shuffledOrder(50, 9);
    assert.deepEqual(
      Array.from(order).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(shuffledOrder(50, 9), order);
    assert.notDeepEqual(shuffledOrder(50, 10), order);
  });

  it('take keeps classes balanced and in a fixed order', () => {
    const data = digits();
    const first = take(data, 10);
    assert.equal(first.n, 10);
    assert.deepEqual(Array.from(first.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(first.images, data.images.subarray(0, 10 * 784));

    // Reorder so the classes come in runs; take must still interleave them.
    const sorted = Array.from({ length: data.n }, (_, i) => i).sort(
      (a, b) => (data.labels[a] as number) - (data.labels[b] as number) || a - b,
    );
    const grouped = batchOf(data, sorted);
    const runs: Dataset = { ...data, images: grouped.x, labels: grouped.labels };
    const picked = take(runs, 13);
    assert.deepEqual(Array.from(picked.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]);
    assert.deepEqual(take(runs, 13), picked);
    assert.equal(take(data, 100), data);
  });

  it('take skips a class that runs out', () => {
    const data = digits();
    // One 0 and three 1s (index 11 twice).
    const batch = batchOf(data, [0, 1, 11, 11]);
    const subset: Dataset = { ...data, images: batch.x, labels: batch.labels, n: batch.n };
    assert.deepEqual(Array.from(subset.labels), [0, 1, 1, 1]);
    assert.deepEqual(Array.from(take(subset, 3).labels), [0, 1, 1]);
  });
});
