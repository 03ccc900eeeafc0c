/**
 * The explorer's HTTP server: serves the site's files and nothing else. A request path is looked
 * up in the site's table as it is, after percent-decoding; a path with a `..` segment, a
 * backslash or a doubled slash (an absolute path smuggled in) is refused with 404 before the
 * lookup, so nothing outside the table can ever be named.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { SiteFile, SiteFiles } from './site';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.txt': 'text/plain; charset=utf-8',
};

/** A running explorer server. */
export interface ExplorerServer {
  /** The page's URL, e.g. http://127.0.0.1:8123/ */
  url: string;
  close(): Promise<void>;
}

/** The site path a request names, or undefined when it may not name any (`..`, absolute, malformed). */
export function sitePath(requestUrl: string): string | undefined {
  const raw = requestUrl.split('?')[0].split('#')[0];
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (!decoded.startsWith('/') || decoded.startsWith('//') || decoded.includes('\\') || decoded.includes('\0')) return undefined;
  const relative = decoded.slice(1);
  if (relative.split('/').some((segment) => segment === '..' || segment === '.')) return undefined;
  return relative === '' ? 'index.html' : relative;
}

function contentOf(source: SiteFile): Buffer {
  return 'file' in source ? fs.readFileSync(source.file) : Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength);
}

/**
 * Serves `site` on host:port (default 127.0.0.1, port 0 = any free one). Compressible files go
 * out gzipped when the browser accepts it (the image sets shrink several-fold), compressed once.
 */
export async function startExplorerServer(site: SiteFiles, options: { host?: string; port?: number } = {}): Promise<ExplorerServer> {
  const host = options.host ?? '127.0.0.1';
  const gzipped = new Map<string, Buffer>();
  const server = http.createServer((request, response) => {
    const name = request.method === 'GET' || request.method === 'HEAD' ? sitePath(request.url ?? '') : undefined;
    const source = name === undefined ? undefined : site.files.get(name);
    if (!name || !source) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found\n');
      return;
    }
    let body = contentOf(source);
    const headers: http.OutgoingHttpHeaders = { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache' };
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')) && !name.endsWith('.wasm') && body.length > 1024) {
      if (!gzipped.has(name)) gzipped.set(name, zlib.gzipSync(body, { level: 6 }));
      body = gzipped.get(name)!;
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = body.length;
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
