// Shared by the browser tests: builds the pages into a fresh folder (so tests never see a stale
// bundle), serves them on 127.0.0.1 and drives the system's headless Chromium with puppeteer-core.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../../scripts/browser.mjs';
import { buildPages } from '../../scripts/pages.mjs';
import { serve } from '../../scripts/serve.mjs';

export interface OpenPage {
  page: Page;
  /** console.error messages, uncaught exceptions and failed requests seen so far. */
  errors: string[];
}

export interface BrowserSession {
  open(path: string): Promise<OpenPage>;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<BrowserSession> {
  const dir = mkdtempSync(join(tmpdir(), 'webgrad-pages-'));
  await buildPages(dir);
  const server = await serve(dir);
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    async open(path) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1200, height: 900 });
      const errors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
      });
      page.on('pageerror', (err) => errors.push(`uncaught: ${err instanceof Error ? err.message : String(err)}`));
      page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()}`));
      page.on('response', (res) => {
        if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
      });
      await page.goto(server.url + path);
      return { page, errors };
    },
    async close() {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` in the page until it returns a truthy value (then returned) or `timeoutMs` passes. */
export async function waitInPage<T>(page: Page, fn: () => T | false | null | undefined, timeoutMs: number, what: string): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = (await page.evaluate(fn)) as T;
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface ScreenshotStats {
  width: number;
  height: number;
  /** Distinct colours, quantised to 5 bits a channel. */
  colours: number;
  /** Share of pixels that are not (near) white. */
  inked: number;
}

/**
 * Takes a full-page screenshot, writes it to bench/results/NAME.png (git-ignored, for a person
 * to look at) and measures it. The PNG is decoded by the browser itself, so no image library
 * is needed: a blank or single-colour page has a handful of colours and no ink.
 */
export async function screenshot(page: Page, name: string): Promise<ScreenshotStats> {
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const png = await page.screenshot({ fullPage: true, path: join(dir, `${name}.png`) });
  const base64 = Buffer.from(png).toString('base64');
  const probe = await page.browser().newPage();
  try {
    return await probe.evaluate(async (data: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const canvas = new OffscreenCanvas(img.width, img.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, img.width, img.height).data;
      const seen = new Set<number>();
      let inked = 0;
      for (let i = 0; i < px.length; i += 4) {
        seen.add(((px[i] >> 3) << 10) | ((px[i + 1] >> 3) << 5) | (px[i + 2] >> 3));
        if (px[i] < 235 || px[i + 1] < 235 || px[i + 2] < 235) inked++;
      }
      return { width: img.width, height: img.height, colours: seen.size, inked: inked / (px.length / 4) };
    }, base64);
  } finally {
    await probe.close();
  }
}
