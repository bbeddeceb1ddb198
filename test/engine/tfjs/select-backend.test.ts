import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { explainNativeFailure, missingLibrary } from '../../../src/engine/tfjs/native-backends';
import { selectTfjsBackend, type BackendProbe } from '../../../src/engine/tfjs/select-backend';
import { tfjsWasmDir } from '../../../src/engine/tfjs/locate-files';
import { wasmGradientKernelsInstalled } from '../../../src/engine/tfjs/wasm-gradient-kernels';
import { joinRegExp } from '../../helpers/regexp';

function moduleNotFound(name: string): Error {
  return Object.assign(new Error(`Cannot find module '${name}'\nRequire stack:\n- /x/dist/engine-worker.js`), {
    code: 'MODULE_NOT_FOUND',
  });
}

/** A machine with an NVIDIA driver but neither native package installed. */
const gpuMachineWithoutPackages: BackendProbe = {
  cudaUnavailable: () => null,
  tryRequireNative: (name) => moduleNotFound(name),
  wasmDir: tfjsWasmDir,
  installDir: () => '/opt/robustness-lens',
};

describe('selectTfjsBackend', () => {
  it('falls back to wasm with our kernels and says how to get the native back ends', async () => {
    const selected = await selectTfjsBackend(undefined, gpuMachineWithoutPackages);
    assert.equal(selected.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.match(selected.device, /WebAssembly/);
    assert.ok(wasmGradientKernelsInstalled());
    const notes = selected.notes.join('\n');
    assert.match(notes, /^using wasm/);
    assert.match(notes, /threads do not work under Node/);
    assert.match(
      notes,
      joinRegExp(
        /@tensorflow\/tfjs-node-gpu is not installed: npm install @tensorflow\/tfjs-node-gpu@4\.22\.0 /,
        /in \/opt\/robustness-lens to train and attack on the GPU \(needs CUDA 11\.2 \+ cuDNN 8\.1/,
      ),
    );
    assert.match(notes, /@tensorflow\/tfjs-node is not installed/);
    assert.equal(selected.notes.filter((n) => n.includes('tfjs-node-gpu')).length, 1, 'one line about the GPU');
  });

  it('on this machine reports the chosen back end and a note for each native one it skipped', async () => {
    const selected = await selectTfjsBackend();
    assert.equal(tf.getBackend(), selected.name);
    assert.match(selected.notes[0] ?? '', /^using /);
    if (selected.name !== 'tensorflow') {
      assert.ok(
        selected.notes.some((n) => n.includes('tfjs-node-gpu')),
        selected.notes.join('\n'),
      );
      assert.ok(
        selected.notes.some((n) => n.includes('@tensorflow/tfjs-node ') || n.includes('@tensorflow/tfjs-node is')),
        selected.notes.join('\n'),
      );
    }
  });

  it('takes a preferred back end, or refuses it with the reason', async () => {
    const cpu = await selectTfjsBackend('cpu');
    assert.equal(cpu.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    await assert.rejects(
      selectTfjsBackend('tfjs-node', gpuMachineWithoutPackages),
      /the tfjs-node back end is not available: @tensorflow\/tfjs-node is not installed/,
    );
    const noGpu: BackendProbe = { ...gpuMachineWithoutPackages, cudaUnavailable: () => 'no NVIDIA driver' };
    await assert.rejects(selectTfjsBackend('tfjs-node-gpu', noGpu), /tfjs-node-gpu skipped: no NVIDIA driver/);
    assert.equal((await selectTfjsBackend('wasm')).name, 'wasm');
  });
});

describe('native back end failures', () => {
  it('name the CUDA library that failed to load and the versions that work', () => {
    const error = new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');
    const line = explainNativeFailure('@tensorflow/tfjs-node-gpu', error, null);
    assert.match(line, /failed to load libcudart\.so\.11\.0: install CUDA 11\.2 \+ cuDNN 8\.1/);
    assert.doesNotMatch(line, /\n/);
    assert.equal(missingLibrary('error loading tensorflow.dll: module not found'), 'tensorflow.dll');
    assert.equal(missingLibrary('Cannot find module x'), null);
  });

  it('tell a missing native binding (install script skipped) from a missing package', () => {
    const binding = Object.assign(
      new Error("Cannot find module '/x/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'"),
      { code: 'MODULE_NOT_FOUND' },
    );
    assert.match(
      explainNativeFailure('@tensorflow/tfjs-node', binding, null),
      /without its native binding.*npm rebuild @tensorflow\/tfjs-node/,
    );
    assert.match(
      explainNativeFailure('@tensorflow/tfjs-node', moduleNotFound('@tensorflow/tfjs-node'), null),
      /is not installed: npm install @tensorflow\/tfjs-node@4\.22\.0 next to robustness-lens/,
    );
    const windows = Object.assign(
      new Error('The specified module could not be found.\r\n\\\\?\\C:\\x\\tfjs_binding.node'),
      { code: 'ERR_DLOPEN_FAILED' },
    );
    assert.match(
      explainNativeFailure('@tensorflow/tfjs-node-gpu', windows, null),
      /failed to load \(The specified module could not be found\.\): install CUDA 11\.2/,
    );
  });
});
