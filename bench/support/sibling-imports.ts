import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** How many sibling module files the model file of the import benchmark imports. */
export const SIBLINGS = 5;

/**
 * A package in a fresh temporary folder: five sibling modules, each the PyTorch ResNet example
 * (blocks, ResNet class, factories), and `model.py` beside them building one model from each
 * through relative imports. The model file and its lines, for a cold read that follows them all.
 */
export function siblingImportPackage(example: string): {
  readonly file: string;
  readonly lines: number;
  readonly dir: string;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-imports-'));
  const pkg = path.join(dir, 'zoo');
  fs.mkdirSync(pkg);
  fs.writeFileSync(path.join(pkg, '__init__.py'), '');
  const text = fs.readFileSync(example, 'utf8');
  const imports: string[] = [];
  const models: string[] = [];
  for (let i = 1; i <= SIBLINGS; i++) {
    fs.writeFileSync(path.join(pkg, `resnet_${i}.py`), text);
    imports.push(
      `from .resnet_${i} import ResNet as ResNet${i}, BasicBlock as BasicBlock${i}, Bottleneck as Bottleneck${i}`,
    );
    const block = i % 2 === 0 ? `BasicBlock${i}` : `Bottleneck${i}`;
    models.push(`def model_${i}():\n    return ResNet${i}(${block}, [${i}, 2, 2, 2], num_classes=${10 * i})\n`);
  }
  const file = path.join(pkg, 'model.py');
  const main = `import torch.nn as nn\n${imports.join('\n')}\n\n\n${models.join('\n\n')}`;
  fs.writeFileSync(file, main);
  const lines = main.split('\n').length + SIBLINGS * text.split('\n').length;
  return { file, lines, dir };
}
