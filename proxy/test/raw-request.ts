import net from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly headers: string;
  readonly body: string;
  /** The `error.code` of a JSON error body, or null. */
  readonly code: string | null;
}

/**
 * One request over its own socket with the request-target exactly as given (latin1: one char, one byte):
 * fetch and undici normalise URLs, and the forms a proxy must not misread are the ones they never send.
 */
export function sendRaw(port: number, method: string, target: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const lines = Object.entries({ host: `127.0.0.1:${port}`, 'content-length': '0', ...headers, connection: 'close' }).map(([name, value]) => `${name}: ${value}\r\n`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from(`${method} ${target} HTTP/1.1\r\n${lines.join('')}\r\n`, 'latin1')));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!status) return reject(new Error(`no HTTP answer to ${method} ${target}: ${JSON.stringify(text.slice(0, 200))}`));
      const split = text.indexOf('\r\n\r\n');
      const head = split >= 0 ? text.slice(0, split) : text;
      const raw = split >= 0 ? text.slice(split + 4) : '';
      const body = /^transfer-encoding: chunked\r?$/im.test(head) ? unchunked(raw) : raw;
      resolve({ status: Number(status[1]), headers: head, body, code: /"code":"([A-Z_.]+)"/.exec(body)?.[1] ?? null });
    });
  });
}

function unchunked(raw: string): string {
  let body = '';
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = lineEnd < 0 ? 0 : parseInt(raw.slice(at, lineEnd), 16);
    if (!size) return body;
    body += raw.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
