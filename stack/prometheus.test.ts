import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStackLogger } from './log';
import { startPrometheus } from './native-stack';
import { readStackSettings } from './settings';

describe('the stack Prometheus settings and start', () => {
  it('is off unless asked, on 29090 with the repository scrape config', () => {
    const s = readStackSettings({});
    expect(s.prometheus).toEqual({
      enabled: false,
      port: 29090,
      bin: '/usr/bin/prometheus',
      configFile: path.resolve(__dirname, '..', 'observability', 'prometheus', 'prometheus.yml'),
    });
    expect(fs.existsSync(s.prometheus.configFile)).toBe(true);
    expect(readStackSettings({ STRANGLER_PROMETHEUS: '1', STRANGLER_PROMETHEUS_PORT: '39090' }).prometheus).toMatchObject({ enabled: true, port: 39090 });
    expect(readStackSettings({ STRANGLER_PROMETHEUS: '0' }).prometheus.enabled).toBe(false);
  });

  it('a missing binary fails with what to install, not with a spawn error', async () => {
    const stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strangler-no-prometheus-'));
    try {
      const base = readStackSettings({ STRANGLER_STACK_DIR: stackDir });
      const settings = { ...base, prometheus: { ...base.prometheus, bin: path.join(stackDir, 'no-such-prometheus') } };
      await expect(startPrometheus({ settings, logger: createStackLogger('silent') })).rejects.toThrow(/apt-get install -y prometheus/);
    } finally {
      fs.rmSync(stackDir, { recursive: true, force: true });
    }
  });
});
