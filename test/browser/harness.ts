/**
 * Headless Chromium for tests (playwright-core driving the system's Chromium, no download): a
 * static server on 127.0.0.1 (a secure context, which WebGPU needs) and a browser launched with a
 * fresh profile and the flags that give WebGL (SwiftShader) and WebGPU (Dawn on SwiftShader
 * Vulkan) without a GPU.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where Chromium is: $CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Null when Chromium can run here, else why not (the caller skips loudly). */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
};

/** Serves `routes` (URL prefix → folder, longest prefix first) on 127.0.0.1; returns its origin. */
export async function serve(routes: Record<string, string>): Promise<{ origin: string; close: () => Promise<void> }> {
  const prefixes = Object.keys(routes).sort((a, b) => b.length - a.length);
  const server: Server = createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const prefix = prefixes.find((p) => url.startsWith(p));
    let file = prefix === undefined ? null : normalize(join(routes[prefix], url.slice(prefix.length) || 'index.html'));
    if (file !== null && file.endsWith('/')) file += 'index.html';
    if (file === null || prefix === undefined || !file.startsWith(normalize(routes[prefix])) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A launched browser with one page; `close` also removes the fresh profile. */
export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console lines and page errors seen so far (for failure messages). */
  log: string[];
  close: () => Promise<void>;
}

/** Launches headless Chromium with a fresh profile, WebGPU enabled (Vulkan → SwiftShader without a GPU). */
export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'ltr-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const log: string[] = [];
  page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  return {
    context,
    page,
    log,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page opened by {@link openCollecting}, with what it logged and requested. */
export interface CollectedPage {
  browser: Browser;
  /** Console errors and warnings, and uncaught page errors. */
  problems: string[];
  /** Every URL the page requested, the page itself first. */
  requests: string[];
}

/**
 * Launches Chromium and opens `url` (typically a file:// report) at 1100 × 900, collecting console
 * errors and warnings, page errors and requests from before the navigation on.
 */
export async function openCollecting(url: string): Promise<CollectedPage> {
  const browser = await launch();
  const problems: string[] = [];
  const requests: string[] = [];
  const { page } = browser;
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`[console.${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`[pageerror] ${e.message}`));
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.goto(url, { waitUntil: 'load' });
  return { browser, problems, requests };
}
