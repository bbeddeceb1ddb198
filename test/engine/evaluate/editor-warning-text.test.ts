import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OverreportChecks } from '../../../src/engine/evaluate/overreport-checks';
import { editorWarningText } from '../../../src/engine/evaluate/eval-warnings';

describe("over-reporting warnings in the editor's words", () => {
  // An untrained model at chance on 10 classes where Square broke an image the gradient attacks left:
  // the engine's own warnings, as result.json carries them.
  const engine = new OverreportChecks(true).finish(
    0.1,
    4,
    10,
    ['apgd-ce', 'square'],
    [Uint8Array.from([1, 1, 0, 0]), Uint8Array.from([1, 0, 0, 0])],
  );

  it('the engine keeps its CLI wording (the CLI prints it)', () => {
    assert.deepEqual(
      engine.map((w) => w.code),
      ['untrained-weights', 'near-chance', 'black-box-beats-gradient'],
    );
    assert.match(engine[0]?.advice ?? '', /--weights RUN/);
  });

  it("the editor's are capitalised and name commands, not CLI flags", () => {
    for (const warning of engine) {
      const { message, advice } = editorWarningText(warning);
      for (const text of [message, advice]) {
        assert.match(text, /^[A-Z]/, text);
        assert.doesNotMatch(text, /(^|\s)--\w/, text);
        assert.doesNotMatch(text, /robustness-lens (train|eval)/, text);
      }
    }
    const untrained = editorWarningText(engine[0] ?? assert.fail('no warning'));
    assert.match(untrained.advice, /"Train adversarially"/);
    assert.match(untrained.advice, /"Train briefly first"/);
  });
});
