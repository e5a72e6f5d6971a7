#!/usr/bin/env node
// End-to-end tests of the Weft extension in real VS Code: code-server 4.100.3 (VS Code 1.100.3)
// in Debian's Chromium, driven by playwright-core. See README.md in this folder.
//
//   node test/e2e/run.mjs [--only 1,3] [--vsix path/to.vsix] [--keep]
//
// It packs the extension (`npm run package`), starts an isolated code-server, installs the
// .vsix, opens a COPY of examples/ (plus workspace-extra/) as the workspace, runs each
// scenario, saves a screenshot per scenario under results/, prints one PASS/FAIL line per
// scenario and exits non-zero if any failed. Processes it started are always stopped.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCodeServer, findLogs } from './lib/code-server.mjs';
import { openWorkbench, closeAllEditors, clearNotifications, hidePanel } from './lib/workbench.mjs';
import { killProcessesUnder } from './lib/processes.mjs';
import { scenarios } from './scenarios/index.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const RESULTS = join(HERE, 'results');
/** A scenario that takes longer than this has hung; its failure says so. */
const SCENARIO_TIMEOUT_MS = 240_000;

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const only = opt('--only')?.split(',').map((s) => Number(s.trim()));
const keep = argv.includes('--keep');
const t0 = Date.now();
const log = (msg) => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}`);

function fatal(msg) {
  console.error(`e2e: FAILED: ${msg}`);
  process.exit(1);
}

// ----------------------------------------------------------------------------------------------
// Tools installed by setup.sh. A missing browser or server is a failure, never a skip.
// ----------------------------------------------------------------------------------------------
const pathsFile = join(HERE, '.cache', 'paths.json');
if (!existsSync(pathsFile)) fatal(`${pathsFile} is missing: run test/e2e/setup.sh first (npm run test:e2e does both)`);
const paths = JSON.parse(readFileSync(pathsFile, 'utf8'));
for (const [what, p] of [['code-server', paths.codeServer], ['chromium', paths.chromium], ['playwright-core', paths.playwrightCore]]) {
  if (!existsSync(p)) fatal(`${what} is not installed at ${p}: run test/e2e/setup.sh`);
}
const { chromium } = createRequire(import.meta.url)(paths.playwrightCore);

// ----------------------------------------------------------------------------------------------
// The extension package.
// ----------------------------------------------------------------------------------------------
function packageExtension() {
  const given = opt('--vsix') ?? process.env.WEFT_E2E_VSIX;
  if (given) {
    if (!existsSync(given)) fatal(`--vsix ${given} does not exist`);
    return resolve(given);
  }
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  if (!pkg.scripts?.package) fatal('package.json has no "package" script to build the .vsix');
  const vsix = join(REPO, `${pkg.name}-${pkg.version}.vsix`);
  rmSync(vsix, { force: true });
  log('packing the extension (npm run package)');
  const r = spawnSync('npm', ['run', 'package'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) fatal(`npm run package failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  if (!existsSync(vsix)) fatal(`npm run package succeeded but did not write ${vsix}`);
  return vsix;
}

// ----------------------------------------------------------------------------------------------
// Workspaces: copies, so the traces a run writes (into .weft/) never dirty the repository.
// ----------------------------------------------------------------------------------------------
function makeWorkspace(root, name) {
  const ws = join(root, name);
  cpSync(join(REPO, 'examples'), ws, { recursive: true });
  cpSync(join(HERE, 'workspace-extra'), ws, { recursive: true });
  return ws;
}

const BROWSER_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** One code-server plus one browser window on a workspace. */
async function openSession(root, { name, trusted, vsix, workspace }) {
  const server = await startCodeServer({ codeServerBin: paths.codeServer, root, name, trusted, vsix, log });
  cleanups.push(() => server.stop());
  const context = await chromium.launchPersistentContext(join(root, name, 'chromium-profile'), {
    executablePath: paths.chromium,
    headless: true,
    // Chromium keeps its crash-report database under XDG_CONFIG_HOME (~/.config/chromium),
    // whatever the profile folder: point it at the session's folder too.
    env: { ...process.env, XDG_CONFIG_HOME: server.dirs.xdgConfig, XDG_CACHE_HOME: server.dirs.xdgCache },
    // Playwright's own signal handlers close the browser and exit at once, before our cleanup
    // could stop code-server and the programs it ran; ours (below) closes the browser too.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    viewport: { width: 1600, height: 1000 },
    args: BROWSER_ARGS,
  });
  cleanups.push(() => context.close().catch(() => {}));
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(`[${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  await openWorkbench(page, server.folderUrl(workspace));
  log(`workbench open on ${workspace}`);
  return { name, server, context, page, workspace, trusted, consoleLines };
}

/** Copies the Weft output channel and the extension host log of a session into results/. */
function collectLogs(session, prefix) {
  const saved = [];
  for (const f of findLogs(session.server.dirs.userData)) {
    const b = basename(f);
    if (/Weft/i.test(b) || b === 'exthost.log' || b === 'remoteexthost.log') {
      const dest = join(RESULTS, `${prefix}-${session.name}-${b.replace(/^\d+-/, '')}`);
      copyFileSync(f, dest);
      saved.push(dest);
    }
  }
  writeFileSync(join(RESULTS, `${prefix}-${session.name}-server.log`), session.server.serverLog.join('\n') + '\n');
  writeFileSync(join(RESULTS, `${prefix}-${session.name}-browser-console.log`), session.consoleLines.join('\n') + '\n');
  return saved;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ----------------------------------------------------------------------------------------------
// Cleanup: every process this run started goes, on success, failure, Ctrl+C or kill.
// ----------------------------------------------------------------------------------------------
const cleanups = [];
let root = null;
let cleaning = null;
/** Runs once, however many times it is called (a signal can arrive while main cleans up). */
function cleanup() {
  cleaning ??= doCleanup();
  return cleaning;
}
async function doCleanup() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      console.error(`e2e: cleanup step failed: ${e.message}`);
    }
  }
  // Programs the extension ran detached from code-server's process group (it may start them
  // in their own group so that Stop can end the whole tree) still run from the workspace
  // copies under `root`; end exactly those.
  if (root) {
    const killed = killProcessesUnder(root);
    if (killed.length) log(`killed ${killed.length} leftover process(es): ${killed.join(', ')}`);
    if (!keep) rmSync(root, { recursive: true, force: true });
    else log(`kept ${root}`);
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    console.error(`e2e: ${sig}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

// ----------------------------------------------------------------------------------------------
// Main.
// ----------------------------------------------------------------------------------------------
async function main() {
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  const selected = scenarios.filter((s) => !only || only.includes(s.id));
  if (selected.length === 0) fatal(`--only ${only} selects no scenario`);

  const vsix = packageExtension();
  root = mkdtempSync(join(tmpdir(), 'weft-e2e-'));
  log(`temp folder ${root}; extension ${vsix}`);

  const results = [];
  // Scenarios that need the same trust share one server and window, in order.
  for (const trusted of [true, false]) {
    const group = selected.filter((s) => s.trusted === trusted);
    if (group.length === 0) continue;
    const name = trusted ? 'trusted' : 'untrusted';
    let session;
    try {
      session = await openSession(root, { name, trusted, vsix, workspace: makeWorkspace(root, `${name}-workspace`) });
    } catch (e) {
      for (const s of group) results.push({ s, ok: false, error: `could not open VS Code: ${e.stack ?? e}` });
      continue;
    }
    for (const s of group) {
      const slug = `${s.id}-${s.slug}`;
      const started = Date.now();
      let error = null;
      try {
        // Each scenario starts with no editors and no notifications from the previous one.
        await closeAllEditors(session.page);
        await hidePanel(session.page);
        await clearNotifications(session.page);
        // An extra screenshot in the middle of a scenario, next to the final one.
        const shot = (name) => session.page.screenshot({ path: join(RESULTS, `${slug}-${name}.png`) });
        await withTimeout(
          s.run({ page: session.page, session, repo: REPO, root, workspace: session.workspace, log, results: RESULTS, slug, shot }),
          SCENARIO_TIMEOUT_MS,
          `scenario ${s.id}`,
        );
      } catch (e) {
        error = e.stack ?? String(e);
      }
      await session.page.screenshot({ path: join(RESULTS, `${slug}.png`) }).catch((e) => {
        error ??= `could not take the screenshot: ${e.message}`;
      });
      if (error) {
        writeFileSync(join(RESULTS, `${slug}.error.txt`), error + '\n');
        collectLogs(session, slug);
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      results.push({ s, ok: !error, error, secs });
      console.log(`${error ? 'FAIL' : 'PASS'}  ${s.id}. ${s.title}  (${secs} s)${error ? `\n      ${error.split('\n')[0]}` : ''}`);
    }
    // The sessions' output channels are useful on success too, when reading a screenshot.
    collectLogs(session, 'session');
  }

  const failed = results.filter((r) => !r.ok);
  writeFileSync(
    join(RESULTS, 'summary.json'),
    JSON.stringify(results.map((r) => ({ id: r.s.id, title: r.s.title, ok: r.ok, seconds: Number(r.secs ?? 0), error: r.error })), null, 2),
  );
  console.log(`\ne2e: ${results.length - failed.length} passed, ${failed.length} failed in ${((Date.now() - t0) / 1000).toFixed(0)} s; screenshots and logs in ${RESULTS}`);
  for (const r of failed.filter((r) => !r.secs)) console.log(`FAIL  ${r.s.id}. ${r.s.title}\n      ${r.error.split('\n')[0]}`);
  return failed.length === 0;
}

let ok = false;
try {
  ok = await main();
} catch (e) {
  console.error(`e2e: FAILED: ${e.stack ?? e}`);
} finally {
  await cleanup();
}
process.exit(ok ? 0 : 1);
