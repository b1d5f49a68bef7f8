// Our proxy as the benchmark runs it: its own process (the load generator must not share its event loop),
// on the bench's throwaway control database. Prints {"port": n, "healthPort": n} on stdout once it listens;
// the health port answers with proxy.health().
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startProxy } from '../../proxy/proxy-server';

async function main(): Promise<void> {
  const control = new Pool({ connectionString: process.env.STRANGLER_CONTROL_DATABASE_URL, max: 4 });
  const proxy = await startProxy({
    host: '127.0.0.1',
    port: 0,
    legacyUrl: process.env.LEGACY_URL!,
    newServiceUrl: process.env.USER_SERVICE_URL!,
    control,
    cdcUrl: process.env.STRANGLER_CDC_URL ?? 'http://127.0.0.1:9',
    registry: new Registry(),
    logger: pino({ level: 'warn' }, pino.destination({ dest: 2, sync: false })),
    stagePollMs: 100,
  });
  // The bench waits on the stage this instance acts on, not on a guessed delay.
  const health = http.createServer((_req, res) => res.end(JSON.stringify(proxy.health()))).listen(0, '127.0.0.1');
  await once(health, 'listening');
  process.stdout.write(`${JSON.stringify({ port: proxy.port, healthPort: (health.address() as AddressInfo).port })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    void proxy.stop().then(() => control.end()).finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
