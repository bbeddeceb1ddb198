import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadBundledMnist, type Dataset } from '../../../src/engine/data';
import { repoPath } from '../../helpers/paths';
import { assertDatasetError } from './errors';
import { HALF_LEVEL, packageClass, tempDir, type DigitRef } from './fixtures';

/** The test build writes the digits beside its bundles, as the production build does beside dist/'s. */
const BUNDLED = repoPath('dist-test', 'data', 'mnist-bundled');

/**
 * The documented split, rebuilt from the package: in each class every fifth digit goes to test,
 * then each split takes its classes in turn.
 */
function expectedSplit(): { train: DigitRef[]; test: DigitRef[] } {
  const parts = { train: [] as DigitRef[][], test: [] as DigitRef[][] };
  for (let label = 0; label < 10; label++) {
    const count = packageClass(label).length / 784;
    parts.train.push([]);
    parts.test.push([]);
    for (let index = 0; index < count; index++)
      parts[(index + 1) % 5 === 0 ? 'test' : 'train'][label]?.push([label, index]);
  }
  const interleave = (lists: DigitRef[][]): DigitRef[] => {
    const out: DigitRef[] = [];
    const rounds = Math.max(...lists.map((list) => list.length));
    for (let round = 0; round < rounds; round++)
      for (const list of lists) if (round < list.length) out.push(list[round] as DigitRef);
    return out;
  };
  return { train: interleave(parts.train), test: interleave(parts.test) };
}

function classCounts(data: Dataset): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of data.labels) counts[label] = (counts[label] as number) + 1;
  return counts;
}

describe('bundled MNIST', () => {
  const { train, test } = loadBundledMnist(BUNDLED);

  it('holds the ~10,000 digits of the mnist package, ~8,000 to train and ~2,000 to test', () => {
    assert.ok(train);
    const total = Array.from({ length: 10 }, (_, label) => packageClass(label).length / 784).reduce((a, b) => a + b, 0);
    assert.equal(train.n + test.n, total);
    assert.ok(total >= 9_900 && total <= 10_100, `${total} digits`);
    assert.ok(Math.abs(test.n - total / 5) < 10, `${test.n} test digits`);
    for (const data of [train, test]) {
      assert.equal(data.name, 'mnist');
      assert.deepEqual(data.shape, { height: 28, width: 28, channels: 1 });
      assert.equal(data.numClasses, 10);
      assert.equal(data.images.length, data.n * 784);
    }
  });

  it('has all ten classes, balanced, and nearly balanced in any prefix', () => {
    assert.ok(train);
    for (const data of [train, test]) {
      for (const count of classCounts(data))
        assert.ok(count > 0.08 * data.n && count < 0.12 * data.n, `class counts ${classCounts(data).join(', ')}`);
    }
    const first = { ...test, labels: test.labels.subarray(0, 100) };
    assert.deepEqual(classCounts(first), new Array<number>(10).fill(10));
  });

  it('has pixels in [0, 1] using the whole range', () => {
    assert.ok(train);
    for (const data of [train, test]) {
      let low = Infinity;
      let high = -Infinity;
      for (let i = 0; i < data.images.length; i++) {
        const value = data.images[i] as number;
        if (value < low) low = value;
        if (value > high) high = value;
      }
      assert.equal(low, 0);
      assert.equal(high, 1);
    }
  });

  it("equals the mnist package's digits within half a grey level, in the documented split", () => {
    assert.ok(train);
    const expected = expectedSplit();
    for (const [data, refs] of [
      [train, expected.train],
      [test, expected.test],
    ] as const) {
      assert.equal(data.n, refs.length);
      refs.forEach(([label, index], i) => {
        assert.equal(data.labels[i], label);
        const source = packageClass(label);
        for (let p = 0; p < 784; p++) {
          const difference = Math.abs((data.images[i * 784 + p] as number) - (source[index * 784 + p] as number));
          if (difference > HALF_LEVEL)
            assert.fail(`digit ${i} (${label}.json #${index}) pixel ${p} differs by ${difference}`);
        }
      });
    }
  });

  it('says when the bundled files are missing', () => {
    const missing = path.join(tempDir(), 'mnist-bundled');
    assertDatasetError(
      () => loadBundledMnist(missing),
      missing,
      /the bundled MNIST digits are missing: .* does not exist/,
    );
  });
});
