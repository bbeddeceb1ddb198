import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Which extension package the engine runs from, as scripts/build/package-vsix.js writes it into
 * dist/package-target.json: a platform's (with that platform's ONNX Runtime beside the bundle) or
 * the universal one (none). Absent when the engine runs from npm, the CLI or the repository.
 */
export interface PackageTarget {
  readonly target: string;
  /** The onnxruntime-node version the package carries; absent in the universal one. */
  readonly onnxruntime?: string;
}

/** The platforms onnxruntime-node ships a native binary for, and so a package of their own. */
export const NATIVE_TARGETS: readonly string[] = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64'];

/** The package-target.json in `dir` (the engine bundle's folder), or undefined (none, or unreadable). */
export function readPackageTarget(dir: string): PackageTarget | undefined {
  try {
    const file = path.join(dir, 'package-target.json');
    // A file we write ourselves, a few dozen bytes: anything larger is not ours.
    if (fs.statSync(file).size > 4096) return undefined;
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { target, onnxruntime } = value as Record<string, unknown>;
    if (typeof target !== 'string') return undefined;
    return typeof onnxruntime === 'string' ? { target, onnxruntime } : { target };
  } catch {
    return undefined;
  }
}

function installAdvice(machine: string): string {
  return NATIVE_TARGETS.includes(machine)
    ? `install Robustness Lens's package for ${machine} (robustness-lens-${machine}.vsix; the Marketplace picks it ` +
        'by itself) for the native engine'
    : `ONNX Runtime ships no native engine for ${machine}, so no package carries one`;
}

/**
 * Why ONNX Runtime cannot be used, and what to do, for the package the engine runs from.
 * `detail`: the first line of the loader's error. `machine`: `${process.platform}-${process.arch}`.
 */
export function onnxRuntimeAdvice(pkg: PackageTarget | undefined, machine: string, detail: string): string {
  if (!pkg) {
    return (
      'the onnxruntime back end needs the optional package onnxruntime-node (npm install onnxruntime-node), ' +
      `which could not be loaded: ${detail}; the tfjs back ends run without it`
    );
  }
  if (pkg.target === 'universal') {
    return (
      "this is Robustness Lens's universal package, which carries no ONNX Runtime: " +
      `${installAdvice(machine)}; runs use the tfjs back ends meanwhile`
    );
  }
  if (pkg.target !== machine) {
    return (
      `this Robustness Lens package is built for ${pkg.target} and this machine is ${machine}: ` +
      `${installAdvice(machine)}; runs use the tfjs back ends meanwhile`
    );
  }
  const windows = machine.startsWith('win32-') ? ' (it needs the Visual C++ Redistributable 2019 or later)' : '';
  const version = pkg.onnxruntime ?? 'unknown version';
  return (
    `the ONNX Runtime in this package (${pkg.target}, onnxruntime-node ${version}) could not load${windows}: ` +
    `${detail}; the tfjs back ends run without it`
  );
}

/** Why ONNX Runtime's CUDA provider is absent, and how to get it, for the package the engine runs from. */
export function cudaProviderAdvice(pkg: PackageTarget | undefined, npmInstall: string): string {
  if (!pkg || pkg.target === 'universal') {
    return `its CUDA 12 provider is not installed (install it with \`${npmInstall}\`)`;
  }
  // The provider is several hundred megabytes: no extension package carries it.
  return (
    "this extension package carries ONNX Runtime's CPU provider only; for CUDA 12, run the command-line tool " +
    `installed from npm with \`${npmInstall}\``
  );
}
