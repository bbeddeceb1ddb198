import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';

// The extension host must stay light: it never loads a compute back end (tfjs, ONNX Runtime)
// nor the model parsers (the language server owns them). Checked on what esbuild bundles.
async function inputsOf(entry: string): Promise<string[]> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    external: ['vscode'],
    logLevel: 'silent',
    define: { 'import.meta.url': '""' },
  });
  return Object.keys(result.metafile.inputs);
}

describe('what each process loads', () => {
  it('the extension host loads no compute back end and no model parser', async () => {
    const inputs = await inputsOf('src/extension/extension.ts');
    assert.deepEqual(
      inputs.filter((f) => /@tensorflow|onnxruntime/.test(f)),
      [],
    );
    assert.deepEqual(
      inputs.filter((f) => /web-tree-sitter|node_modules\/yaml\/|node_modules\/ajv\//.test(f)),
      [],
    );
    assert.ok(
      inputs.some((f) => f.includes('vscode-languageclient')),
      'it talks to the server through the language client',
    );
    // Runs go to the engine worker process; of the engine the host takes only its atomic file
    // writer, the launcher of the PyTorch exact count (a Python subprocess) and the list of
    // evaluation warning codes the results panel validates run folders against (constants).
    assert.ok(inputs.includes('src/extension/runs/engine-client.ts'), 'it starts runs');
    // It also follows PyTorch runs outside the queue (Slurm jobs): the run folder's log reader and
    // the launcher's cancel (scancel, or SIGTERM to a trainer), which load no compute either.
    const allowed = new Set([
      'src/engine/util/atomic-write.ts',
      'src/engine/pytorch/exact-count.ts',
      'src/engine/evaluate/eval-warnings.ts',
      'src/engine/torch/follow-run.ts',
      'src/engine/torch/cancel-run.ts',
      'src/engine/torch/run-local.ts',
      'src/engine/torch/slurm.ts',
      'src/engine/torch/trainer-command.ts',
      // How a cancelled training reads in the notification and the panel (text only, no imports).
      'src/engine/run/cancelled-text.ts',
      // The published data-set statistics the PyTorch evaluation offers, and the layer names the
      // run lenses take as identity (constants, no imports).
      'src/engine/tfjs/normalize-input.ts',
      'src/engine/model/pass-through.ts',
      // AutoAttack's version names, for the attacks pick.
      'src/engine/attacks/version-names.ts',
      // The PyTorch entry's parser and the weights-file kinds the worker reads, shared with the
      // editor's prompts so both accept the same entries and files (pure functions and constants).
      'src/engine/torch/entry.ts',
      'src/engine/run/torch-eval-source.ts',
    ]);
    assert.deepEqual(
      inputs.filter((f) => f.startsWith('src/engine/') && !allowed.has(f)),
      [],
    );
  });

  it('the language server loads no compute back end', async () => {
    const inputs = await inputsOf('src/server/server.ts');
    assert.deepEqual(
      inputs.filter((f) => /@tensorflow|onnxruntime/.test(f)),
      [],
    );
  });
});
