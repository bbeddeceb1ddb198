import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

/** The only thing asked of the user's interpreter: its module search path, as JSON. */
export const SYS_PATH_SCRIPT = 'import sys, json; print(json.dumps(sys.path))';
const TIMEOUT_MS = 10_000;
const MAX_OUTPUT_BYTES = 1 << 20;

export type SysPathAnswer = { readonly folders: readonly string[] } | { readonly problem: string };

/** The absolute folders of an interpreter's printed `sys.path` (its '' entry, the current folder, left out). */
export function parseSysPath(stdout: string): readonly string[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.trim());
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  return parsed.filter((p): p is string => typeof p === 'string' && path.isAbsolute(p) && !p.endsWith('.zip'));
}

/**
 * Asks `python` for its `sys.path` and nothing else (`-c`, from the temporary folder, so no file of
 * the workspace is imported), within a time limit. The caller checks that the workspace is trusted.
 */
export function askSysPath(python: string, run: typeof execFile = execFile): Promise<SysPathAnswer> {
  return new Promise((resolve) => {
    run(
      python,
      ['-c', SYS_PATH_SCRIPT],
      { cwd: os.tmpdir(), timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, windowsHide: true },
      (error, stdout) => {
        if (error) {
          const why = error.killed
            ? `gave no answer within ${TIMEOUT_MS / 1000} s`
            : (error.message.split('\n')[0] ?? String(error));
          resolve({ problem: `${python} could not be asked for its sys.path: ${why}` });
          return;
        }
        const folders = parseSysPath(String(stdout));
        resolve(
          folders ? { folders } : { problem: `${python} printed no sys.path list: ${String(stdout).slice(0, 200)}` },
        );
      },
    );
  });
}

/** One answer per interpreter for the session: settings are pulled often, the interpreter is asked once. */
export class SysPathCache {
  private readonly answers = new Map<string, Promise<SysPathAnswer>>();

  constructor(
    private readonly report: (line: string) => void,
    private readonly ask: (python: string) => Promise<SysPathAnswer> = askSysPath,
  ) {}

  async folders(python: string): Promise<readonly string[]> {
    let answer = this.answers.get(python);
    if (!answer) {
      answer = this.ask(python);
      this.answers.set(python, answer);
      const settled = await answer;
      const found = 'folders' in settled ? `${settled.folders.length} folders` : '';
      this.report(
        'problem' in settled
          ? settled.problem
          : `Imports of Python model files are also looked for on ${python}'s sys.path (${found}).`,
      );
    }
    const settled = await answer;
    return 'folders' in settled ? settled.folders : [];
  }

  /** The interpreter may have changed (a package installed): ask again next time. */
  clear(): void {
    this.answers.clear();
  }
}
