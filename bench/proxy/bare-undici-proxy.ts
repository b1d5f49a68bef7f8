// The floor for a Node proxy on this path, measured in the same run as ours: a node:http server whose one
// handler forwards every request through an undici pool's dispatch interface, the way proxy/forwarding does,
// with nothing else (no route table, no stages, no metrics, no X-Forwarded-*, no failure mapping). It tells
// how much of the distance to nginx is Node's and how much is ours. Prints {"port": n} once it listens.
import http, { type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

class Passthrough implements Dispatcher.DispatchHandler {
  constructor(private readonly res: ServerResponse) {}

  // undici tells the dispatch-handler interface from its legacy one by this method.
  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: http.IncomingHttpHeaders): void {
    delete headers.connection;
    delete headers['keep-alive'];
    this.res.writeHead(statusCode, headers);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.res.write(chunk);
  }

  onResponseEnd(): void {
    this.res.end();
  }

  onResponseError(): void {
    this.res.destroy();
  }
}

async function main(): Promise<void> {
  const pool = new Pool(process.env.LEGACY_URL!, { connections: 256, pipelining: 1 });
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers };
    delete headers.connection;
    pool.dispatch({ method: req.method ?? 'GET', path: req.url ?? '/', headers, body: null }, new Passthrough(res));
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

void main();
