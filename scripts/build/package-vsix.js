// Builds the extension packages people install: one per platform that onnxruntime-node ships a
// native binary for, each carrying that platform's ONNX Runtime only, and a universal one without
// it (its runs use WebAssembly, and its engine log says which package has the native engine).
//
//   node scripts/build/package-vsix.js                      linux-x64 (what CI builds and tests)
//   node scripts/build/package-vsix.js --target all         every platform, and the universal one
//   node scripts/build/package-vsix.js --target universal --target darwin-arm64 [--no-build]
//
// Each package is staged in .package/<target>/ from a fresh production build (so nothing a
// development build or `npm run main` left in dist/ ships), packaged there with vsce, then its
// file list is checked: no run folders, source maps, sources or test output, exactly one
// platform's native files, and a size limit. Output: robustness-lens-<target>.vsix.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { listZipEntries } = require('./zip-entries');

const ROOT = path.resolve(__dirname, '..', '..');
const STAGING = path.join(ROOT, '.package');
/** What the extension needs at run time, as the .vscodeignore keeps it; nothing else is staged. */
const EXTENSION_FILES = [
  'package.json',
  'README.md',
  'LICENSE',
  '.vscodeignore',
  'dist',
  'docs',
  'media',
  'schemas',
  'python',
];
/** Never shipped, wherever they sit: run folders, maps, Python caches. */
const SKIPPED = (name) =>
  name === '.robustness-lens' || name === '__pycache__' || name.endsWith('.map') || name.endsWith('.pyc');

/**
 * The files of onnxruntime-node's native folder (bin/napi-v6/<os>/<arch>) that its binding loads.
 * darwin: the binding links @rpath/libonnxruntime.1.dylib (the .1.30.0 file is the same bytes).
 * win32: onnxruntime.dll links DirectML.dll only as a delay-load, used by the DirectML provider we
 * never ask for, and loads dxcompiler/dxil only for WebGPU, so those 38 MB stay out.
 */
const NATIVE = {
  'linux-x64': { dir: 'linux/x64', files: ['onnxruntime_binding.node', 'libonnxruntime.so.1'] },
  'linux-arm64': { dir: 'linux/arm64', files: ['onnxruntime_binding.node', 'libonnxruntime.so.1'] },
  'darwin-arm64': { dir: 'darwin/arm64', files: ['onnxruntime_binding.node', 'libonnxruntime.1.dylib'] },
  'win32-x64': { dir: 'win32/x64', files: ['onnxruntime_binding.node', 'onnxruntime.dll'] },
};
const TARGETS = [...Object.keys(NATIVE), 'universal'];
const MiB = 1024 * 1024;
/** The ceiling for a platform package (30 MB); the universal one stays near its old size. */
const LIMIT = { native: 30 * 1000 * 1000, universal: 5 * MiB };

function parseArgs(argv) {
  const targets = [];
  let build = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-build') build = false;
    else if (argv[i] === '--target' && argv[i + 1]) targets.push(...(argv[++i] === 'all' ? TARGETS : [argv[i]]));
    else throw new Error(`unknown argument ${argv[i]} (use --target <${TARGETS.join('|')}|all> and --no-build)`);
  }
  for (const t of targets) {
    if (!TARGETS.includes(t)) throw new Error(`unknown target ${t}: one of ${TARGETS.join(', ')}`);
  }
  return { targets: targets.length ? [...new Set(targets)] : ['linux-x64'], build };
}

/** Screenshots are for the repository's README, not the installed extension. */
const SCREENSHOTS = path.join(ROOT, 'docs', 'screenshots');

function copy(from, to) {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !SKIPPED(path.basename(src)) && src !== SCREENSHOTS });
}

/** onnxruntime-node's JavaScript, its one dependency used at run time, and one platform's binaries. */
function stageOnnxRuntime(stage, target) {
  const native = NATIVE[target];
  const ortSource = path.dirname(require.resolve('onnxruntime-node/package.json', { paths: [ROOT] }));
  // Its package.json is not exported: resolve the entry (dist/cjs/index.js) and go up to the folder.
  const commonEntry = require.resolve('onnxruntime-common', { paths: [ortSource] });
  const commonSource = path.resolve(path.dirname(commonEntry), '..', '..');
  // Beside the engine's bundle: require('onnxruntime-node') in dist/engine-worker.js finds it there.
  const ort = path.join(stage, 'dist', 'node_modules', 'onnxruntime-node');
  const common = path.join(ort, 'node_modules', 'onnxruntime-common');
  const jsOnly = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.js') || f === 'package.json');
  for (const file of ['package.json', 'README.md']) copy(path.join(ortSource, file), path.join(ort, file));
  for (const file of jsOnly(path.join(ortSource, 'dist'))) {
    copy(path.join(ortSource, 'dist', file), path.join(ort, 'dist', file));
  }
  for (const file of native.files) {
    copy(path.join(ortSource, 'bin', 'napi-v6', native.dir, file), path.join(ort, 'bin', 'napi-v6', native.dir, file));
  }
  for (const file of ['package.json', 'README.md']) copy(path.join(commonSource, file), path.join(common, file));
  for (const file of jsOnly(path.join(commonSource, 'dist', 'cjs'))) {
    copy(path.join(commonSource, 'dist', 'cjs', file), path.join(common, 'dist', 'cjs', file));
  }
  return JSON.parse(fs.readFileSync(path.join(ortSource, 'package.json'), 'utf8')).version;
}

function stage(target) {
  const dir = path.join(STAGING, target);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const entry of EXTENSION_FILES) copy(path.join(ROOT, entry), path.join(dir, entry));
  const onnxruntime = target === 'universal' ? undefined : stageOnnxRuntime(dir, target);
  // The engine reads this to say which package it runs from when ONNX Runtime cannot load.
  const marker = `${JSON.stringify({ target, onnxruntime }, null, 2)}\n`;
  fs.writeFileSync(path.join(dir, 'dist', 'package-target.json'), marker);
  return dir;
}

/** Why a package's file list is wrong, one line per problem; empty when it is right. */
function checkEntries(target, names) {
  const problems = [];
  const forbidden = [
    [/(^|\/)\.robustness-lens\//, 'a run folder'],
    [/\.map$/, 'a source map'],
    [/^extension\/(src|test|bench|scripts|webview\/src|examples)\//, 'sources'],
    [/^extension\/(dist-test|test-output|\.e2e|\.package)\//, 'test output'],
    [/(?<!\.d)\.ts$/, 'a TypeScript source'],
  ];
  for (const name of names) {
    for (const [pattern, what] of forbidden) if (pattern.test(name)) problems.push(`${name}: ${what}`);
  }
  const natives = names.filter((n) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(n));
  const ortBin = 'extension/dist/node_modules/onnxruntime-node/bin/napi-v6';
  const nativeDir = target === 'universal' ? undefined : `${ortBin}/${NATIVE[target].dir}/`;
  const expected = nativeDir ? NATIVE[target].files.map((f) => nativeDir + f) : [];
  for (const n of natives) if (!expected.includes(n)) problems.push(`${n}: a native file this package must not carry`);
  for (const n of expected) if (!names.includes(n)) problems.push(`${n}: missing`);
  for (const required of ['extension.js', 'engine-worker.js', 'server.js', 'package-target.json']) {
    if (!names.includes(`extension/dist/${required}`)) problems.push(`extension/dist/${required}: missing`);
  }
  // Diagnostics link every RA and RL code to its page, rendered from the package's own copy.
  const pages = fs.readdirSync(path.join(ROOT, 'docs', 'rules')).filter((f) => f.endsWith('.md'));
  for (const page of [...pages.map((p) => `rules/${p}`), 'arch-spec.md']) {
    if (!names.includes(`extension/docs/${page}`)) problems.push(`extension/docs/${page}: missing`);
  }
  return problems;
}

function packageTarget(target) {
  const dir = stage(target);
  const out = path.join(ROOT, `robustness-lens-${target}.vsix`);
  fs.rmSync(out, { force: true });
  const vsce = require.resolve('@vscode/vsce/vsce', { paths: [ROOT] });
  const args = [
    vsce,
    'package',
    '--no-dependencies',
    '--no-rewrite-relative-links',
    '--allow-missing-repository',
    '--out',
    out,
  ];
  if (target !== 'universal') args.push('--target', target);
  execFileSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  fs.rmSync(dir, { recursive: true, force: true });
  const problems = checkEntries(
    target,
    listZipEntries(out).map((e) => e.name),
  );
  const size = fs.statSync(out).size;
  const limit = target === 'universal' ? LIMIT.universal : LIMIT.native;
  const mib = (bytes) => `${(bytes / MiB).toFixed(2)} MiB`;
  if (size > limit) problems.push(`${path.basename(out)} is ${mib(size)}, over the limit of ${mib(limit)}`);
  if (problems.length) throw new Error(`${path.basename(out)} is wrong:\n  ${problems.join('\n  ')}`);
  console.log(`${path.basename(out)}: ${(size / MiB).toFixed(2)} MiB (${size} bytes)`);
  return out;
}

function main() {
  const { targets, build } = parseArgs(process.argv.slice(2));
  if (build) {
    // A fresh build: dist/ may hold a development build's maps, a script's bundle or run folders.
    fs.rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });
    execFileSync(process.execPath, ['esbuild.js', '--production'], { cwd: ROOT, stdio: 'inherit' });
  }
  try {
    for (const target of targets) packageTarget(target);
  } finally {
    fs.rmSync(STAGING, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

module.exports = { checkEntries, NATIVE, TARGETS };
