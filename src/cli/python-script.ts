import * as fs from 'node:fs';
import * as path from 'node:path';

/** python/inspect_model.py, found from the bundle (dist/) or the sources (for tests). */
export function inspectModelScript(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'python', 'inspect_model.py');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.join(__dirname, '..', 'python', 'inspect_model.py');
}
