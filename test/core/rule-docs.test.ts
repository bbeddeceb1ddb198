import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { RULES, ruleDocMarkdown, rulesIndexMarkdown } from '../../src/core';
import { repoPath } from '../helpers/paths';

describe('rule documentation', () => {
  for (const rule of RULES) {
    it(`docs/rules/${rule.code}.md is generated from the rule (run npm run docs)`, () => {
      assert.equal(fs.readFileSync(repoPath('docs/rules', `${rule.code}.md`), 'utf8'), ruleDocMarkdown(rule));
    });
    it(`${rule.code}'s documented failing example raises it and the fixed one does not`, async () => {
      // The snippets are partial specs: complete them from RobArch-S, replacing the sections they give.
      const { completeSnippet } = await import('../helpers/snippets');
      const { codesOf, lintText } = await import('../helpers/lint');
      const fails = codesOf(lintText('snippet.arch.yaml', completeSnippet(rule.docs.fails)));
      const passes = codesOf(lintText('snippet.arch.yaml', completeSnippet(rule.docs.passes)));
      assert.ok(fails.includes(rule.code), `fails example gave ${fails.join(', ')}`);
      assert.ok(!passes.includes(rule.code), `passes example gave ${passes.join(', ')}`);
    });
  }
  it('docs/rules/README.md lists every rule', () => {
    assert.equal(fs.readFileSync(repoPath('docs/rules/README.md'), 'utf8'), rulesIndexMarkdown());
  });
});
