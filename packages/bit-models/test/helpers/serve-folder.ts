/** A local HTTP server for a folder (single Range requests honoured), for load-over-URL tests. */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface FolderServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** `METHOD path range` of every request. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function serveFolder(dir: string): Promise<FolderServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const range = req.headers.range;
    requests.push(`${req.method} ${path} ${range ?? '-'}`);
    const file = join(dir, normalize(path).replace(/^([/\\])+/, ''));
    readFile(file).then(
      (bytes) => {
        const m = range === undefined ? null : /^bytes=(\d+)-(\d*)$/.exec(range);
        if (m === null) {
          res.writeHead(200, { 'Content-Length': bytes.length });
          res.end(bytes);
          return;
        }
        const start = Number(m[1]);
        const end = m[2] === '' ? bytes.length - 1 : Math.min(Number(m[2]), bytes.length - 1);
        const body = bytes.subarray(start, end + 1);
        res.writeHead(206, {
          'Content-Length': body.length,
          'Content-Range': `bytes ${start}-${end}/${bytes.length}`,
        });
        res.end(body);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** An in-memory Cache Storage (the part downloadToCacheStorage uses). */
export function memoryCaches() {
  const stores = new Map<string, Map<string, { body: ArrayBuffer; headers: Headers }>>();
  return {
    stores,
    async open(name: string) {
      let store = stores.get(name);
      if (!store) stores.set(name, (store = new Map()));
      const s = store;
      return {
        async match(key: string) {
          const hit = s.get(key);
          return hit ? new Response(hit.body.slice(0), { headers: hit.headers }) : undefined;
        },
        async put(key: string, response: Response) {
          s.set(key, { body: await response.arrayBuffer(), headers: response.headers });
        },
        async delete(key: string) {
          return s.delete(key);
        },
      };
    },
  };
}
