// Starts and stops an isolated code-server: its own config, user data, extensions, XDG folders
// and TMPDIR, all under one temp folder, on a free port on 127.0.0.1. Nothing it writes lands
// in the user's home, and two runs (or two servers in one run) never share state.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'node:http';

/** Asks the kernel for a free port on 127.0.0.1. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function get(url) {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
    req.end();
  });
}

/**
 * User settings for the test profile. Each one removes something that would otherwise pop up
 * over the workbench at a random moment (welcome page, tips, update and telemetry notices) or
 * make a run depend on the previous one (restored windows and editors).
 */
function userSettings({ trusted }) {
  return {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'window.restoreWindows': 'none',
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'files.hotExit': 'off',
    'editor.minimap.enabled': false,
    // Workspace trust. A trusted server also gets --disable-workspace-trust (see start()).
    // An untrusted one keeps trust on and opens the folder in Restricted Mode without the
    // "Do you trust the authors?" modal, which would otherwise block every click.
    'security.workspace.trust.enabled': !trusted,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'always',
    'security.workspace.trust.untrustedFiles': 'open',
  };
}

/**
 * Starts code-server. `trusted: false` keeps workspace trust enabled so the opened folder is
 * untrusted (Restricted Mode). Resolves once /healthz answers; throws with the server's log
 * tail if it exits or does not become healthy in time.
 */
export async function startCodeServer({ codeServerBin, root, name, trusted, vsix, log }) {
  const base = join(root, name);
  const dirs = {
    base,
    userData: join(base, 'user-data'),
    extensions: join(base, 'extensions'),
    xdgConfig: join(base, 'xdg-config'),
    xdgData: join(base, 'xdg-data'),
    xdgCache: join(base, 'xdg-cache'),
    tmp: join(base, 'tmp'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify(userSettings({ trusted }), null, 2));

  const env = {
    ...process.env,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    TMPDIR: dirs.tmp,
    // Nothing in a test may ask for a password or open a real browser.
    BROWSER: 'true',
    // The host's VS Code IPC variables would point a `code` CLI at the wrong instance.
    VSCODE_IPC_HOOK_CLI: '',
  };
  const common = [
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    '--disable-telemetry',
    '--disable-update-check',
  ];

  if (vsix) {
    const t0 = Date.now();
    const r = spawnSync(codeServerBin, [...common, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) {
      throw new Error(`code-server --install-extension ${vsix} failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
    log(`installed ${vsix} into ${name} in ${Date.now() - t0} ms`);
  }

  const port = await freePort();
  const config = join(base, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    ...common,
    '--config', config,
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--disable-file-downloads',
  ];
  if (trusted) args.push('--disable-workspace-trust');

  const serverLog = [];
  // detached: the server and everything it spawns (extension host, pty host, and the
  // programs an extension runs unless it detaches them itself) form one process group we can
  // kill as a whole, whatever state a failed test left them in.
  const proc = spawn(codeServerBin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (b) => {
    for (const line of b.toString().split('\n')) if (line.trim()) serverLog.push(line);
    if (serverLog.length > 400) serverLog.splice(0, serverLog.length - 400);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  let exited = null;
  proc.on('exit', (code, signal) => { exited = { code, signal }; });

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      throw new Error(`code-server exited during startup (${JSON.stringify(exited)}):\n${serverLog.slice(-40).join('\n')}`);
    }
    if ((await get(`${url}/healthz`)) === 200) break;
    if (Date.now() > deadline) {
      stopProcessGroup(proc);
      throw new Error(`code-server did not answer ${url}/healthz within 60 s:\n${serverLog.slice(-40).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`code-server ${name} (${trusted ? 'trusted' : 'untrusted'}) ready at ${url}, pid ${proc.pid}`);

  return {
    url,
    port,
    dirs,
    proc,
    serverLog,
    /** URL that opens `folder` in the workbench. */
    folderUrl(folder) {
      return `${url}/?folder=${encodeURIComponent(folder)}`;
    },
    /** Stops the server and every process in its group; waits until the leader is gone. */
    async stop() {
      await stopProcessGroup(proc);
    },
  };
}

/** SIGTERM to the group, then SIGKILL if it is still there after 5 s. */
export async function stopProcessGroup(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    killGroup(proc.pid, 'SIGKILL'); // stragglers of an exited leader
    return;
  }
  const gone = new Promise((r) => proc.once('exit', r));
  killGroup(proc.pid, 'SIGTERM');
  const t = setTimeout(() => killGroup(proc.pid, 'SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
  killGroup(proc.pid, 'SIGKILL');
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * The extension host's output-channel logs of a server:
 * <user-data>/logs/<ts>/window1/exthost/output_logging_<ts>/<n>-<Channel>.log (the layout
 * differs slightly between VS Code versions, so this searches the logs tree).
 */
export function findLogs(userDataDir) {
  const out = [];
  const walk = (d, depth) => {
    if (depth > 8 || !existsSync(d)) return;
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, depth + 1);
      else if (e.endsWith('.log')) out.push(p);
    }
  };
  walk(join(userDataDir, 'logs'), 0);
  return out;
}
