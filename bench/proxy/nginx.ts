import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { until } from '../../cdc/test/until';
import { freePort } from '../../stack/proc';
import { startChild, type Child } from './child';

export const NGINX_BINARY = process.env.STRANGLER_NGINX_BIN ?? '/usr/sbin/nginx';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Debian's nginx as a plain reverse proxy in front of the same upstream, with upstream keep-alive: the
 * yardstick the issue names. One worker, as our proxy is one Node process; its own config, prefix and port;
 * the X-Forwarded-* headers our proxy sets.
 */
export async function startNginx(upstreamPort: number, folder: string): Promise<Child<{ port: number }>> {
  if (!existsSync(NGINX_BINARY)) throw new Error(`nginx is not installed at ${NGINX_BINARY}: apt-get install -y nginx-light (or set STRANGLER_NGINX_BIN)`);
  mkdirSync(join(folder, 'logs'), { recursive: true });
  const port = await freePort();
  const config = `
worker_processes 1;
daemon off;
pid ${folder}/nginx.pid;
error_log ${folder}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${folder}/body;
  proxy_temp_path ${folder}/proxy;
  fastcgi_temp_path ${folder}/fastcgi;
  uwsgi_temp_path ${folder}/uwsgi;
  scgi_temp_path ${folder}/scgi;
  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      # The same headers our proxy adds, so both do the same work and the upstream parses the same request.
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Forwarded-Host $host;
    }
  }
}
`;
  const file = join(folder, 'nginx.conf');
  writeFileSync(file, config);
  return startChild(NGINX_BINARY, ['-p', folder, '-c', file], {}, async () => {
    await until('nginx listening', async () => ((await accepts(port)) ? true : undefined), { timeoutMs: 10_000, everyMs: 50 });
    return { port };
  });
}
