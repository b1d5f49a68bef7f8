// docker-compose.yml checked statically: there is no Docker engine where this project is built, so a typo in
// a mount, a floating image tag or an environment name a loader never reads would only show on a user's machine.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadCdcConfig } from '../cdc/config';
import { connectorFiles, connectorsDir } from '../cdc/connectors/register';
import { loadLegacyConfig } from '../legacy/config';
import { loadAdminSettings } from '../proxy/admin/admin-settings';
import { loadProxySettings } from '../proxy/proxy-settings';
import { loadUserServiceConfig } from '../user-service/config';

const repoRoot = path.resolve(__dirname, '..');

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number)[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  depends_on?: string[] | Record<string, unknown>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parse(fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
const services = compose.services;

/** `${VAR:?message}` and `${VAR:-default}` as compose would substitute them, with a stand-in for secrets. */
function interpolate(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+(?:(:?-)([^}]*)|:?\?[^}]*)?\}/g, (_whole, dash: string | undefined, fallback: string | undefined) =>
    dash ? fallback ?? '' : 'secret-from-env');
}

function environmentOf(service: string): Record<string, string> {
  const env = services[service]?.environment ?? {};
  const entries = Array.isArray(env) ? env.map((e) => e.split('=', 2) as [string, string]) : Object.entries(env).map(([k, v]) => [k, String(v ?? '')] as [string, string]);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v)]));
}

interface PublishedPort {
  service: string;
  hostIp: string | undefined;
  hostPort: number;
  containerPort: number;
}

function publishedPorts(): PublishedPort[] {
  return Object.entries(services).flatMap(([service, def]) =>
    (def.ports ?? []).map((spec) => {
      const parts = String(spec).split(':');
      const containerPort = Number(parts.pop());
      const hostPort = Number(parts.pop());
      return { service, hostIp: parts.pop(), hostPort, containerPort };
    }),
  );
}

function bindMounts(service: string): { host: string; container: string }[] {
  return (services[service]?.volumes ?? []).flatMap((v) => {
    if (typeof v !== 'string') return v.type === 'bind' && v.source && v.target ? [{ host: v.source, container: v.target }] : [];
    const [host, container] = v.split(':');
    return host && container && (host.startsWith('.') || host.startsWith('/')) ? [{ host, container }] : [];
  });
}

/** Our Node components and the files whose loaders read their environment. */
const NODE_SERVICES: Record<string, string[]> = {
  legacy: ['legacy/config.ts'],
  'user-service': ['user-service/config.ts'],
  cdc: ['cdc/config.ts'],
  proxy: ['proxy/proxy-settings.ts', 'proxy/admin/admin-settings.ts', 'proxy/main.ts'],
  'register-connectors': ['cdc/connectors/register.ts'],
};

/** Variable names a loader reads: keys of its zod environment object and `process.env.X`. */
function namesReadBy(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
    for (const m of text.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)) names.add(m[1]!);
    for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
  }
  return names;
}

describe('docker-compose.yml, the demo twin for Docker users', () => {
  it('parses and has every service the issue lists', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['cdc', 'connect', 'grafana', 'kafka', 'legacy', 'postgres', 'prometheus', 'proxy', 'register-connectors', 'user-service'].sort(),
    );
  });

  it('every image is pinned to an exact version (no latest, no missing or floating tag)', () => {
    for (const [name, def] of Object.entries(services)) {
      expect({ name, image: def.image }).toEqual({ name, image: expect.any(String) });
      const [, tag] = /:([^/:@]+)(@sha256:[0-9a-f]{64})?$/.exec(def.image!) ?? [];
      expect({ name, tag }).toEqual({ name, tag: expect.stringMatching(/^v?\d+(\.\d+)+([.-][A-Za-z0-9.-]+)?$/) });
      expect(def.image).not.toMatch(/:latest\b/);
    }
  });

  it('every file and folder it references exists (build context, Dockerfile, bind mounts)', () => {
    for (const [name, def] of Object.entries(services)) {
      if (def.build !== undefined) {
        const context = typeof def.build === 'string' ? def.build : def.build.context ?? '.';
        const dockerfile = typeof def.build === 'string' ? 'Dockerfile' : def.build.dockerfile ?? 'Dockerfile';
        expect({ name, context: fs.existsSync(path.resolve(repoRoot, context)) }).toEqual({ name, context: true });
        expect({ name, dockerfile: fs.existsSync(path.resolve(repoRoot, context, dockerfile)) }).toEqual({ name, dockerfile: true });
      }
      for (const { host } of bindMounts(name)) expect({ name, host, exists: fs.existsSync(path.resolve(repoRoot, host)) }).toEqual({ name, host, exists: true });
      for (const v of def.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : v.source ?? '';
        if (!source.startsWith('.') && !source.startsWith('/')) expect({ name, volume: source, declared: source in (compose.volumes ?? {}) }).toEqual({ name, volume: source, declared: true });
      }
    }
  });

  it('the image built from the Dockerfile holds the sources every Node service runs (nothing it needs is docker-ignored)', () => {
    const ignored = fs.readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.stack']));
    for (const [name] of Object.entries(NODE_SERVICES)) {
      const command = services[name]!.command as string[];
      const entry = command.find((arg) => arg.endsWith('.ts'))!;
      expect({ name, entry: fs.existsSync(path.join(repoRoot, entry)) }).toEqual({ name, entry: true });
      expect(ignored.some((pattern) => entry.startsWith(pattern.replace(/\/$/, '')) || pattern === '*')).toBe(false);
    }
    const dockerfile = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^COPY \. \.$/m);
    // tsx runs the sources: it must be a production dependency, since the image installs with --omit=dev.
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.dependencies.tsx).toBeDefined();
    expect(pkg.scripts['start:proxy']).toBe(`tsx ${(services.proxy!.command as string[]).slice(2).join(' ')}`);
  });

  it("publishes exactly the contract's ports, each on 127.0.0.1 only", () => {
    const ports = publishedPorts();
    expect(ports.map((p) => p.hostPort).sort((a, b) => a - b)).toEqual([3000, 8080, 8081, 8082, 8083, 8084, 28083, 29090, 29092, 55432]);
    for (const p of ports) expect({ service: p.service, port: p.hostPort, hostIp: p.hostIp }).toEqual({ service: p.service, port: p.hostPort, hostIp: '127.0.0.1' });
    const byService = (service: string) => ports.filter((p) => p.service === service).map((p) => p.hostPort).sort((a, b) => a - b);
    expect(byService('proxy')).toEqual([8080, 8081]);
    expect(byService('legacy')).toEqual([8082]);
    expect(byService('user-service')).toEqual([8083]);
    expect(byService('cdc')).toEqual([8084]);
    expect(byService('postgres')).toEqual([55432]);
    expect(byService('kafka')).toEqual([29092]);
    expect(byService('connect')).toEqual([28083]);
    expect(byService('prometheus')).toEqual([29090]);
  });

  it("every environment variable of our services is one their config loader reads (a typo would silently fall back to a default)", () => {
    for (const [service, files] of Object.entries(NODE_SERVICES)) {
      const read = namesReadBy(files);
      const unread = Object.keys(environmentOf(service)).filter((name) => !read.has(name));
      expect({ service, unread }).toEqual({ service, unread: [] });
    }
  });

  it('the loaders accept the services’ environment, listening on all interfaces inside the container on the contract port', () => {
    const legacy = loadLegacyConfig(environmentOf('legacy'));
    expect([legacy.host, legacy.port]).toEqual(['0.0.0.0', 8082]);
    const userService = loadUserServiceConfig(environmentOf('user-service'));
    expect([userService.USER_SERVICE_HOST, userService.USER_SERVICE_PORT]).toEqual(['0.0.0.0', 8083]);
    const cdc = loadCdcConfig(environmentOf('cdc'));
    expect([cdc.CDC_HOST, cdc.CDC_PORT, cdc.STRANGLER_ADMIN_TOKEN]).toEqual(['0.0.0.0', 8084, 'secret-from-env']);
    expect(cdc.STRANGLER_CONTROL_DATABASE_URL).toMatch(/@postgres:5432\/strangler$/);
    const proxyEnv = environmentOf('proxy');
    const proxy = loadProxySettings(proxyEnv);
    expect([proxy.PROXY_HOST, proxy.PROXY_PORT, proxyEnv.PROXY_ADMIN_HOST, proxyEnv.PROXY_ADMIN_PORT]).toEqual(['0.0.0.0', 8080, '0.0.0.0', '8081']);
    expect([proxy.LEGACY_URL, proxy.USER_SERVICE_URL, proxy.STRANGLER_CDC_URL]).toEqual(['http://legacy:8082', 'http://user-service:8083', 'http://cdc:8084']);
    expect(proxy.STRANGLER_CONTROL_DATABASE_URL).toMatch(/@postgres:5432\/strangler$/);
    // No token would leave the admin API refusing every call: compose must demand one from the environment.
    expect(loadAdminSettings(proxyEnv).token).toBe('secret-from-env');
    expect(services.proxy!.environment).toMatchObject({ STRANGLER_ADMIN_TOKEN: expect.stringMatching(/^\$\{STRANGLER_ADMIN_TOKEN:\?/) });
  });

  it('every URL between services names a compose service on a port that service listens on', () => {
    const containerPorts = (service: string) => new Set(publishedPorts().filter((p) => p.service === service).map((p) => p.containerPort));
    for (const service of Object.keys(services)) {
      for (const [name, value] of Object.entries(environmentOf(service))) {
        const url = /^(?:https?|postgres(?:ql)?):\/\/(?:[^@/]*@)?([a-z-]+):(\d+)/.exec(value);
        if (!url || url[1] === 'localhost') continue;
        expect({ service, name, target: url[1], known: url[1]! in services }).toEqual({ service, name, target: url[1], known: true });
        expect({ service, name, port: containerPorts(url[1]!).has(Number(url[2])) }).toEqual({ service, name, port: true });
      }
    }
  });

  it('the connector job registers exactly the files the native stack registers (cdc/connectors/*.json)', async () => {
    const command = services['register-connectors']!.command as string[];
    const script = command.findIndex((arg) => arg === 'cdc/connectors/register.ts');
    expect(script).toBeGreaterThan(-1);
    const explicit = command.slice(script + 1).filter((arg) => !arg.startsWith('-'));
    // No file arguments: register.ts registers connectorFiles(), as cdc/main.ts does on the native stack.
    const composeFiles = explicit.length > 0 ? explicit.map((f) => path.resolve(repoRoot, f)) : await connectorFiles();
    const onDisk = fs.readdirSync(connectorsDir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(connectorsDir, f));
    expect(onDisk.length).toBeGreaterThan(0);
    expect(composeFiles).toEqual(onDisk);
    expect(fs.readFileSync(path.join(repoRoot, 'cdc', 'main.ts'), 'utf8')).toMatch(/registerConnectors\(await connectorFiles\(\)/);
    // The connector files read ${env:STRANGLER_CDC_DB_*}: Connect in compose must provide every one.
    const wanted = new Set(onDisk.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/\$\{env:([A-Z0-9_]+)\}/g)].map((m) => m[1]!)));
    expect(Object.keys(environmentOf('connect'))).toEqual(expect.arrayContaining([...wanted]));
    expect(environmentOf('connect').CONNECT_CONFIG_PROVIDERS_ENV_PARAM_ALLOWLIST_PATTERN).toBe('^STRANGLER_.*');
  });

  it('Prometheus runs with the compose scrape config, which targets every service on the port serving its /metrics', () => {
    const prometheus = services.prometheus!;
    const configArg = (prometheus.command as string[]).find((arg) => arg.startsWith('--config.file='))!.split('=')[1];
    const mount = bindMounts('prometheus').find((m) => m.container === configArg);
    expect(mount && path.resolve(repoRoot, mount.host)).toBe(path.join(repoRoot, 'observability', 'prometheus', 'prometheus.compose.yml'));
    const config = parse(fs.readFileSync(path.resolve(repoRoot, mount!.host), 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const targets = new Map(config.scrape_configs.map((job) => [job.job_name, job.static_configs.flatMap((c) => c.targets)]));
    expect(Object.fromEntries(['proxy', 'legacy', 'user-service', 'cdc'].map((job) => [job, targets.get(job)]))).toEqual({
      proxy: ['proxy:8081'],
      legacy: ['legacy:8082'],
      'user-service': ['user-service:8083'],
      cdc: ['cdc:8084'],
    });
  });

  it('Grafana gets the provisioned datasource and dashboards, pointed at the compose Prometheus', () => {
    const mounts = bindMounts('grafana').map((m) => [path.relative(repoRoot, path.resolve(repoRoot, m.host)), m.container]);
    expect(mounts).toEqual(expect.arrayContaining([
      ['observability/grafana/provisioning/datasources', '/etc/grafana/provisioning/datasources'],
      ['observability/grafana/provisioning/dashboards', '/etc/grafana/provisioning/dashboards'],
    ]));
    expect(environmentOf('grafana').STRANGLER_PROMETHEUS_URL).toBe('http://prometheus:9090');
    const prometheusPort = publishedPorts().find((p) => p.service === 'prometheus')!.containerPort;
    expect(prometheusPort).toBe(9090);
    expect(services.grafana!.environment).toMatchObject({ GF_SECURITY_ADMIN_PASSWORD: expect.stringMatching(/^\$\{[A-Z_]+:\?/) });
  });
});
