import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { READER_CODES, readerCodeDocMarkdown, RULES, ruleDocMarkdown, rulesIndexMarkdown } from '../../src/core';
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
  for (const entry of READER_CODES) {
    it(`docs/rules/${entry.code}.md is generated from the reading-problem table (run npm run docs)`, () => {
      assert.equal(fs.readFileSync(repoPath('docs/rules', `${entry.code}.md`), 'utf8'), readerCodeDocMarkdown(entry));
    });
  }
  it('every RL code the reader, the server or the CLI reports has a page, and every page a reporter', () => {
    const used = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.ts$/.test(entry.name) && !file.endsWith('reader-codes.ts')) {
          for (const m of fs.readFileSync(file, 'utf8').matchAll(/'(RL\d{3})'/g)) used.add(m[1] ?? '');
        }
      }
    };
    walk(repoPath('src'));
    assert.deepEqual([...used].sort(), READER_CODES.map((c) => c.code).sort());
  });
  it('each rule page names the file-wide suppression of its own code', () => {
    for (const rule of RULES) assert.ok(ruleDocMarkdown(rule).includes(`ignore-file[${rule.code}]`), rule.code);
  });
  it('docs/rules/README.md lists every rule', () => {
    assert.equal(fs.readFileSync(repoPath('docs/rules/README.md'), 'utf8'), rulesIndexMarkdown());
  });
});
