import { execFile, spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** torch.fx's graph of the forward pass in execution order, or why the model does not trace. */
export type ForwardGraph =
  | {
      readonly ops: readonly {
        readonly op: 'call_module' | 'call_function' | 'call_method';
        readonly target: string;
        readonly line: number | null;
      }[];
    }
  | { readonly error: string };

/** Graph operations that add two tensors: a residual connection's merge. */
export function residualAdds(graph: ForwardGraph): number | undefined {
  if (!('ops' in graph)) return undefined;
  return graph.ops.filter((o) => o.op !== 'call_module' && /^(add|iadd|add_)$/.test(o.target)).length;
}

/** What running the model file under real PyTorch reported. */
export interface ExactReport {
  readonly torch?: string;
  readonly models: Record<
    string,
    {
      total: number;
      modules: { name: string; class: string; params: number; line: number | null }[];
      fx?: ForwardGraph;
    }
  >;
  readonly errors: Record<string, string>;
  /** Why no count could be had at all (no Python, no torch, a timeout). */
  readonly failure?: string;
}

export interface ExactOptions {
  /** The Python to run (a setting or --python); default `python3`. */
  readonly python?: string;
  readonly timeoutMs?: number;
  /** python/inspect_model.py, shipped with the extension and the CLI. */
  readonly script: string;
}

/**
 * Instantiates the named models of a PyTorch file in a separate Python process with a time
 * limit and returns PyTorch's own counts. This runs the user's code: callers must only use it
 * on request, in a trusted workspace.
 */
export function countWithPyTorch(file: string, names: readonly string[], options: ExactOptions): ExactReport {
  const python = options.python ?? 'python3';
  const result = spawnSync(python, [options.script, path.resolve(file), ...names], spawnOptions(options));
  if (result.error) return failed(result.error, python);
  if (result.status !== 0)
    return { ...EMPTY, failure: `Python exited with ${result.status ?? result.signal}: ${lastLine(result.stderr)}` };
  return parseReport(result.stdout, python);
}

/** The same, without blocking the caller (the extension host must stay responsive). */
export function countWithPyTorchAsync(
  file: string,
  names: readonly string[],
  options: ExactOptions,
): Promise<ExactReport> {
  const python = options.python ?? 'python3';
  return new Promise((resolve) => {
    execFile(python, [options.script, path.resolve(file), ...names], spawnOptions(options), (error, stdout, stderr) => {
      if (error && typeof error.code === 'string') return resolve(failed(error, python));
      if (error?.killed) return resolve({ ...EMPTY, failure: 'PyTorch did not finish within the time limit' });
      if (error)
        return resolve({ ...EMPTY, failure: `Python exited with ${error.code ?? error.signal}: ${lastLine(stderr)}` });
      resolve(parseReport(stdout, python));
    });
  });
}

const EMPTY = { models: {}, errors: {} };

function spawnOptions(options: ExactOptions): {
  encoding: 'utf8';
  timeout: number;
  maxBuffer: number;
  env: NodeJS.ProcessEnv;
} {
  return {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  };
}

function lastLine(text: string | undefined): string {
  return (text || '').trim().split('\n').pop() ?? '';
}

function failed(error: Error, python: string): ExactReport {
  const code = (error as NodeJS.ErrnoException).code;
  return {
    ...EMPTY,
    failure:
      code === 'ENOENT'
        ? `no Python at "${python}"`
        : code === 'ETIMEDOUT'
          ? 'PyTorch did not finish within the time limit'
          : error.message,
  };
}

function parseReport(stdout: string, python: string): ExactReport {
  try {
    const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Partial<ExactReport> & { error?: string };
    if (parsed.error)
      return {
        ...EMPTY,
        failure:
          `${parsed.error} (install PyTorch for "${python}", or point --python / ` +
          `robustnessLens.python.path at one that has it)`,
      };
    return { torch: parsed.torch, models: parsed.models ?? {}, errors: parsed.errors ?? {} };
  } catch {
    return { ...EMPTY, failure: 'Python printed no report' };
  }
}
