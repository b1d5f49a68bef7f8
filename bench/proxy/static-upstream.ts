// The benchmark's upstream, in a process of its own: two plain node:http servers ("legacy" and "new")
// answering the account route with the same fixed JSON, so what is measured is the path in front of them.
// Prints one JSON line {"legacy": port, "new": port} on stdout once both listen.
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

async function serve(): Promise<number> {
  const server = http.createServer((req, res) => {
    const id = /^\/api\/users\/(\d+)\/account/.exec(req.url ?? '')?.[1] ?? '1';
    const body = JSON.stringify({ id: Number(id), email: `user${id}@example.com`, status: 'active', createdAt: '2020-01-02T03:04:05.000Z', lastLoginAt: null });
    // Drain any request body before answering so the connection stays reusable.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function main(): Promise<void> {
  const [legacy, fresh] = [await serve(), await serve()];
  process.stdout.write(`${JSON.stringify({ legacy, new: fresh })}\n`);
  // The parent closes stdin when it is done (or dies): leave with it.
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

void main();
