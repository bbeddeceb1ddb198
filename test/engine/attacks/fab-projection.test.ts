import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ThreatNorm } from '../../../src/engine/attacks/attack';
import { HyperplaneBoxProjector } from '../../../src/engine/attacks/fab-projection';
import { vectorNorm } from '../../../src/engine/attacks/lp-norms';
import { Random } from '../../../src/engine/util/random';

const NORMS: ThreatNorm[] = ['Linf', 'L2'];

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

function project(norm: ThreatNorm, t: Float64Array, w: Float64Array, b: number): Float64Array {
  const d = new Float64Array(t.length);
  new HyperplaneBoxProjector(norm, t.length).project(t, 0, w, 0, b, d);
  return d;
}

describe('FAB projection onto hyperplane and box', () => {
  for (const norm of NORMS) {
    it(`${norm}: away from the box it is the closed-form distance to the hyperplane`, () => {
      const random = new Random(1);
      for (let trial = 0; trial < 20; trial++) {
        const size = 50;
        const t = Float64Array.from({ length: size }, () => random.uniform(0.4, 0.6));
        const w = Float64Array.from({ length: size }, () => random.normal());
        const gap = random.uniform(-0.5, 0.5);
        const b = dot(w, t) + gap;
        const d = project(norm, t, w, b);
        // The dual norm of Linf is L1, that of L2 is L2.
        const dual = norm === 'Linf' ? w.reduce((s, v) => s + Math.abs(v), 0) : Math.sqrt(dot(w, w));
        assert.ok(Math.abs(vectorNorm(norm, d) - Math.abs(gap) / dual) < 1e-12);
        assert.ok(
          Math.abs(
            dot(
              w,
              t.map((v, i) => v + (d[i] ?? 0)),
            ) - b,
          ) < 1e-9,
        );
      }
    });

    it(`${norm}: where the box binds no feasible point is closer (3-d, sampled)`, () => {
      const random = new Random(2);
      for (let trial = 0; trial < 30; trial++) {
        const t = Float64Array.from({ length: 3 }, () =>
          random.next() < 0.5 ? random.uniform(0, 0.1) : random.uniform(0.9, 1),
        );
        const w = Float64Array.from({ length: 3 }, () => random.normal());
        // A plane through a random box point, so it meets the box.
        const b = dot(w, [random.next(), random.next(), random.next()]);
        const d = project(norm, t, w, b);
        const z = t.map((v, i) => v + (d[i] ?? 0));
        for (const v of z) assert.ok(v >= -1e-12 && v <= 1 + 1e-12);
        assert.ok(Math.abs(dot(w, z) - b) < 1e-9, `trial ${trial} misses the plane`);
        const ours = vectorNorm(norm, d);
        for (let s = 0; s < 4000; s++) {
          const z0 = random.next();
          const z1 = random.next();
          const z2 = (b - (w[0] ?? 0) * z0 - (w[1] ?? 0) * z1) / (w[2] ?? 1);
          if (z2 < 0 || z2 > 1) continue;
          const other = vectorNorm(norm, [z0 - (t[0] ?? 0), z1 - (t[1] ?? 0), z2 - (t[2] ?? 0)]);
          assert.ok(ours <= other + 1e-9, `trial ${trial}: sampled ${other} < projected ${ours}`);
        }
      }
    });

    it(`${norm}: a hyperplane that misses the box sends the point to the nearest corner`, () => {
      const t = Float64Array.from([0.2, 0.7, 0.5]);
      const w = Float64Array.from([1, -2, 0]);
      const d = project(norm, t, w, 5);
      // <w, z> is at most 1 on the box, reached at (1, 0, .); the zero-weight coordinate stays.
      assert.deepEqual(Array.from(t.map((v, i) => v + (d[i] ?? 0))), [1, 0, 0.5]);
    });
  }

  it('a point already on the hyperplane does not move', () => {
    const t = Float64Array.from([0.25, 0.5]);
    const w = Float64Array.from([2, -1]);
    for (const norm of NORMS) assert.deepEqual(Array.from(project(norm, t, w, 0), Math.abs), [0, 0]);
  });
});
