import { readFile } from 'node:fs/promises';
import { z } from 'zod';

// One connector registration file: the same file the native stack and docker-compose register.
const connectorFile = z.object({
  name: z.string().min(1),
  config: z.record(z.string(), z.string()),
});
export type ConnectorRegistration = z.infer<typeof connectorFile>;

const connectorStatus = z.object({
  connector: z.object({ state: z.string(), trace: z.string().optional() }),
  tasks: z.array(z.object({ id: z.number(), state: z.string(), trace: z.string().optional() })),
});
export type ConnectorStatus = z.infer<typeof connectorStatus>;

export async function readConnectorFile(path: string): Promise<ConnectorRegistration> {
  const parsed = connectorFile.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not a connector registration: ${parsed.error.message}`);
  return parsed.data;
}

async function connectRequest(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (cause) {
    throw new Error(`Kafka Connect is not reachable at ${url} (is the stack up? npm run stack:up)`, { cause });
  }
}

export interface RegistrationResult {
  name: string;
  action: 'created' | 'updated' | 'unchanged';
}

/**
 * Creates or updates the connector so that it runs exactly this configuration. An unchanged
 * configuration is left alone: re-PUTting it would restart the task for nothing.
 */
export async function registerConnector(connectUrl: string, registration: ConnectorRegistration): Promise<RegistrationResult> {
  const base = `${connectUrl}/connectors/${encodeURIComponent(registration.name)}`;
  const current = await connectRequest(`${base}/config`);
  let action: RegistrationResult['action'] = 'created';
  if (current.ok) {
    const running = (await current.json()) as Record<string, string>;
    const wanted = { ...registration.config, name: registration.name };
    const same = Object.keys(wanted).length === Object.keys(running).length
      && Object.entries(wanted).every(([key, value]) => running[key] === value);
    if (same) return { name: registration.name, action: 'unchanged' };
    action = 'updated';
  } else if (current.status !== 404) {
    throw new Error(`GET ${base}/config answered ${current.status}: ${await current.text()}`);
  }
  const put = await connectRequest(`${base}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(registration.config),
  });
  if (!put.ok) throw new Error(`Registering ${registration.name} failed (${put.status}): ${await put.text()}`);
  return { name: registration.name, action };
}

export async function connectorStatusOf(connectUrl: string, name: string): Promise<ConnectorStatus | undefined> {
  const res = await connectRequest(`${connectUrl}/connectors/${encodeURIComponent(name)}/status`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET status of ${name} answered ${res.status}: ${await res.text()}`);
  return connectorStatus.parse(await res.json());
}

/** Waits until the connector and all its tasks run; fails fast, with Connect's trace, when one has FAILED. */
export async function waitForConnectorRunning(connectUrl: string, name: string, timeoutMs = 60_000): Promise<ConnectorStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: ConnectorStatus | undefined;
  while (Date.now() < deadline) {
    last = await connectorStatusOf(connectUrl, name);
    if (last) {
      const failed = [last.connector, ...last.tasks].find((part) => part.state === 'FAILED');
      if (failed) throw new Error(`Connector ${name} FAILED: ${failed.trace?.split('\n').slice(0, 3).join(' | ') ?? 'no trace'}`);
      if (last.connector.state === 'RUNNING' && last.tasks.length > 0 && last.tasks.every((t) => t.state === 'RUNNING')) return last;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Connector ${name} not RUNNING after ${timeoutMs} ms; last status: ${JSON.stringify(last)}`);
}
