#!/usr/bin/env node
// Opens every built page in headless Chromium and checks what a reader's
// browser would meet:
//   - no request leaves the page: anything other than the page's own file
//     (another file, http(s), a data: image...) is a failure, and is aborted;
//   - no console error and no uncaught exception;
//   - axe-core finds no serious or critical accessibility violation, at a
//     desktop width (1280) and a phone width (390);
//   - the page is no wider than the phone (nothing scrolls sideways).
// Then it saves full-page screenshots of one page of each kind at both widths.
//
// usage: node check-pages.mjs PAGES_DIR SCREENSHOT_DIR
// env:   CHROMIUM (default /usr/bin/chromium); CHECK_PAGES_VERBOSE=1 also
//        prints minor and moderate axe findings
// exit:  0 all good, 1 a check failed, 2 could not run
import { readdir, mkdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PAGE_TIMEOUT_MS = 60_000;
const IMPACTS = ['minor', 'moderate', 'serious', 'critical'];
const FAILING_IMPACTS = new Set(['serious', 'critical']);
const WIDTHS = [
  { name: 'desktop', viewport: { width: 1280, height: 800, deviceScaleFactor: 1 } },
  {
    name: 'phone',
    viewport: { width: 390, height: 844, deviceScaleFactor: 1, isMobile: true, hasTouch: true },
  },
];

// The kinds of page that get screenshots, by their path under PAGES_DIR
// (INTERFACE.md, "Build output"). The largest page of each kind is taken:
// it shows the most of what the templates can draw.
const KINDS = [
  { kind: 'portfolio', test: (p) => p === 'index.html' },
  { kind: 'client', test: (p) => /^[^/]+\/index\.html$/.test(p) && !p.startsWith('audit/') },
  { kind: 'scorecard', test: (p) => /^[^/]+\/[^/]+\/scorecard\.html$/.test(p) },
  { kind: 'review', test: (p) => /^[^/]+\/[^/]+\/review\.html$/.test(p) },
  { kind: 'audit', test: (p) => /^audit\/[^/]+\.html$/.test(p) },
];

function usage(message) {
  if (message) console.error(`check-pages: ${message}`);
  console.error('usage: node check-pages.mjs PAGES_DIR SCREENSHOT_DIR');
  process.exit(2);
}

async function htmlFiles(root) {
  const found = [];
  async function walk(dir) {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && entry.name.endsWith('.html')) found.push(full);
    }
  }
  await walk(root);
  const rel = found.map((f) => path.relative(root, f).split(path.sep).join('/'));
  rel.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return rel;
}

async function pickScreenshotPages(root, pages) {
  const picks = [];
  for (const { kind, test } of KINDS) {
    let best = null;
    for (const rel of pages.filter(test)) {
      const { size } = await stat(path.join(root, rel));
      if (!best || size > best.size) best = { rel, size };
    }
    if (best) picks.push({ kind, rel: best.rel });
  }
  return picks;
}

function short(text, max = 300) {
  const one = String(text).replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

// One finding seen at several widths is one finding.
function note(map, text, width) {
  if (!map.has(text)) map.set(text, new Set());
  map.get(text).add(width);
}

function listed(map) {
  return [...map].map(([text, widths]) => `${text} (${[...widths].join(', ')})`).sort();
}

// data: URLs never reach the network layer (Chromium sends no request event
// for them, so interception cannot see them): look for them in what the page
// uses, in attributes that load something and in computed styles.
function findDataUrls() {
  const found = new Map(); // URL -> where it is used
  const LOADING_ATTRS = ['src', 'srcset', 'poster', 'data', 'background', 'href'];
  const STYLE_PROPS = [
    'background-image', 'list-style-image', 'border-image-source', 'mask-image',
    '-webkit-mask-image', 'content', 'cursor', 'filter', 'clip-path', 'shape-outside',
    'marker-start', 'marker-mid', 'marker-end', 'fill', 'stroke',
  ];
  const clip = (u) => (u.length > 60 ? `${u.slice(0, 60)}…` : u);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName;
    for (const name of LOADING_ATTRS) {
      if (name === 'href' && (tag === 'a' || tag === 'area')) continue; // a link is not a request
      const value = el.getAttribute(name);
      if (value && /(^|[\s,])data:/i.test(value)) found.set(value.trim(), `${tag}[${name}] ${clip(value.trim())}`);
    }
    const xlink = el.getAttributeNS('http://www.w3.org/1999/xlink', 'href');
    if (xlink && /^\s*data:/i.test(xlink) && tag !== 'a') found.set(xlink.trim(), `${tag}[xlink:href] ${clip(xlink.trim())}`);
    for (const pseudo of [null, '::before', '::after', '::marker']) {
      const style = getComputedStyle(el, pseudo);
      for (const prop of STYLE_PROPS) {
        const value = style.getPropertyValue(prop);
        if (!value || !value.includes('url(')) continue;
        for (const m of value.matchAll(/url\(\s*["']?(data:[^"')]*)/gi)) {
          found.set(m[1], `${tag}${pseudo || ''} ${prop}: ${clip(m[1])}`);
        }
      }
    }
  }
  return [...found].sort();
}

async function checkPage(browser, root, rel, shotDir, shotKind) {
  const file = path.join(root, rel);
  const url = pathToFileURL(file).href;
  const result = {
    rel,
    blocked: new Map(), // what was requested -> the widths it was seen at
    console: new Map(),
    pageErrors: new Map(),
    overflow: null,
    violations: new Map(), // rule id -> { impact, help, helpUrl, targets:Set, widths:Set }
    incomplete: 0,
    shots: [],
  };

  for (const { name: widthName, viewport } of WIDTHS) {
    const page = await browser.newPage();
    const blockedUrls = new Set();
    try {
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);
      page.setDefaultNavigationTimeout(PAGE_TIMEOUT_MS);
      // The pages forbid every script by CSP; the bypass lets the injected
      // axe-core run. With it, a resource the CSP would have stopped quietly
      // is requested, and so caught by the interception below.
      await page.setBypassCSP(true);
      await page.setViewport(viewport);
      await page.setRequestInterception(true);
      page.on('request', (request) => {
        const target = request.url();
        if (target === url) {
          request.continue().catch(() => {});
          return;
        }
        blockedUrls.add(target);
        note(result.blocked, `${request.resourceType()} ${short(target, 120)}`, widthName);
        request.abort('blockedbyclient').catch(() => {});
      });
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        const where = message.location();
        // A request aborted above also logs "Failed to load resource": it is
        // already counted as blocked.
        if (where && blockedUrls.has(where.url) && /ERR_BLOCKED_BY_CLIENT/.test(message.text())) return;
        const at = where && where.url ? ` (${short(where.url, 80)}:${where.lineNumber ?? '?'})` : '';
        note(result.console, `${short(message.text())}${at}`, widthName);
      });
      page.on('pageerror', (error) => {
        note(result.pageErrors, short(error && error.message ? error.message : error), widthName);
      });

      const response = await page.goto(url, { waitUntil: 'load' });
      if (!response || !response.ok()) {
        note(result.pageErrors, `the page itself did not load (${response ? response.status() : 'no response'})`, widthName);
        continue;
      }

      for (const [dataUrl, where] of await page.evaluate(findDataUrls)) {
        if (blockedUrls.has(dataUrl)) continue; // seen as a request already
        note(result.blocked, `data: URL in use, ${where}`, widthName);
      }

      if (widthName === 'phone') {
        // Against the phone's width, not the layout's: a page without a
        // viewport meta tag is laid out 980px wide and zoomed out.
        const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
        if (scroll > viewport.width) {
          result.overflow = `the page is ${scroll}px wide at a ${viewport.width}px phone width (it scrolls sideways or is zoomed out)`;
        }
      }

      // Screenshots before axe touches the page.
      if (shotKind) {
        const out = path.join(shotDir, `${shotKind}-${widthName}.png`);
        await page.screenshot({ path: out, fullPage: true, type: 'png' });
        result.shots.push(out);
      }

      await page.addScriptTag({ path: AXE_PATH });
      const axe = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return {
          incomplete: r.incomplete.length,
          violations: r.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            helpUrl: v.helpUrl,
            targets: v.nodes.map((n) => n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' ')),
          })),
        };
      });
      result.incomplete = Math.max(result.incomplete, axe.incomplete);
      for (const v of axe.violations) {
        const seen = result.violations.get(v.id) || {
          impact: v.impact || 'minor',
          help: v.help,
          helpUrl: v.helpUrl,
          targets: new Set(),
          widths: new Set(),
        };
        v.targets.forEach((t) => seen.targets.add(t));
        seen.widths.add(widthName);
        result.violations.set(v.id, seen);
      }
    } finally {
      await page.close().catch(() => {});
    }
  }
  return result;
}

function pad(text, width, right = false) {
  const s = String(text);
  return right ? s.padStart(width) : s.padEnd(width);
}

async function main() {
  const [pagesArg, shotArg, ...rest] = process.argv.slice(2);
  if (!pagesArg || !shotArg || rest.length) usage();
  const root = path.resolve(pagesArg);
  const shotDir = path.resolve(shotArg);
  try {
    if (!(await stat(root)).isDirectory()) usage(`${pagesArg} is not a folder`);
  } catch {
    usage(`${pagesArg} does not exist`);
  }
  await mkdir(shotDir, { recursive: true });

  const pages = await htmlFiles(root);
  if (pages.length === 0) {
    console.error(`check-pages: no *.html file under ${root}`);
    process.exit(1);
  }
  const picks = await pickScreenshotPages(root, pages);
  const shotKindOf = new Map(picks.map((p) => [p.rel, p.kind]));

  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // The flags this machine needs (no sandbox as root; nothing that calls
      // home: the network is closed here and pages must not need it anyway).
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // Debian's launcher means to add this when /dev/shm is small, as in
        // a container; say it always.
        '--disable-dev-shm-usage',
      ],
      protocolTimeout: PAGE_TIMEOUT_MS * 2,
    });
  } catch (error) {
    console.error(`check-pages: could not start ${CHROMIUM}: ${error.message}`);
    process.exit(2);
  }

  // One page at a time: a screenshot needs its tab in front, and two tabs
  // taking turns at that can leave one waiting for a frame that never comes.
  const results = [];
  try {
    for (const rel of pages) {
      try {
        results.push(await checkPage(browser, root, rel, shotDir, shotKindOf.get(rel)));
      } catch (error) {
        results.push({
          rel, blocked: new Map(), console: new Map(),
          pageErrors: new Map([[`could not check: ${short(error.message)}`, new Set(['-'])]]),
          overflow: null, violations: new Map(), incomplete: 0, shots: [],
        });
      }
    }
  } finally {
    await browser.close().catch(() => {});
  }

  // Failures, in detail.
  const failures = [];
  const totals = { blocked: 0, console: 0, pageErrors: 0, overflow: 0, incomplete: 0 };
  IMPACTS.forEach((i) => { totals[i] = 0; });
  for (const r of results) {
    totals.blocked += r.blocked.size;
    totals.console += r.console.size;
    totals.pageErrors += r.pageErrors.size;
    totals.incomplete += r.incomplete;
    if (r.overflow) totals.overflow += 1;
    listed(r.blocked).forEach((b) => failures.push(`${r.rel}: request blocked: ${b}`));
    listed(r.console).forEach((c) => failures.push(`${r.rel}: console error: ${c}`));
    listed(r.pageErrors).forEach((e) => failures.push(`${r.rel}: page error: ${e}`));
    if (r.overflow) failures.push(`${r.rel}: ${r.overflow}`);
    r.counts = Object.fromEntries(IMPACTS.map((i) => [i, 0]));
    for (const [id, v] of [...r.violations].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      r.counts[v.impact] = (r.counts[v.impact] || 0) + 1;
      totals[v.impact] = (totals[v.impact] || 0) + 1;
      const line = `${r.rel}: axe ${v.impact} [${id}] ${v.help} (${[...v.widths].join(', ')}) — ${[...v.targets].slice(0, 8).join(', ')}${v.targets.size > 8 ? `, and ${v.targets.size - 8} more` : ''}`;
      if (FAILING_IMPACTS.has(v.impact)) failures.push(line);
      else if (process.env.CHECK_PAGES_VERBOSE) console.log(`note: ${line}`);
    }
  }

  // The summary table: one row per page with anything to say, then totals.
  const nameWidth = Math.max(28, ...results.map((r) => r.rel.length));
  const header = `${pad('page', nameWidth)}  ${pad('blocked', 7, true)}  ${pad('console', 7, true)}  ${pad('errors', 6, true)}  ${pad('wide', 4, true)}  ${IMPACTS.map((i) => pad(i, 8, true)).join('  ')}`;
  const rows = [];
  for (const r of results) {
    const cells = [r.blocked.size, r.console.size, r.pageErrors.size, r.overflow ? 1 : 0, ...IMPACTS.map((i) => r.counts[i])];
    if (cells.every((c) => c === 0)) continue;
    rows.push(`${pad(r.rel, nameWidth)}  ${pad(cells[0], 7, true)}  ${pad(cells[1], 7, true)}  ${pad(cells[2], 6, true)}  ${pad(cells[3], 4, true)}  ${IMPACTS.map((i) => pad(r.counts[i], 8, true)).join('  ')}`);
  }
  const totalRow = `${pad(`all ${results.length} pages`, nameWidth)}  ${pad(totals.blocked, 7, true)}  ${pad(totals.console, 7, true)}  ${pad(totals.pageErrors, 6, true)}  ${pad(totals.overflow, 4, true)}  ${IMPACTS.map((i) => pad(totals[i], 8, true)).join('  ')}`;

  if (failures.length) {
    console.log(`FAILED (${failures.length}):`);
    failures.forEach((f) => console.log(`  ${f}`));
    console.log('');
  }
  console.log(header);
  rows.forEach((row) => console.log(row));
  console.log(totalRow);
  console.log(`pages checked: ${results.length} (each at ${WIDTHS.map((w) => `${w.viewport.width}px`).join(' and ')}); requests blocked: ${totals.blocked}; console errors: ${totals.console}; page errors: ${totals.pageErrors}; wider than a phone: ${totals.overflow}`);
  console.log(`axe-core ${require('axe-core/package.json').version} violations (rules, per page): ${IMPACTS.map((i) => `${i} ${totals[i]}`).join(', ')}; needing review: ${totals.incomplete}`);

  const shotList = picks.map((p) => `${p.kind}: ${p.rel}`).join('\n');
  await writeFile(path.join(shotDir, 'pages.txt'), `${shotList}\n`);
  console.log(`screenshots: ${picks.length * WIDTHS.length} in ${shotDir} (${picks.map((p) => `${p.kind} = ${p.rel}`).join('; ')})`);

  process.exit(failures.length ? 1 : 0);
}

main().catch((error) => {
  console.error(`check-pages: ${error && error.stack ? error.stack : error}`);
  process.exit(2);
});
