// The README's JavaScript blocks (```js fences), in order, as one script: the README promises
// that pasted together they run as written. test/readme.test.ts runs them against src, and
// test/package.test.ts type-checks them and runs them in a page against the packed package.
import { readFileSync } from 'node:fs';

export const PACKAGE_NAME = '@webgrad/core';

export function readmeCode(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  if (blocks.length === 0) throw new Error('README.md has no ```js blocks');
  return blocks.join('\n');
}
