import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concentricRectangles, squarePattern } from '../../../src/engine/attacks/square-l2-pattern';
import { roundHalfEven, squareFraction } from '../../../src/engine/attacks/square-schedule';
import { squareOffset } from '../../../src/engine/attacks/square-window';
import { Random } from '../../../src/engine/util/random';

function close(got: ArrayLike<number>, want: number[]): void {
  assert.equal(got.length, want.length);
  want.forEach((w, i) => assert.ok(Math.abs((got[i] ?? NaN) - w) < 1e-12, `[${i}] ${got[i]} vs ${w}`));
}

describe('Square Attack parts', () => {
  it('halves p at the reference breakpoints, unscaled as AutoAttack runs it', () => {
    const at = (iter: number): number => squareFraction(iter, 0.8, 5000, false);
    assert.equal(at(0), 0.8);
    assert.equal(at(10), 0.8);
    assert.equal(at(11), 0.4);
    assert.equal(at(50), 0.4);
    assert.equal(at(51), 0.2);
    assert.equal(at(201), 0.1);
    assert.equal(at(4999), 0.8 / 128);
    assert.equal(at(8001), 0.8 / 512);
    // Rescaled to 1,000 queries, iteration 2 is the schedule's iteration 20.
    assert.equal(squareFraction(1, 0.8, 1000, true), 0.8);
    assert.equal(squareFraction(2, 0.8, 1000, true), 0.4);
  });

  it('rounds halves to even as Python does', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 2, 3]);
  });

  it('builds concentric rectangles weighted 1/(k+1)^2, unit norm', () => {
    const norm = Math.sqrt(0.25 ** 2 * 2 + 1.25 ** 2);
    close(concentricRectangles(1, 3), [0.25 / norm, 1.25 / norm, 0.25 / norm]);
    assert.equal(concentricRectangles(0, 3).length, 0);
  });

  it('the L2 pattern has two halves of opposite sign and unit norm, zero sum for even sides', () => {
    const random = new Random(4);
    for (const side of [1, 3, 5, 6]) {
      const pattern = squarePattern(side, random);
      const sumSq = pattern.reduce((s, v) => s + v * v, 0);
      assert.ok(Math.abs(sumSq - 1) < 1e-12);
      if (side % 2 === 0) assert.ok(Math.abs(pattern.reduce((s, v) => s + v, 0)) < 1e-12);
    }
    // 3 x 3: one positive row over two negative ones, or their transpose.
    const seen = new Set<string>();
    for (let k = 0; k < 20; k++) {
      const p = squarePattern(3, random);
      seen.add((p[2] ?? 0) > 0 ? 'rows' : 'columns');
      const upper = concentricRectangles(1, 3);
      const lower = concentricRectangles(2, 3);
      const whole = [...upper, ...lower.map((v) => -v)].map((v) => v / Math.SQRT2);
      const transposed = [0, 3, 6, 1, 4, 7, 2, 5, 8].map((i) => whole[i] ?? 0);
      close(p, (p[2] ?? 0) > 0 ? whole : transposed);
    }
    assert.equal(seen.size, 2);
  });

  it('window corners are uniform over every position, the last included', () => {
    const random = new Random(5);
    const corners = new Set(Array.from({ length: 200 }, () => squareOffset(6, 3, random)));
    assert.deepEqual([...corners].sort(), [0, 1, 2, 3]);
    assert.equal(squareOffset(4, 4, random), 0);
  });
});
