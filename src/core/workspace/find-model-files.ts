import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { detectFormat } from '../frontends/read-model-file';
import { MAX_MODEL_FILE_BYTES } from '../frontends/limits';

const ALWAYS_SKIPPED = new Set(['.git', 'node_modules', '.hg', '.svn']);
const CANDIDATE = /\.(ya?ml|json|py)$/i;
const ARCH_SPEC = /\.arch\.(ya?ml|json)$/i;

interface Layer {
  readonly base: string;
  readonly rules: Ignore;
}

function ignoredBy(layers: readonly Layer[], file: string, isDir: boolean): boolean {
  return layers.some(({ base, rules }) => {
    const relative = path.relative(base, file).split(path.sep).join('/');
    return relative !== '' && !relative.startsWith('..') && rules.ignores(isDir ? `${relative}/` : relative);
  });
}

/** A model file among the candidates: our spec by name, a RobArch config or PyTorch code by content. */
function isModelFile(file: string): boolean {
  if (ARCH_SPEC.test(file)) return true;
  if (!/\.(ya?ml|py|json)$/i.test(file)) return false;
  try {
    if (fs.statSync(file).size > MAX_MODEL_FILE_BYTES) return false;
    const format = detectFormat(file, fs.readFileSync(file, 'utf8'));
    return format === 'robarch-hydra' || format === 'pytorch' || format === 'keras' || format === 'tfjs';
  } catch {
    return false;
  }
}

/**
 * The model files under `root`, honouring every `.gitignore` on the way down (as git does)
 * and skipping version-control and dependency folders.
 */
export function findModelFiles(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, layers: readonly Layer[]): void => {
    let here = layers;
    const gitignore = path.join(dir, '.gitignore');
    if (fs.existsSync(gitignore)) here = [...layers, { base: dir, rules: ignore().add(fs.readFileSync(gitignore, 'utf8')) }];
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!ALWAYS_SKIPPED.has(entry.name) && !ignoredBy(here, full, true)) visit(full, here);
      } else if (entry.isFile() && CANDIDATE.test(entry.name) && !ignoredBy(here, full, false) && isModelFile(full)) {
        found.push(full);
      }
    }
  };
  visit(root, []);
  return found;
}
