import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { STAGES } from '../proxy/stages/stages';
import { dashboardFiles, dashboardPanels, DASHBOARDS_DIR, readDashboard } from './dashboards';

const repoRoot = path.resolve(__dirname, '..');

interface MetricDefinition {
  type: 'Counter' | 'Gauge' | 'Histogram' | 'Summary';
  labels: string[];
  file: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** The strangler_* metrics the services define (`new Counter({ name: 'strangler_...', labelNames: [...] })`). */
function metricDefinitions(): Map<string, MetricDefinition> {
  const found = new Map<string, MetricDefinition>();
  for (const component of ['proxy', 'cdc', 'legacy', 'user-service']) {
    for (const file of sourceFiles(path.join(repoRoot, component))) {
      const text = fs.readFileSync(file, 'utf8');
      const starts = [...text.matchAll(/new (Counter|Gauge|Histogram|Summary)\b[^(]*\(\{/g)];
      starts.forEach((start, i) => {
        const body = text.slice(start.index, starts[i + 1]?.index ?? text.length);
        const name = /name:\s*'(strangler_[a-z0-9_]+)'/.exec(body)?.[1];
        if (!name) return;
        const labelList = /labelNames:\s*\[([^\]]*)\]/.exec(body)?.[1] ?? '';
        const labels = [...labelList.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
        found.set(name, { type: start[1] as MetricDefinition['type'], labels, file: path.relative(repoRoot, file) });
      });
    }
  }
  return found;
}

const definitions = metricDefinitions();
/** Series Prometheus itself adds to every scrape: the dashboards may use them too. */
const PROMETHEUS_SERIES = new Map<string, string[]>([['up', ['job', 'instance']]]);

/** The metric each strangler_* name in an expression stands for (histogram series resolve to their histogram). */
function metricsUsed(expr: string): { series: string; metric: string | undefined }[] {
  const names = [...new Set(expr.match(/\bstrangler_[a-z0-9_]+/g) ?? [])];
  return names.map((series) => {
    if (definitions.has(series)) return { series, metric: series };
    const histogram = /^(.*)_(bucket|sum|count)$/.exec(series)?.[1];
    return { series, metric: histogram && definitions.get(histogram)?.type === 'Histogram' ? histogram : undefined };
  });
}

/** Label names an expression groups, joins or matches on, and the ones its legend shows. */
function labelsReferenced(expr: string, legend: string): string[] {
  const labels = new Set<string>();
  for (const m of expr.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)) {
    for (const l of m[1]!.split(',').map((s) => s.trim()).filter(Boolean)) labels.add(l);
  }
  for (const m of expr.matchAll(/\{([^}]*)\}/g)) for (const l of m[1]!.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) labels.add(l[1]!);
  for (const m of legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) labels.add(m[1]!);
  return [...labels];
}

interface RawPanel {
  title: string;
  datasource?: { type?: string; uid?: string };
  targets: { expr: string; legendFormat?: string; datasource?: { uid?: string } }[];
  fieldConfig?: { defaults?: { mappings?: { options?: Record<string, { text?: string }> }[] } };
}

function rawDashboards(): { name: string; uid: string; panels: RawPanel[] }[] {
  return dashboardFiles().map((file) => {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { uid: string; panels: RawPanel[] };
    return { name: path.basename(file, '.json'), uid: json.uid, panels: json.panels };
  });
}

describe('provisioned Grafana dashboards', () => {
  it('the metric catalogue grepped from the sources is not empty (a broken grep would pass everything below)', () => {
    expect(definitions.get('strangler_proxy_requests_total')?.labels).toEqual(['context', 'route', 'backend', 'status']);
    expect(definitions.get('strangler_cdc_lag_seconds')?.type).toBe('Histogram');
    expect(definitions.get('strangler_verify_drift_rows')?.labels).toEqual(['context', 'kind']);
  });

  it('the three dashboards the issue asks for exist and every one parses', () => {
    expect(dashboardFiles().map((f) => path.basename(f))).toEqual(['migration-overview.json', 'proxy.json', 'sync.json']);
    for (const file of dashboardFiles()) expect(() => readDashboard(file)).not.toThrow();
    const uids = rawDashboards().map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('every panel has exactly one non-empty PromQL expression', () => {
    for (const d of rawDashboards()) {
      for (const panel of d.panels) {
        expect({ panel: `${d.name}/${panel.title}`, targets: panel.targets.length }).toEqual({ panel: `${d.name}/${panel.title}`, targets: 1 });
        expect(panel.targets[0]!.expr.trim()).not.toBe('');
      }
    }
    expect(dashboardPanels().length).toBe(rawDashboards().reduce((n, d) => n + d.panels.length, 0));
  });

  it('no dashboard has two panels with the same title', () => {
    for (const d of rawDashboards()) {
      const titles = d.panels.map((p) => p.title);
      expect({ dashboard: d.name, duplicates: titles.filter((t, i) => titles.indexOf(t) !== i) }).toEqual({ dashboard: d.name, duplicates: [] });
    }
  });

  it('every metric a panel queries is defined in the code (a renamed metric leaves no panel silently empty)', () => {
    const unknown = dashboardPanels().flatMap((p) =>
      metricsUsed(p.expr).filter((m) => m.metric === undefined).map((m) => `${p.dashboard}/${p.panel}: ${m.series}`),
    );
    expect(unknown).toEqual([]);
    for (const p of dashboardPanels()) {
      const usesPrometheusSeries = [...PROMETHEUS_SERIES.keys()].some((name) => new RegExp(`(^|[^\\w])${name}($|[^\\w(])`).test(p.expr));
      expect({ panel: p.panel, usesAMetric: metricsUsed(p.expr).length > 0 || usesPrometheusSeries }).toEqual({ panel: p.panel, usesAMetric: true });
    }
  });

  it('every label a panel groups by, joins on, matches or shows in its legend exists on the metrics it queries', () => {
    const problems: string[] = [];
    for (const d of rawDashboards()) {
      for (const panel of d.panels) {
        const target = panel.targets[0]!;
        const known = new Set<string>(['le']);
        for (const { metric } of metricsUsed(target.expr)) for (const l of definitions.get(metric ?? '')?.labels ?? []) known.add(l);
        for (const [name, labels] of PROMETHEUS_SERIES) if (new RegExp(`(^|[^\\w])${name}($|[^\\w(])`).test(target.expr)) labels.forEach((l) => known.add(l));
        for (const label of labelsReferenced(target.expr, target.legendFormat ?? '')) {
          if (!known.has(label)) problems.push(`${d.name}/${panel.title}: label ${label}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('stage matchers and the stage timeline name the contract stages, in order', () => {
    for (const p of dashboardPanels()) {
      for (const m of p.expr.matchAll(/stage="([^"]*)"/g)) expect(STAGES).toContain(m[1]);
    }
    const timeline = rawDashboards().find((d) => d.name === 'migration-overview')!.panels.find((p) => p.title === 'Stage over time')!;
    const mapped = (timeline.fieldConfig?.defaults?.mappings ?? []).flatMap((m) => Object.entries(m.options ?? {}).map(([value, o]) => [Number(value), o.text]));
    expect(mapped).toEqual(STAGES.map((stage, i) => [i, stage]));
  });

  it('no panel uses Grafana variables ($__rate_interval...), so every expression runs as is against Prometheus', () => {
    expect(dashboardPanels().filter((p) => p.expr.includes('$'))).toEqual([]);
  });

  it('every panel reads the provisioned datasource by its uid', () => {
    const provisioning = parse(fs.readFileSync(path.join(__dirname, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as {
      datasources: { uid: string; type: string }[];
    };
    const uid = provisioning.datasources.find((ds) => ds.type === 'prometheus')?.uid;
    expect(uid).toBeDefined();
    for (const d of rawDashboards()) {
      for (const panel of d.panels) {
        expect({ panel: panel.title, uid: panel.datasource?.uid, target: panel.targets[0]!.datasource?.uid }).toEqual({ panel: panel.title, uid, target: uid });
      }
    }
  });

  it('the dashboards provider points at the folder the dashboards are mounted in by docker-compose.yml', () => {
    const provider = parse(fs.readFileSync(path.join(__dirname, 'grafana', 'provisioning', 'dashboards', 'strangler.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    const compose = parse(fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { volumes?: string[] }> };
    const mountedAt = (compose.services.grafana?.volumes ?? [])
      .map((v) => v.split(':'))
      .find(([host]) => path.resolve(repoRoot, host!) === DASHBOARDS_DIR)?.[1];
    expect(mountedAt).toBeDefined();
    expect(provider.providers[0]?.options.path).toBe(mountedAt);
  });
});
