// A static file server for the built pages (bench/dist), on 127.0.0.1: WebGPU needs a secure
// context, and http://127.0.0.1 is one. `node scripts/serve.mjs [page.html] [--port N]` serves
// until stopped and prints the page's address; `serve()` does the same for scripts and tests.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @type {Record<string, string>} */
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
};

export const PAGES_DIR = fileURLToPath(new URL('../bench/dist/', import.meta.url));

/**
 * Serves `root` on 127.0.0.1 (port 0: a free one). Resolves to its base URL and a `close()`.
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export function serve(root = PAGES_DIR, port = 0) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file = join(base, path);
    // Inside `base` only: a prefix test would let '/..%2fdist-secret/' reach a sibling 'dist-secret'.
    const inside = relative(base, file);
    if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      statSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      // Listening on a TCP port, the address is an AddressInfo (a string only for a pipe or socket).
      const { port: actual } = /** @type {import('node:net').AddressInfo} */ (server.address());
      done({
        url: `http://127.0.0.1:${actual}/`,
        close: () => /** @type {Promise<void>} */ (new Promise((closed) => server.close(() => closed()))),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8080;
  const page = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--port') ?? '';
  try {
    statSync(join(PAGES_DIR, 'index.html'));
  } catch {
    console.error('bench/dist/ is empty: run `node scripts/build.mjs` first.');
    process.exit(1);
  }
  const { url } = await serve(PAGES_DIR, port);
  console.log(`Serving ${url}${page}  (open it in a browser with WebGPU: Chrome or Edge 113+; Ctrl-C stops)`);
}
