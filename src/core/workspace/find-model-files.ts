import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { detectFormat } from '../frontends/read-model-file';
import { FileReadError, READ_LIMITS, readTextBounded, readTextIfPresent } from './read-bounded';

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
function isModelFile(file: string, root: string): boolean {
  if (ARCH_SPEC.test(file)) return true;
  if (!/\.(ya?ml|py|json)$/i.test(file)) return false;
  try {
    const format = detectFormat(file, readTextBounded(file, { maxBytes: READ_LIMITS.model, root, what: 'model file' }));
    return format === 'robarch-hydra' || format === 'pytorch' || format === 'keras' || format === 'tfjs';
  } catch (error) {
    if (error instanceof FileReadError) return false;
    throw error;
  }
}

/**
 * The model files under `root`, honouring every `.gitignore` on the way down (as git does)
 * and skipping version-control and dependency folders. A `.gitignore` that may not be read (a
 * FIFO, a link to a device or out of `root`) is told to `onProblem` and its rules are not applied.
 */
export function findModelFiles(
  root: string,
  onProblem: (file: string, message: string) => void = () => undefined,
): string[] {
  const found: string[] = [];
  const visit = (dir: string, layers: readonly Layer[]): void => {
    let here = layers;
    const file = path.join(dir, '.gitignore');
    const gitignore = readTextIfPresent(file, { maxBytes: READ_LIMITS.config, root, what: '.gitignore' });
    if (typeof gitignore === 'string') here = [...layers, { base: dir, rules: ignore().add(gitignore) }];
    else if (gitignore !== undefined) onProblem(file, gitignore.problem);
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!ALWAYS_SKIPPED.has(entry.name) && !ignoredBy(here, full, true)) visit(full, here);
      } else if (
        entry.isFile() &&
        CANDIDATE.test(entry.name) &&
        !ignoredBy(here, full, false) &&
        isModelFile(full, root)
      ) {
        found.push(full);
      }
    }
  };
  visit(root, []);
  return found;
}
