import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  cudaProviderAdvice,
  NATIVE_TARGETS,
  onnxRuntimeAdvice,
  readPackageTarget,
} from '../../../src/engine/onnx/package-target';

describe('which extension package the engine runs from', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'package-target-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const folder = path.join(dir, name);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'package-target.json'), text);
    return folder;
  };

  it('reads the target and ONNX Runtime version the package script writes', () => {
    const linux = write('linux', '{"target":"linux-x64","onnxruntime":"1.30.0"}');
    assert.deepEqual(readPackageTarget(linux), { target: 'linux-x64', onnxruntime: '1.30.0' });
    assert.deepEqual(readPackageTarget(write('universal', '{"target":"universal"}')), { target: 'universal' });
  });

  it('finds none outside a package, and ignores a file that is not ours', () => {
    assert.equal(readPackageTarget(path.join(dir, 'missing')), undefined);
    assert.equal(readPackageTarget(write('broken', '{"target":')), undefined);
    assert.equal(readPackageTarget(write('wrong-type', '{"target":3}')), undefined);
    assert.equal(readPackageTarget(write('array', '[]')), undefined);
    assert.equal(readPackageTarget(write('huge', `{"target":"linux-x64","pad":"${'x'.repeat(5000)}"}`)), undefined);
  });
});

function onnxRuntimeBinFolder(): string | undefined {
  try {
    return path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6');
  } catch {
    return undefined;
  }
}
const ortBin = onnxRuntimeBinFolder();

describe('what the engine says when ONNX Runtime cannot load', () => {
  const detail = "Cannot find module 'onnxruntime-node'";

  it('outside a package (npm, the CLI): install the optional npm package', () => {
    const text = onnxRuntimeAdvice(undefined, 'linux-x64', detail);
    assert.match(text, /npm install onnxruntime-node/);
    assert.ok(text.includes(detail));
  });

  it('in the universal package: names the package for this machine, not npm', () => {
    const text = onnxRuntimeAdvice({ target: 'universal' }, 'darwin-arm64', detail);
    assert.match(text, /universal package, which carries no ONNX Runtime/);
    assert.match(text, /robustness-lens-darwin-arm64\.vsix/);
    assert.doesNotMatch(text, /npm install/);
  });

  it('on a machine no package serves: says so instead of naming a package that does not exist', () => {
    const text = onnxRuntimeAdvice({ target: 'universal' }, 'darwin-x64', detail);
    assert.match(text, /ships no native engine for darwin-x64/);
    assert.doesNotMatch(text, /\.vsix/);
  });

  it("in another platform's package: names both platforms", () => {
    const text = onnxRuntimeAdvice({ target: 'linux-x64', onnxruntime: '1.30.0' }, 'linux-arm64', detail);
    assert.match(text, /built for linux-x64 and this machine is linux-arm64/);
    assert.match(text, /robustness-lens-linux-arm64\.vsix/);
  });

  it("in this platform's package: the loader's own reason, with the Windows runtime it needs", () => {
    const linuxPackage = { target: 'linux-x64', onnxruntime: '1.30.0' };
    const linux = onnxRuntimeAdvice(linuxPackage, 'linux-x64', 'libonnxruntime.so.1: cannot open shared object file');
    assert.match(linux, /package \(linux-x64, onnxruntime-node 1\.30\.0\) could not load: libonnxruntime\.so\.1/);
    const windows = onnxRuntimeAdvice({ target: 'win32-x64' }, 'win32-x64', 'The specified module could not be found.');
    assert.match(windows, /Visual C\+\+ Redistributable/);
    assert.match(windows, /could not be found/);
  });

  const skip = ortBin ? false : 'onnxruntime-node is not installed';
  it('names a package for each platform the installed onnxruntime-node has a binary for', { skip }, () => {
    // x64 and arm64 builds for Linux, macOS on Apple silicon, Windows on x64 (win32-arm64 ships
    // a binary too, but VS Code on Windows on Arm is rare enough to leave to the universal package).
    const bin = ortBin ?? '';
    const archs = (os: string): string[] => fs.readdirSync(path.join(bin, os)).map((arch) => `${os}-${arch}`);
    const shipped = fs.readdirSync(bin).flatMap(archs);
    for (const target of NATIVE_TARGETS) assert.ok(shipped.includes(target), `no ${target} binary: ${shipped}`);
    assert.deepEqual(
      shipped.filter((t) => !NATIVE_TARGETS.includes(t)),
      ['win32-arm64'],
    );
  });
});

describe("what the engine says when ONNX Runtime's CUDA provider is absent", () => {
  const install = 'npm install onnxruntime-node --onnxruntime-node-install=cuda12';

  it('from npm: the install command', () => {
    const text = cudaProviderAdvice(undefined, install);
    assert.equal(text, `its CUDA 12 provider is not installed (install it with \`${install}\`)`);
  });

  it('in a platform package: that the package has the CPU provider only, and where CUDA runs', () => {
    const text = cudaProviderAdvice({ target: 'linux-x64', onnxruntime: '1.30.0' }, install);
    assert.match(text, /carries ONNX Runtime's CPU provider only/);
    assert.match(text, /command-line tool installed from npm/);
  });
});
