/**
 * `npm run demo -- --quick --prometheus`, in-process: the whole walk under traffic must end clean (exit 0
 * and the summary), and while it runs every expression of every dashboard panel must return data through
 * the stack's Prometheus, so the dashboards an operator opens during a migration are never empty.
 * Leaves the stack running (jest's global setup owns it) and every demo service stopped.
 */
import { Writable } from 'node:stream';
import { dashboardPanels, queryPrometheus } from '../observability/dashboards';
import { canConnect } from '../stack/proc';
import { stackStatus } from '../stack/native-stack';
import { CONTRACT_PORTS } from './demo-settings';
import { runDemo, type DemoUrls } from './run-demo';

/** Prometheus evaluates `rate(...[1m])` from two scrapes; the walk's first minute gives it them. */
async function emptyPanels(prometheusUrl: string): Promise<string[]> {
  const empty: string[] = [];
  for (const panel of dashboardPanels()) {
    const answer = await queryPrometheus(prometheusUrl, panel.expr).catch((error: unknown) => ({ resultType: 'error', result: [], error }));
    if (answer.result.length === 0) empty.push(`${panel.dashboard} / ${panel.panel}: ${panel.expr}${'error' in answer ? ` (${String(answer.error)})` : ''}`);
  }
  return empty;
}

describe('npm run demo -- --quick --prometheus', () => {
  it('walks every context to retired under load, loses nothing, and feeds every dashboard panel', async () => {
    let output = '';
    const out = new Writable({ write(chunk: Buffer, _encoding, done) { output += chunk.toString(); done(); } });
    let panelsWithoutData: string[] | undefined;
    let panelCount = 0;

    const outcome = await runDemo({
      quick: true,
      prometheus: true,
      out,
      whileRunning: async (urls: DemoUrls) => {
        if (!urls.prometheus) throw new Error('the demo did not report its Prometheus');
        panelCount = dashboardPanels().length;
        // Scrapes run every few seconds; a panel over a counter born late in the walk gets a few tries.
        const deadline = Date.now() + 60_000;
        do {
          panelsWithoutData = await emptyPanels(urls.prometheus);
          if (panelsWithoutData.length === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 5_000));
        } while (Date.now() < deadline);
      },
    });

    const tail = output.split('\n').slice(-60).join('\n');
    expect({ ok: outcome.ok, reasons: outcome.reasons, tail: outcome.ok ? '' : tail }).toEqual({ ok: true, reasons: [], tail: '' });
    expect(outcome.summary).toContain('RESULT: every context retired under load; nothing lost; verify clean.');
    for (const context of ['identity', 'profile', 'preferences']) {
      const walk = outcome.result.walks.find((w) => w.context === context);
      expect(walk?.visits.map((v) => v.stage)).toEqual(['shadow', 'canary 10%', 'canary 50%', 'canary 100%', 'reads', 'writes', 'retired']);
    }
    expect(outcome.result.acknowledgedWrites).toBeGreaterThan(100);

    expect(panelCount).toBeGreaterThan(0);
    expect(panelsWithoutData).toEqual([]);

    // Services stopped, stack still up.
    for (const port of Object.values(CONTRACT_PORTS)) expect(await canConnect(port)).toBe(false);
    expect((await stackStatus()).components.filter((c) => c.name !== 'prometheus').every((c) => c.up)).toBe(true);
  }, 12 * 60_000);
});
