import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** The provisioned Grafana dashboards (migration-overview, sync, proxy). */
export const DASHBOARDS_DIR = path.join(__dirname, 'grafana', 'dashboards');

const dashboardFile = z.object({
  uid: z.string().min(1),
  title: z.string().min(1),
  panels: z.array(
    z.object({
      title: z.string().min(1),
      targets: z.array(z.object({ refId: z.string(), expr: z.string() })),
    }),
  ),
});

export type DashboardFile = z.infer<typeof dashboardFile>;

export interface DashboardPanel {
  /** File name without .json, e.g. "migration-overview". */
  dashboard: string;
  panel: string;
  expr: string;
}

export function dashboardFiles(dir = DASHBOARDS_DIR): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, f));
}

export function readDashboard(file: string): DashboardFile {
  const parsed = dashboardFile.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a dashboard we can read: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Every PromQL expression of every panel of every dashboard, one entry per query target. */
export function dashboardPanels(dir = DASHBOARDS_DIR): DashboardPanel[] {
  return dashboardFiles(dir).flatMap((file) => {
    const dashboard = path.basename(file, '.json');
    return readDashboard(file).panels.flatMap((panel) => panel.targets.map((target) => ({ dashboard, panel: panel.title, expr: target.expr })));
  });
}

const queryAnswer = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: z.object({ resultType: z.string(), result: z.array(z.unknown()) }) }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string() }),
]);

/**
 * An instant query through Prometheus's HTTP API (GET /api/v1/query). Throws with Prometheus's own message
 * when it rejects the expression (bad_data) or cannot evaluate it.
 */
export async function queryPrometheus(baseUrl: string, expr: string): Promise<{ resultType: string; result: unknown[] }> {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Prometheus answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const answer = queryAnswer.safeParse(body);
  if (!answer.success) throw new Error(`Prometheus answered ${res.status} with an unexpected body: ${text.slice(0, 200)}`);
  if (answer.data.status === 'error') throw new Error(`Prometheus rejected ${JSON.stringify(expr)}: ${answer.data.errorType ?? 'error'}: ${answer.data.error}`);
  return answer.data.data;
}
