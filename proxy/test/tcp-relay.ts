import net from 'node:net';
import { once } from 'node:events';

/**
 * A TCP relay a test puts between a process and one of its dependencies, to cut the connection for real:
 * `cut()` drops every relayed connection (both ends reset) and drops each new one as soon as it arrives,
 * as a partition looks from the process's side; `restore()` lets connections through again.
 */
export interface TcpRelay {
  readonly port: number;
  readonly cutOff: boolean;
  cut(): void;
  restore(): void;
  stop(): Promise<void>;
}

export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let cutOff = false;
  const server = net.createServer((client) => {
    if (cutOff) return void client.resetAndDestroy();
    const upstream = net.connect(target.port, target.host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const relay: TcpRelay = {
    port: (server.address() as net.AddressInfo).port,
    get cutOff() {
      return cutOff;
    },
    cut() {
      cutOff = true;
      for (const [client, upstream] of [...pairs]) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      cutOff = false;
    },
    async stop() {
      relay.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return relay;
}
