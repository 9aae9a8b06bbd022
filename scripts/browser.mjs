// Finds and starts the system's Chromium for headless WebGPU. Nothing here downloads a browser.
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/**
 * Flags for a quiet headless Chromium on a closed network. `--enable-unsafe-webgpu` exposes
 * navigator.gpu in headless mode; without a GPU, Chromium falls back to SwiftShader (CPU Vulkan).
 */
export const CHROMIUM_FLAGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export const INSTALL_HELP =
  'Install Chromium and the Vulkan loader: on Debian/Ubuntu `apt-get install -y chromium libvulkan1` ' +
  '(its SwiftShader driver gives WebGPU without a GPU), or point PUPPETEER_EXECUTABLE_PATH at Chrome/Chromium 113 or newer.';

/** The browser binary to use, or null: $PUPPETEER_EXECUTABLE_PATH, $CHROME_PATH, then the usual places. */
export function findChromium() {
  for (const p of [process.env.PUPPETEER_EXECUTABLE_PATH, process.env.CHROME_PATH, ...CANDIDATES]) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

export class NoBrowserError extends Error {}

/** @param {import('puppeteer-core').LaunchOptions} [opts] overrides of the defaults below */
export async function launchChromium(opts = {}) {
  const executablePath = findChromium();
  if (!executablePath) throw new NoBrowserError(`No Chromium or Chrome found. ${INSTALL_HELP}`);
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    protocolTimeout: 30 * 60_000,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    ...opts,
  });
}

/**
 * Whether `page` (on a secure origin) gets a WebGPU adapter; resolves to its description or null.
 * @param {import('puppeteer-core').Page} page
 */
export async function probeWebGPU(page) {
  return page.evaluate(async () => {
    if (!('gpu' in navigator)) return null;
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return null;
    const i = adapter.info;
    return [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unnamed adapter';
  });
}
