import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

interface ScrapeConfig {
  global: { scrape_interval: string };
  scrape_configs: { job_name: string; static_configs: { targets: string[]; labels?: Record<string, string> }[] }[];
}

const read = (file: string) => parse(fs.readFileSync(path.join(__dirname, file), 'utf8')) as ScrapeConfig;
const native = read('prometheus.yml');
const compose = read('prometheus.compose.yml');

/** Each job's static targets, and the labels Prometheus attaches to them. */
const jobs = (config: ScrapeConfig) =>
  Object.fromEntries(config.scrape_configs.map((job) => [job.job_name, job.static_configs.map((c) => ({ targets: c.targets, labels: c.labels ?? {} }))]));

describe('the scrape configs of the native stack and of docker-compose', () => {
  it('the native one scrapes every process on its contract port on 127.0.0.1', () => {
    const targets = Object.fromEntries(Object.entries(jobs(native)).map(([job, configs]) => [job, configs.flatMap((c) => c.targets)]));
    expect(targets).toEqual({
      proxy: ['127.0.0.1:8081'],
      legacy: ['127.0.0.1:8082'],
      'user-service': ['127.0.0.1:8083'],
      cdc: ['127.0.0.1:8084'],
      prometheus: ['127.0.0.1:29090'],
    });
  });

  it('both have the same jobs and labels, so the dashboards read the same series on both', () => {
    const labelsOnly = (config: ScrapeConfig) => Object.fromEntries(Object.entries(jobs(config)).map(([job, configs]) => [job, configs.map((c) => c.labels)]));
    expect(labelsOnly(compose)).toEqual(labelsOnly(native));
    // The instance label is set to the job, not left as the address, which differs between the two.
    for (const [job, configs] of Object.entries(jobs(native))) expect(configs.map((c) => c.labels.instance)).toEqual([job]);
    expect(compose.global).toEqual(native.global);
  });

  it('scrapes every few seconds, so a short demo already draws rates', () => {
    const seconds = Number(/^(\d+)s$/.exec(native.global.scrape_interval)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(seconds).toBeLessThanOrEqual(5);
  });

  const promtool = '/usr/bin/promtool';
  (fs.existsSync(promtool) ? it : it.skip)('promtool (Debian prometheus package) finds both files valid', () => {
    for (const file of ['prometheus.yml', 'prometheus.compose.yml']) {
      const run = spawnSync(promtool, ['check', 'config', path.join(__dirname, file)], { encoding: 'utf8' });
      expect({ file, status: run.status, output: run.status === 0 ? '' : run.stdout + run.stderr }).toEqual({ file, status: 0, output: '' });
    }
  });
});
