// Writes test/fixtures/autoattack/standard-flags.json: the per-image results of AutoAttack
// "standard" on the fixed workload of test/engine/support/autoattack-pin-workload.ts, as the code
// of the commit that runs it produces them. The fixture was written ONCE, by the code before the
// AutoAttack speed work (issue 18), so autoattack-pinned.test.ts proves that the speed work
// changes no result. Do not rerun it to make that test pass: a changed flag is a changed result.
//
//   node esbuild.js --tests && esbuild scripts/pin-autoattack.ts --bundle --platform=node \
//     --target=node20 --outfile=dist-test/pin-autoattack.js --log-level=warning \
//     --external:onnxruntime-node && node dist-test/pin-autoattack.js
// (from the repository root)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runPinnedWorkload } from '../test/engine/support/autoattack-pin-workload';

async function main(): Promise<void> {
  const flags = await runPinnedWorkload();
  const file = path.resolve('test', 'fixtures', 'autoattack', 'standard-flags.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(flags, null, 1)}\n`);
  fs.renameSync(tmp, file);
  console.log(`wrote ${file}: ${JSON.stringify(flags.brokenBy)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
