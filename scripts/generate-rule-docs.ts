import * as fs from 'node:fs';
import * as path from 'node:path';
import { READER_CODES, readerCodeDocMarkdown, RULES, ruleDocMarkdown, rulesIndexMarkdown } from '../src/core';

// Writes docs/rules/RA0NN.md, docs/rules/RL1NN.md and docs/rules/README.md from the rules themselves (Ruff's way:
// the documentation cannot drift from the code). A unit test fails when they are stale.
const dir = path.join(process.cwd(), 'docs', 'rules');
fs.mkdirSync(dir, { recursive: true });
for (const rule of RULES) fs.writeFileSync(path.join(dir, `${rule.code}.md`), ruleDocMarkdown(rule));
for (const entry of READER_CODES) fs.writeFileSync(path.join(dir, `${entry.code}.md`), readerCodeDocMarkdown(entry));
fs.writeFileSync(path.join(dir, 'README.md'), rulesIndexMarkdown());
console.log(
  `wrote ${RULES.length} rule pages, ${READER_CODES.length} reading-problem pages and the ` +
    `index to ${path.relative(process.cwd(), dir)}`,
);
