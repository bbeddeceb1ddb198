/**
 * The fixed AutoAttack workload whose per-image results are pinned in
 * test/fixtures/autoattack/standard-flags.json: the bundled trained CNN
 * (examples/tfjs/mnist-small) run by ONNX Runtime on one thread (deterministic), on the first
 * bundled test digits, AutoAttack "standard" at a fixed Linf eps and seed. Shared by the test
 * (test/engine/attacks/autoattack-pinned.test.ts) and the script that wrote the fixture
 * (scripts/pin-autoattack.ts), so both run exactly the same thing.
 */
import { autoAttackVersion } from '../../../src/engine/attacks/autoattack-versions';
import { attackByName, runSequence } from '../../../src/engine/attacks/autoattack';
import { loadBundledMnist } from '../../../src/engine/data/bundled-mnist';
import { readKerasGraph } from '../../../src/engine/onnx/keras-graph';
import { OnnxClassifier } from '../../../src/engine/onnx/onnx-classifier';
import { LayersClassifier } from '../../../src/engine/tfjs/layers-classifier';
import { selectTfjsBackend } from '../../../src/engine/tfjs/select-backend';
import { repoPath } from '../../helpers/paths';

const N = 24;
export const PIN_EPS = 0.08;
export const PIN_SEED = 0;

/** What the fixture holds: per image, the clean verdict and the attack that broke it (null: robust). */
export interface PinnedFlags {
  readonly eps: number;
  readonly seed: number;
  readonly clean: number[];
  readonly afterEach: Record<string, number[]>;
  /** Per image: 'clean' (misclassified already), the first attack that broke it, or null. */
  readonly brokenBy: (string | null)[];
  /**
   * FAB-T and Square each alone on every image: in the sequence APGD-CE breaks first, so these
   * pin the later attacks' own searches too.
   */
  readonly alone: Record<string, number[]>;
}

export async function runPinnedWorkload(): Promise<PinnedFlags> {
  await selectTfjsBackend('cpu');
  const file = repoPath('examples', 'tfjs', 'mnist-small', 'model.json');
  const layers = await LayersClassifier.load(file);
  const graph = await readKerasGraph(file, await layers.getState());
  const model = OnnxClassifier.fromKerasGraph(graph, {
    inputShape: layers.inputShape,
    numClasses: layers.numClasses,
    threads: 1,
  });
  try {
    const test = loadBundledMnist(repoPath('dist-test', 'data', 'mnist-bundled')).test;
    const size = test.images.length / test.n;
    const batch = { x: test.images.slice(0, N * size), labels: test.labels.slice(0, N), n: N };
    const { attacks } = autoAttackVersion('standard');
    const threat = { norm: 'Linf' as const, eps: PIN_EPS };
    const out = await runSequence(model, batch, threat, attacks, { seed: PIN_SEED });
    const afterEach: Record<string, number[]> = {};
    for (const step of out.afterEach) afterEach[step.name] = Array.from(step.robust);
    const brokenBy = Array.from(out.clean, (ok, i) => {
      if (!ok) return 'clean';
      return out.afterEach.find((step) => !step.robust[i])?.name ?? null;
    });
    const alone: Record<string, number[]> = {};
    for (const name of ['fab-t', 'square'] as const) {
      const single = await attackByName(name).run(model, batch, threat, { seed: PIN_SEED });
      alone[name] = Array.from(single.robust);
    }
    return { eps: PIN_EPS, seed: PIN_SEED, clean: Array.from(out.clean), afterEach, brokenBy, alone };
  } finally {
    await model.dispose();
    layers.dispose();
  }
}
