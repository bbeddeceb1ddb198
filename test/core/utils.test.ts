import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pythonRound } from '../../src/core/util/python-round';
import { formatCompact, parseCount } from '../../src/core/util/parse-count';
import { closestMatch } from '../../src/core/util/closest-match';
import { utf8ByteLength } from '../../src/core/util/utf8-length';

describe('pythonRound', () => {
  it('rounds halves to the even neighbour as Python 3 does', () => {
    // Python: [round(x) for x in (0.5, 1.5, 2.5, 17.5, 18.5, 2.4, 2.6)] == [0, 2, 2, 18, 18, 2, 3]
    assert.deepEqual([0.5, 1.5, 2.5, 17.5, 18.5, 2.4, 2.6].map(pythonRound), [0, 2, 2, 18, 18, 2, 3]);
  });
});

describe('parseCount', () => {
  it('reads budgets as people write them', () => {
    assert.equal(parseCount('26M'), 26_000_000);
    assert.equal(parseCount('25.6m'), 25_600_000);
    assert.equal(parseCount('26,143,228'), 26_143_228);
    assert.equal(parseCount('1.2G'), 1_200_000_000);
    assert.equal(parseCount(104_000_000), 104_000_000);
    assert.equal(parseCount('lots'), undefined);
    assert.equal(parseCount('-3M'), undefined);
    assert.equal(parseCount(0), undefined);
  });

  it('formats compactly without trailing zeros', () => {
    assert.equal(formatCompact(26_000_000), '26M');
    assert.equal(formatCompact(26_143_228), '26.14M');
    assert.equal(formatCompact(1500), '1.5K');
  });
});

describe('closestMatch', () => {
  it('suggests a near key and nothing for a far one', () => {
    assert.equal(closestMatch('widht', ['depth', 'width', 'stride']), 'width');
    assert.equal(closestMatch('optimizer', ['depth', 'width', 'stride']), undefined);
  });
});

describe('utf8ByteLength', () => {
  it('counts bytes as UTF-8 encodes them', () => {
    for (const text of ['abc', 'é', '€', '😀', 'stem: 96 # 幅']) {
      assert.equal(utf8ByteLength(text), Buffer.byteLength(text, 'utf8'));
    }
  });
});
