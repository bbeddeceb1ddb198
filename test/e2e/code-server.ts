import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** A code-server (real VS Code, served to a browser) with our built extension installed. */
export interface CodeServer {
  readonly url: string;
  readonly workspace: string;
  readonly userData: string;
  stop(): Promise<void>;
}

const ROOT = process.cwd();
const ENTRY = path.join(ROOT, '.e2e', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
/** What the packaged extension holds (see .vscodeignore): the runtime files, nothing else. */
const EXTENSION_FILES = ['package.json', 'README.md', 'LICENSE', 'dist', 'docs', 'media', 'schemas', 'python'];

export function codeServerInstalled(): boolean {
  return fs.existsSync(ENTRY);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
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

/**
 * Starts code-server on a free loopback port with a fresh user profile, the extension copied
 * into its extensions folder, and a copy of `workspaceSource` as the opened folder (quick fixes
 * write to disk).
 */
export async function startCodeServer(runDir: string, workspaceSource: string, settings: Record<string, unknown>, options: { workspaceTrust?: boolean } = {}): Promise<CodeServer> {
  fs.rmSync(runDir, { recursive: true, force: true });
  const dirs = Object.fromEntries(['user-data', 'extensions', 'xdg-config', 'xdg-data', 'xdg-cache', 'tmp', 'workspace'].map((d) => [d, path.join(runDir, d)]));
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  const extensionDir = path.join(dirs.extensions ?? '', 'robustness-lens.robustness-lens-0.1.0');
  for (const entry of EXTENSION_FILES) fs.cpSync(path.join(ROOT, entry), path.join(extensionDir, entry), { recursive: true });
  fs.cpSync(workspaceSource, dirs.workspace ?? '', { recursive: true });
  const userSettings = path.join(dirs['user-data'] ?? '', 'User');
  fs.mkdirSync(userSettings, { recursive: true });
  fs.writeFileSync(path.join(userSettings, 'settings.json'), JSON.stringify({
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
  }, null, 2));
  const config = path.join(runDir, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\n');
  const port = await freePort();
  const child = spawn(process.execPath, [
    ENTRY, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    // With workspace trust on (and `security.workspace.trust.enabled` in settings) the folder opens in Restricted Mode.
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']), '--user-data-dir', dirs['user-data'] ?? '', '--extensions-dir', dirs.extensions ?? '', '--config', config, dirs.workspace ?? '',
  ], {
    detached: true,
    stdio: ['ignore', fs.openSync(path.join(runDir, 'code-server.log'), 'w'), fs.openSync(path.join(runDir, 'code-server.err.log'), 'w')],
    env: { ...process.env, XDG_CONFIG_HOME: dirs['xdg-config'], XDG_DATA_HOME: dirs['xdg-data'], XDG_CACHE_HOME: dirs['xdg-cache'], TMPDIR: dirs.tmp },
  });
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
  };
  try {
    await waitForHealth(url, child, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, workspace: dirs.workspace ?? '', userData: dirs['user-data'] ?? '', stop };
}
