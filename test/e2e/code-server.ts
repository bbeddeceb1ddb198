import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A code-server (real VS Code, served to a browser) with our built extension installed. */
export interface CodeServer {
  readonly url: string;
  readonly workspace: string;
  readonly userData: string;
  /** The folder VS Code installed the package into. */
  readonly extension: string;
  stop(): Promise<void>;
}

const ROOT = process.cwd();
const ENTRY = path.join(ROOT, '.e2e', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
/**
 * The package the tests install, as people install it: this machine's platform package, built by
 * `npm run package` (scripts/build/package-vsix.js); ROBUSTNESS_LENS_VSIX names another.
 */
export const PLATFORM_VSIX = path.join(ROOT, `robustness-lens-${process.platform}-${process.arch}.vsix`);
export const UNIVERSAL_VSIX = path.join(ROOT, 'robustness-lens-universal.vsix');

export function codeServerInstalled(): boolean {
  return fs.existsSync(ENTRY);
}

/**
 * Why the suite is skipped, or false to run it. On CI (CI=true) a missing code-server does not
 * skip anything: the tests run and fail, saying how to install it.
 */
export function e2eSkip(): string | false {
  if (codeServerInstalled() || process.env.CI === 'true' || process.env.CI === '1') return false;
  return 'code-server is not installed: run test/e2e/install-code-server.sh';
}

function resolveFrom(dir: string, request: string): string | undefined {
  try {
    return require.resolve(request, { paths: [dir] });
  } catch {
    return undefined;
  }
}

/** Installs `vsix` with code-server's own --install-extension into an empty extensions folder. */
function installExtension(vsix: string, dirs: Record<string, string>, env: NodeJS.ProcessEnv): string {
  if (!fs.existsSync(vsix))
    throw new Error(`${vsix} is missing: build it with npm run package (or npm run package:all)`);
  execFileSync(
    process.execPath,
    [
      ENTRY,
      '--user-data-dir',
      dirs['user-data'] ?? '',
      '--extensions-dir',
      dirs.extensions ?? '',
      '--install-extension',
      vsix,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
  const installed = fs
    .readdirSync(dirs.extensions ?? '')
    .filter((d) => d.startsWith('robustness-lens.robustness-lens-'));
  if (installed.length !== 1)
    throw new Error(`code-server did not install ${vsix}: ${installed.join(', ') || 'nothing'}`);
  const folder = path.join(dirs.extensions ?? '', installed[0] ?? '');
  // A copy unpacked from the package, not a link back to the repository.
  if (fs.lstatSync(folder).isSymbolicLink()) throw new Error(`${folder} is a link`);
  // The engine must find ONNX Runtime in the package or nowhere, never in a node_modules above.
  const ort = resolveFrom(path.join(folder, 'dist'), 'onnxruntime-node');
  if (ort && !ort.startsWith(folder + path.sep)) throw new Error(`the installed extension would load ${ort}`);
  return folder;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('code-server did not become healthy');
}

export interface StartOptions {
  workspaceTrust?: boolean;
  /** The package to install (default: ROBUSTNESS_LENS_VSIX, else this platform's). */
  vsix?: string;
}

/**
 * Starts code-server on a free loopback port with a fresh user profile, the extension package
 * installed into an empty extensions folder, and a copy of `workspaceSource` as the opened folder
 * (quick fixes write to disk).
 */
export async function startCodeServer(
  runDir: string,
  workspaceSource: string,
  settings: Record<string, unknown>,
  options: StartOptions = {},
): Promise<CodeServer> {
  if (!codeServerInstalled())
    throw new Error(`code-server is not installed (${ENTRY}): run test/e2e/install-code-server.sh`);
  fs.rmSync(runDir, { recursive: true, force: true });
  const dirs = Object.fromEntries(
    ['user-data', 'xdg-config', 'xdg-data', 'xdg-cache', 'tmp', 'workspace'].map((d) => [d, path.join(runDir, d)]),
  );
  // Outside the repository: from inside it, Node would find the repository's node_modules above
  // the installed extension, and a package without ONNX Runtime would still load it.
  const extensionsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'robustness-lens-e2e-'));
  dirs.extensions = path.join(extensionsRoot, 'extensions');
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: dirs['xdg-config'],
    XDG_DATA_HOME: dirs['xdg-data'],
    XDG_CACHE_HOME: dirs['xdg-cache'],
    TMPDIR: dirs.tmp,
  };
  const extension = installExtension(options.vsix ?? process.env.ROBUSTNESS_LENS_VSIX ?? PLATFORM_VSIX, dirs, env);
  fs.cpSync(workspaceSource, dirs.workspace ?? '', { recursive: true });
  const userSettings = path.join(dirs['user-data'] ?? '', 'User');
  fs.mkdirSync(userSettings, { recursive: true });
  fs.writeFileSync(
    path.join(userSettings, 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'security.workspace.trust.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.ignoreRecommendations': true,
        'editor.inlayHints.enabled': 'on',
        'workbench.editor.enablePreview': false,
        'workbench.tips.enabled': false,
        'update.mode': 'none',
        'git.enabled': false,
        'git.openRepositoryInParentFolders': 'never',
        ...settings,
      },
      null,
      2,
    ),
  );
  const config = path.join(runDir, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\n');
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ENTRY,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      // With workspace trust on (and `security.workspace.trust.enabled` in settings) the folder opens in Restricted
      // Mode.
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--user-data-dir',
      dirs['user-data'] ?? '',
      '--extensions-dir',
      dirs.extensions ?? '',
      '--config',
      config,
      dirs.workspace ?? '',
    ],
    {
      detached: true,
      stdio: [
        'ignore',
        fs.openSync(path.join(runDir, 'code-server.log'), 'w'),
        fs.openSync(path.join(runDir, 'code-server.err.log'), 'w'),
      ],
      env,
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    // Every page load starts an extension host that lingers: end the whole process group.
    try {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await new Promise((r) => setTimeout(r, 300));
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    fs.rmSync(extensionsRoot, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, workspace: dirs.workspace ?? '', userData: dirs['user-data'] ?? '', extension, stop };
}
