// What the primary and its proxy workers say to each other over node:cluster's IPC channel. Every message
// carries `channel`, so ours are told apart from node's own cluster messages and anyone else's. Stopping is
// not a message but SIGTERM: a message sent before the worker has attached its listener is dropped, a
// signal is not (and one that arrives that early ends a worker that has nothing in flight yet).
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ProxyHealth } from '../proxy-server';

export const CHANNEL = 'strangler:proxy-workers';

/** A worker's metrics as its registry's getMetricsAsJSON() gives them. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** What a worker answers to a health question: its instance's health and the client requests it has answered. */
export interface WorkerHealth {
  readonly proxy: ProxyHealth;
  readonly requests: number;
}

export type Question = 'health' | 'metrics';

/** The environment variable that tells a forked worker its place (1..N), for its log lines and /healthz. */
export const WORKER_SLOT_VARIABLE = 'STRANGLER_PROXY_WORKER_SLOT';

/** Only a worker that has said `serving` is asked anything. */
export type ToWorker = { readonly channel: typeof CHANNEL; readonly kind: 'ask'; readonly requestId: number; readonly question: Question };

export type FromWorker =
  | { readonly channel: typeof CHANNEL; readonly kind: 'serving'; readonly port: number; readonly health: WorkerHealth }
  | { readonly channel: typeof CHANNEL; readonly kind: 'answer'; readonly requestId: number; readonly health: WorkerHealth }
  | { readonly channel: typeof CHANNEL; readonly kind: 'answer'; readonly requestId: number; readonly metrics: MetricsSnapshot };

function ours(message: unknown): message is { channel: string; kind: unknown } {
  return typeof message === 'object' && message !== null && (message as { channel?: unknown }).channel === CHANNEL;
}

export function isToWorker(message: unknown): message is ToWorker {
  return ours(message) && message.kind === 'ask';
}

export function isFromWorker(message: unknown): message is FromWorker {
  return ours(message) && (message.kind === 'serving' || message.kind === 'answer');
}
