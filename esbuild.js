// Bundles every entry point of the extension with esbuild.
//   node esbuild.js               development build into dist/
//   node esbuild.js --production  minified build into dist/
//   node esbuild.js --watch       rebuild on change
//   node esbuild.js --tests       unit tests and benchmarks into dist-test/
'use strict';
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');
const { packMnist } = require('./scripts/build/pack-mnist');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');
const e2e = process.argv.includes('--e2e');

/** Node-side entry points: output name -> source. */
const nodeEntries = {
  extension: 'src/extension/extension.ts',
  server: 'src/server/server.ts',
  'engine-worker': 'src/engine/worker.ts',
  cli: 'src/cli/main.ts',
};

function listFiles(dir, suffix) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => f.endsWith(suffix));
}

/** ESM dependencies (web-tree-sitter) read import.meta.url; give CommonJS bundles a real one. */
const importMetaShim = {
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__importMetaUrl' },
};

const common = {
  bundle: true,
  // ES module builds first: tfjs-core's gradients register from its ES modules
  // (dist/register_all_gradients), and its CommonJS bundle beside them would be a second copy
  // of tfjs with its own kernel registry.
  mainFields: ['module', 'main'],
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
};

/** The Python grammar and its runtime, loaded by the PyTorch front end from next to the bundles. */
const WASM_FILES = [
  'node_modules/web-tree-sitter/tree-sitter.wasm',
  'node_modules/tree-sitter-python/tree-sitter-python.wasm',
  // The tfjs wasm back end, loaded from next to the engine's bundle (setWasmPaths). The threaded
  // build is left out: tfjs never uses WebAssembly threads under Node.
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
];

/**
 * Optional native back ends (TensorFlow, ONNX Runtime): required at run time only where the user
 * installed them; the packaged extension does not ship them.
 */
const OPTIONAL_NATIVE = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node'];

function copyWasm(outdir) {
  fs.mkdirSync(outdir, { recursive: true });
  for (const file of WASM_FILES) fs.copyFileSync(file, path.join(outdir, path.basename(file)));
}

async function main() {
  const configs = e2e
    ? [
        {
          ...common,
          entryPoints: listFiles('test/e2e', '.e2e.ts'),
          outdir: 'dist-test/e2e',
          platform: 'node',
          target: 'node20',
          format: 'cjs',
          // playwright-core loads its own files at run time.
          external: ['vscode', 'playwright-core'],
          sourcemap: 'inline',
          logLevel: 'warning',
        },
      ]
    : tests
      ? [
          {
            ...common,
            // Each test file becomes its own bundle so node's test runner can run them in parallel.
            entryPoints: [
              ...listFiles('test', '.test.ts'),
              ...listFiles('bench', '.bench.ts'),
              // Tests fork the real worker, as the extension and CLI do.
              { in: nodeEntries['engine-worker'], out: 'engine-worker' },
            ],
            outdir: 'dist-test',
            outbase: '.',
            platform: 'node',
            target: 'node20',
            format: 'cjs',
            // esbuild's own API (used by a test) must load from its package; playwright-core loads
            // its own files at run time (the results page's browser test).
            external: ['vscode', 'esbuild', 'playwright-core', ...OPTIONAL_NATIVE],
            ...importMetaShim,
            sourcemap: 'inline',
            logLevel: 'warning',
          },
        ]
      : [
          {
            ...common,
            entryPoints: nodeEntries,
            outdir: 'dist',
            platform: 'node',
            target: 'node20',
            format: 'cjs',
            // Provided by the editor at run time.
            external: ['vscode', ...OPTIONAL_NATIVE],
            ...importMetaShim,
          },
          {
            ...common,
            // results: the results panel's page (and its stylesheet, dist/results.css).
            entryPoints: { webview: 'webview/src/main.ts', results: 'webview/src/results/main.ts' },
            outdir: 'dist',
            platform: 'browser',
            target: 'es2022',
            format: 'iife',
          },
        ];
  if (tests) fs.rmSync('dist-test', { recursive: true, force: true });
  if (!e2e) copyWasm(tests ? 'dist-test' : 'dist');
  // The bundled MNIST digits, read by the engine from next to its bundle.
  if (!e2e) packMnist(path.join(tests ? 'dist-test' : 'dist', 'data', 'mnist-bundled'));
  if (watch) {
    for (const config of configs) {
      const ctx = await esbuild.context(config);
      await ctx.watch();
    }
    return;
  }
  await Promise.all(configs.map((config) => esbuild.build(config)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
