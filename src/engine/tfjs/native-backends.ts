/**
 * The optional native TensorFlow back ends (@tensorflow/tfjs-node and -gpu). Their install script
 * downloads TensorFlow, so they are often absent or broken; every failure becomes one line that
 * says what to do.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type NativePackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';

/** tfjs-node-gpu 4.22 is built on TensorFlow 2.9, which links these CUDA versions. */
export const GPU_REQUIREMENT = 'needs CUDA 11.2 + cuDNN 8.1; CUDA 12 does not work';

/**
 * Loads a native package, which registers its 'tensorflow' back end with tfjs, and returns what it
 * threw (undefined when it loaded). esbuild leaves these requires alone (external in esbuild.js;
 * inside try, any other bundling of this file keeps them too), so they resolve at run time from
 * robustness-lens's folder.
 */
export function tryRequireNative(name: NativePackage): unknown {
  try {
    /* eslint-disable @typescript-eslint/no-require-imports -- optional packages, present only on some machines */
    if (name === '@tensorflow/tfjs-node-gpu') require('@tensorflow/tfjs-node-gpu');
    else require('@tensorflow/tfjs-node');
    /* eslint-enable @typescript-eslint/no-require-imports */
    return undefined;
  } catch (error) {
    return error ?? new Error(`${name} threw nothing while loading`);
  }
}

/** Why no CUDA GPU can be used here, or null when a driver is present. */
export function cudaUnavailable(): string | null {
  const visible = process.env['CUDA_VISIBLE_DEVICES'];
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1'))
    return 'CUDA_VISIBLE_DEVICES hides every GPU';
  if (process.platform === 'linux') {
    return fs.existsSync('/proc/driver/nvidia/version') || fs.existsSync('/dev/nvidiactl')
      ? null
      : 'no NVIDIA driver (/proc/driver/nvidia/version is missing)';
  }
  if (process.platform === 'win32') {
    const dll = path.join(process.env['SystemRoot'] ?? 'C:\\Windows', 'System32', 'nvcuda.dll');
    return fs.existsSync(dll) ? null : 'no NVIDIA CUDA driver (nvcuda.dll is missing)';
  }
  return `tfjs-node-gpu runs on Linux and Windows only, not ${process.platform}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** The shared library named in a loader error (libcudart.so.11.0, tensorflow.dll, ...). */
export function missingLibrary(message: string): string | null {
  const match = /([\w.+-]+\.(?:so(?:\.\d+)*|dylib|dll))\b/.exec(message);
  return match?.[1] ?? null;
}

/** One line: why `name` could not be loaded and what the user can do about it. */
export function explainNativeFailure(name: NativePackage, error: unknown, installDir: string | null): string {
  const gpu = name === '@tensorflow/tfjs-node-gpu';
  const message = errorText(error);
  const missingModule = errorCode(error) === 'MODULE_NOT_FOUND';
  if (missingModule && message.includes(`Cannot find module '${name}'`)) {
    const where = installDir ? `in ${installDir}` : 'next to robustness-lens';
    const purpose = gpu ? `to train and attack on the GPU (${GPU_REQUIREMENT})` : "for TensorFlow's native CPU kernels";
    return `${name} is not installed: npm install ${name}@4.22.0 ${where} ${purpose}`;
  }
  if (missingModule && message.includes('tfjs_binding.node')) {
    return (
      `${name} is installed without its native binding (its install script downloads ` +
      `TensorFlow and did not run or failed): run npm rebuild ${name} with internet access`
    );
  }
  const fix = gpu
    ? `install CUDA 11.2 + cuDNN 8.1 and put their library folders on ` +
      `${process.platform === 'win32' ? 'PATH' : 'LD_LIBRARY_PATH'} (CUDA 12 does not work)`
    : `reinstall ${name} with internet access`;
  const library = missingLibrary(message);
  if (library) return `${name} failed to load ${library}: ${fix}`;
  // Windows names no library ("The specified module could not be found"): give the first line.
  return `${name} failed to load (${message.split(/\r?\n/)[0] ?? message}): ${fix}`;
}
