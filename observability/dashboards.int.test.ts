// The stack's Prometheus (Debian's package) with the native scrape config: it starts, answers /-/ready,
// scrapes the jobs of observability/prometheus/prometheus.yml, and accepts every dashboard expression.
// It runs in its own stack folder on a free port, so a demo's Prometheus on 29090 is never touched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { until } from '../cdc/test/until';
import { createStackLogger } from '../stack/log';
import { type StackSettings, stackSettings, stackStatus, startPrometheus, stopPrometheus } from '../stack/native-stack';
import { canConnect, freePort } from '../stack/proc';
import { dashboardPanels, queryPrometheus } from './dashboards';


describe('Prometheus started through the native stack', () => {
  let settings: StackSettings;
  let url: string;
  const logger = createStackLogger('warn');

  beforeAll(async () => {
    const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-prometheus-'));
    // Every parent must be traversable for the stack (see stack/README.md); mkdtemp makes 0700.
    fs.chmodSync(stackDir, 0o755);
    settings = { ...stackSettings, stackDir, prometheus: { ...stackSettings.prometheus, port: await freePort() } };
    const started = await startPrometheus({ settings, logger });
    expect(started.started).toBe(true);
    url = started.url;
  });

  afterAll(async () => {
    if (!settings) return;
    await stopPrometheus({ settings, logger });
    fs.rmSync(settings.stackDir, { recursive: true, force: true });
  });

  it('answers /-/ready, and a second start finds the running one instead of starting another', async () => {
    const ready = await fetch(`${url}/-/ready`);
    expect(ready.status).toBe(200);
    const again = await startPrometheus({ settings, logger });
    expect(again).toMatchObject({ started: false, url });
    const status = await stackStatus({ settings });
    expect(status.components.find((c) => c.name === 'prometheus')).toMatchObject({ state: 'up', up: true, port: settings.prometheus.port });
  });

  it('keeps its data and log in the stack folder', () => {
    expect(fs.readdirSync(path.join(settings.stackDir, 'prometheus')).length).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(settings.stackDir, 'logs', 'prometheus.log'), 'utf8')).toMatch(/Server is ready to receive web requests/);
  });

  it('scrapes every job of the native scrape config', async () => {
    const config = parse(fs.readFileSync(settings.prometheus.configFile, 'utf8')) as { scrape_configs: { job_name: string }[] };
    const jobs = config.scrape_configs.map((j) => j.job_name).sort();
    // `up` exists for every target after its first scrape, 1 or 0 depending on whether the service runs now.
    const seen = await until('every job to have been scraped once', async () => {
      const { result } = await queryPrometheus(url, 'up');
      const names = (result as { metric: { job: string } }[]).map((r) => r.metric.job).sort();
      return names.length === jobs.length ? names : undefined;
    }, { timeoutMs: 30_000, everyMs: 250 });
    expect(seen).toEqual(jobs);
  });

  it('accepts every expression of every dashboard panel', async () => {
    const rejected: string[] = [];
    for (const panel of dashboardPanels()) {
      await queryPrometheus(url, panel.expr).catch((error: Error) => rejected.push(`${panel.dashboard}/${panel.panel}: ${error.message}`));
    }
    expect(rejected).toEqual([]);
    // The check can fail: a broken expression is reported with Prometheus's own reason.
    await expect(queryPrometheus(url, 'sum by (backend (rate(strangler_proxy_requests_total[1m]))')).rejects.toThrow(/bad_data/);
  });

  it('stops, releasing its port, and the stack status no longer lists it', async () => {
    await stopPrometheus({ settings, logger });
    expect(await canConnect(settings.prometheus.port)).toBe(false);
    const status = await stackStatus({ settings });
    expect(status.components.map((c) => c.name)).not.toContain('prometheus');
  });
});
