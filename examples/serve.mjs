// Serves the examples on http://127.0.0.1:PORT/ (default 8080) from this checkout: the demo pages, the built package
// (dist/) and its two runtime dependencies. Run `npm run build` first.
//   node examples/serve.mjs [PORT]
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const root = join(import.meta.dirname, '..');
const allowed = ['examples', 'dist', join('node_modules', 'fflate'), join('node_modules', 'msgpackr'), join('node_modules', '@noble', 'hashes'), join('node_modules', 'pako')];
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json', '.json': 'application/json' };
const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);

export function startServer(listenPort = port) {
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/') path = '/examples/browser/index.html';
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    const rel = file.slice(root.length + 1);
    if (!file.startsWith(root + sep) || !allowed.some((a) => rel === a || rel.startsWith(a + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startServer();
  console.log(`panini-fs examples on http://127.0.0.1:${s.address().port}/`);
}
