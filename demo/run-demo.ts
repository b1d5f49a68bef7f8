/**
 * `npm run demo`: the whole migration, shown. The native stack (and Prometheus when asked), a clean slate,
 * the seeded monolith, the four services, steady client traffic through the proxy, and each context walked
 * through every stage with the operators' tools; then the proof: the traffic's acknowledged writes on both
 * sides and `strangler verify` clean.
 */
import { createInterface } from 'node:readline/promises';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import pino from 'pino';
import { connectorFiles } from '../cdc/connectors/register';
import { LEGACY_USERS_TOPIC, FORWARD_SYNC_GROUP } from '../cdc/forward/forward-sync.worker';
import { KafkajsEventLog } from '../cdc/kafka/kafkajs-event-log';
import { migrateLegacy } from '../migrations/migrate';
import { generateLegacyUsers, type GeneratedLegacyUser } from '../migrations/legacy/seed/legacy-user-generator';
import { seedLegacyUsers } from '../migrations/legacy/seed/seed-legacy-users';
import { seedPassword } from '../migrations/legacy/seed/password-pool';
import { createStackLogger } from '../stack/log';
import { stackDown, stackPaths, stackSettings, stackUp, startPrometheus, stopPrometheus, type PrometheusStart, type StackSettings } from '../stack/native-stack';
import { waitFor } from '../stack/proc';
import { clearDemoPorts } from './leftover-services';
import { drainSync, fetchSyncFacts } from '../proxy/admin/cdc-client';
import { checkBothSides } from './both-sides';
import { Chaos } from './chaos';
import { backgroundFaults, handOverFaults, type ChaosTargets } from './chaos-faults';
import { cleanSlate } from './clean-slate';
import { ClientTraffic, emptyTrafficStats, type KnownUser } from './client-traffic';
import { adminToken, CHAOS_PORTS, CONTRACT_PORTS, DEMO_BCRYPT_COST, demoEnvironment, phasesFor, type DemoPorts } from './demo-settings';
import { figuresFrom, renderFigures, requestRates, type Figures, type SyncWorkerReport } from './figures';
import { parsePrometheusText, type Sample } from './prometheus-text';
import { DemoServices, type ServiceSpec } from './services';
import { AdminClient, runVerify, walkContexts, type ContextWalk, type VerifyOutcome } from './stage-walk';
import { renderSummary, verdictOf, type DemoResult, type Verdict } from './summary';
import { createTerminal, type Terminal } from './terminal';
import { DEFAULT_MIX } from './traffic-mix';
import { CONTEXTS, WriteLedger } from './write-ledger';

const root = resolve(__dirname, '..');

export interface DemoOptions {
  /** Legacy users to seed (default 10,000; 1,000 with `quick`). */
  users?: number;
  interactive?: boolean;
  keep?: boolean;
  /** Fewer users, shorter phases: for tests. */
  quick?: boolean;
  prometheus?: boolean;
  /** Two proxy instances and two cdc processes, and faults injected one after another during the walk (chaos.ts). */
  chaos?: boolean;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
  settings?: StackSettings;
  /** Called after the walk while the services and the traffic still run (the test queries Prometheus here). */
  whileRunning?: (urls: DemoUrls) => Promise<void>;
}

export interface DemoUrls {
  proxy: string;
  admin: string;
  /** With --chaos: the second proxy instance, its admin port and the second cdc process. */
  second?: { proxy: string; admin: string; cdc: string };
  legacy: string;
  userService: string;
  cdc: string;
  prometheus?: string;
}

export interface DemoOutcome extends Verdict {
  result: DemoResult;
  summary: string;
  urls: DemoUrls;
  /** The services' pids when --keep left them running. */
  kept?: Record<string, number | undefined>;
}

function urlsOf(ports: DemoPorts): DemoUrls {
  const at = (port: number) => `http://127.0.0.1:${port}`;
  return { proxy: at(ports.proxy), admin: at(ports.admin), legacy: at(ports.legacy), userService: at(ports.userService), cdc: at(ports.cdc) };
}

function serviceSpecs(urls: DemoUrls): ServiceSpec[] {
  const specs: ServiceSpec[] = [
    { name: 'legacy', main: 'legacy/main.ts', healthUrl: `${urls.legacy}/healthz` },
    { name: 'user-service', main: 'user-service/main.ts', healthUrl: `${urls.userService}/healthz` },
    { name: 'cdc', main: 'cdc/main.ts', healthUrl: `${urls.cdc}/healthz` },
    { name: 'proxy', main: 'proxy/main.ts', healthUrl: `${urls.admin}/healthz` },
  ];
  if (!urls.second) return specs;
  // The second instances share everything with the first but their ports.
  const portOf = (url: string) => new URL(url).port;
  return [
    ...specs,
    { name: 'cdc-2', main: 'cdc/main.ts', healthUrl: `${urls.second.cdc}/healthz`, env: { CDC_PORT: portOf(urls.second.cdc) } },
    { name: 'proxy-2', main: 'proxy/main.ts', healthUrl: `${urls.second.admin}/healthz`, env: { PROXY_PORT: portOf(urls.second.proxy), PROXY_ADMIN_PORT: portOf(urls.second.admin) } },
  ];
}


async function metricsOf(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3_000) });
  return parsePrometheusText(await res.text());
}

async function syncWorkers(cdcUrl: string): Promise<SyncWorkerReport[]> {
  const facts = await fetchSyncFacts(cdcUrl, 3_000);
  return facts.reachable ? facts.workers.map((worker) => ({ ...worker, lastLagSeconds: worker.lastLagSeconds ?? null })) : [];
}

async function currentFigures(urls: DemoUrls): Promise<Figures> {
  const [proxy, cdc, sync] = await Promise.all([metricsOf(urls.admin), metricsOf(urls.cdc), syncWorkers(urls.cdc)]);
  return figuresFrom(proxy, cdc, sync);
}

/**
 * Both directions drained, one after the other: each has applied everything its source had committed when
 * asked. A drain that times out (a sync catching up with a burst) is asked again until the deadline.
 */
async function drainBoth(cdcUrl: string, token: string, timeoutMs: number, checkAlive: () => void): Promise<void> {
  for (const direction of ['forward', 'reverse'] as const) {
    let last = '';
    await waitFor(`the ${direction} sync to drain`, async () => {
      checkAlive();
      const outcome = await drainSync(cdcUrl, direction, token, 10_000);
      if (!outcome.drained) last = outcome.reason;
      return outcome.drained;
    }, timeoutMs, 0).catch((error: Error) => {
      throw new Error(`${error.message}${last ? ` (${last})` : ''}`);
    });
  }
}

async function sumOffsets(offsets: Promise<{ offset: string }[]>): Promise<number> {
  return (await offsets).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

/**
 * The users the traffic may touch: the seeded users without legacy dirt, replayed from the seed's own
 * generator (the same seed gives the same users; ids are positions after the seed's reset). Dirty rows are
 * the verifier's and the dead letters' business; a client reading one through the new service would see a
 * 404 that is the data's fault, not the migration's. The drain after the snapshot proved the tidy ones are
 * in all three contexts.
 */
function tidySeededUsers(count: number, seed: number): KnownUser[] {
  const users: KnownUser[] = [];
  // Password hashes do not shape the stream; the clients sign in with the pool's passwords.
  const generated = generateLegacyUsers(seed, []);
  for (let id = 1; id <= count; id++) {
    const { row, dirt } = generated.next().value as GeneratedLegacyUser;
    if (dirt.length > 0) continue;
    // The seed's user n logs in with seed-password-NN, NN = (n - 1) mod 16.
    users.push({ id, email: row.email_addr, password: seedPassword(id - 1), active: row.acct_stat_cd === 'A' });
  }
  return users;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoOutcome> {
  const out = options.out ?? process.stdout;
  const baseEnv = options.env ?? process.env;
  const settings = options.settings ?? stackSettings;
  const phases = phasesFor({ quick: options.quick ?? false, users: options.users });
  const terminal: Terminal = createTerminal(out);
  const token = adminToken(baseEnv);
  const urls = urlsOf(CONTRACT_PORTS);
  if (options.chaos) urls.second = { proxy: `http://127.0.0.1:${CHAOS_PORTS.proxy}`, admin: `http://127.0.0.1:${CHAOS_PORTS.admin}`, cdc: `http://127.0.0.1:${CHAOS_PORTS.cdc}` };
  const env = demoEnvironment(baseEnv, settings, token, phases, CONTRACT_PORTS, urls.second ? [urls.second.cdc] : []);
  // Every drain and sync report through STRANGLER_CDC_URL: with --chaos, either cdc process answers.
  const cdcUrl = env.STRANGLER_CDC_URL!;
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const services = new DemoServices(root, stackPaths(settings).logs, env, options.keep ?? false);
  const ledger = new WriteLedger();
  const walks: ContextWalk[] = [];
  let traffic: ClientTraffic | undefined;
  let finalVerify: VerifyOutcome | null = null;
  let bothSides = { users: 0, differences: [] as string[] };
  let aborted: string | undefined;
  let prometheus: PrometheusStart | undefined;
  let figuresTimer: NodeJS.Timeout | undefined;
  let control: Pool | undefined;
  let chaos: Chaos | undefined;
  let walkFailed = false;
  let chaosTargets: ChaosTargets | undefined;
  /** --chaos: the faults, on this demo's stack and services; recovery is every /healthz 200 and both syncs drained. */
  const startChaos = (specs: readonly ServiceSpec[], admin: AdminClient, controlPlane: Pool, say: (line: string) => void): Chaos => {
    const proxyOfAdmin = new Map([[urls.admin, 'proxy' as const], [urls.second!.admin, 'proxy-2' as const]]);
    chaosTargets = {
      settings,
      stackLog: createStackLogger('warn'),
      services,
      control: controlPlane,
      changingProxy: () => proxyOfAdmin.get(admin.current)!,
      drainingCdc: 'cdc',
    };
    return new Chaos({
      unhealthy: async () => (await Promise.all(specs.map(async (spec) => ((await fetch(spec.healthUrl, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false)) ? undefined : spec.name)))).filter((name): name is ServiceSpec['name'] => name !== undefined),
      drained: async () => (await drainSync(cdcUrl, 'forward', token, 10_000)).drained && (await drainSync(cdcUrl, 'reverse', token, 10_000)).drained,
      say,
    }, handOverFaults(chaosTargets, CONTEXTS[0], CONTEXTS[1]));
  };
  let interrupted = false;
  const onSigint = () => { interrupted = true; };
  process.once('SIGINT', onSigint);
  const checkAlive = () => {
    if (services.crashed) throw services.crashed;
    if (interrupted) throw new Error('interrupted (Ctrl-C)');
  };
  // Opened at the first question only: an open stdin would keep the process alive after a failed start.
  let readline: ReturnType<typeof createInterface> | undefined;
  const confirm = async (what: string) => {
    if (!options.interactive) return;
    readline ??= createInterface({ input: process.stdin, output: out });
    await readline.question(`    press Enter to ${what} `);
  };

  // The broker the services are given, so that the demo watches the topics they use.
  const eventLog = new KafkajsEventLog({ brokers: env.STRANGLER_KAFKA_BROKERS!.split(','), clientId: 'strangler-demo' }, logger);
  let stackStartedHere = false;
  let seeded = 0;
  try {
    terminal.step('native stack: PostgreSQL (wal_level=logical), Kafka (KRaft), Kafka Connect with Debezium');
    const up = await stackUp({ settings });
    stackStartedHere = up.postgres.started || up.kafka.started || up.connect.started;
    terminal.note(`ready in ${up.seconds.toFixed(1)} s (Kafka ${up.versions.kafka}, Debezium ${up.versions.debezium})${stackStartedHere ? '' : '; it was already running'}`);
    if (options.prometheus) {
      prometheus = await startPrometheus({ settings });
      urls.prometheus = prometheus.url;
      terminal.note(`Prometheus on ${prometheus.url}${prometheus.started ? '' : ' (already running)'}`);
    }

    // Services a previous `--keep` run left on the ports are stopped; anything else there stops the demo with what to do.
    const ports: Record<string, number> = { ...CONTRACT_PORTS, ...(options.chaos ? { 'proxy-2': CHAOS_PORTS.proxy, 'admin-2': CHAOS_PORTS.admin, 'cdc-2': CHAOS_PORTS.cdc } : {}) };
    const cleared = await clearDemoPorts(ports, root, serviceSpecs(urls).map((spec) => spec.main));
    if (cleared.stopped.length > 0) terminal.note(`stopped the services an earlier run kept: ${cleared.stopped.map((h) => `${h.service} (pid ${h.pid}, port ${h.port})`).join(', ')}`);

    terminal.step('a clean slate: connectors, slots, the legacy, user_service and strangler databases, topics, consumer groups');
    await cleanSlate({
      connectUrl: env.STRANGLER_CONNECT_URL!,
      serverUrl: `postgres://postgres@127.0.0.1:${settings.pgPort}/postgres`,
      connectorFiles: await connectorFiles(),
      databases: settings.databases,
      eventLog,
      say: (line) => terminal.note(line),
    });

    terminal.step(`the monolith's users table, ${phases.users.toLocaleString('en')} seeded users with legacy's dirt`);
    await migrateLegacy(env.LEGACY_DATABASE_URL!, { logger });
    const seeding = terminal.progress('seeding', phases.users, ' users');
    const seed = await seedLegacyUsers({ databaseUrl: env.LEGACY_DATABASE_URL!, count: phases.users, reset: true, bcryptCost: DEMO_BCRYPT_COST, onProgress: ({ inserted }) => seeding.update(inserted) });
    seeding.stop();
    seeded = seed.inserted;
    terminal.note(`${seed.inserted} users in ${(seed.durationMs / 1000).toFixed(1)} s; dirt planted: ${Object.entries(seed.dirt).map(([k, n]) => `${k} ${n}`).join(', ')}`);

    terminal.step(`legacy, user-service, cdc (registers the connectors; Debezium snapshots) and proxy${urls.second ? ', and a second cdc process and proxy instance (--chaos)' : ''}`);
    const specs = serviceSpecs(urls);
    await services.start(specs);
    terminal.note(`running: ${specs.map((s) => `${s.name} (pid ${services.pids[s.name]}, log ${services.logFileOf(s.name)})`).join(', ')}`);

    terminal.step('the initial snapshot: every seeded row through Debezium and the forward sync');
    const snapshot = terminal.progress('snapshot applied', seeded, ' rows');
    let counts = { produced: 0, applied: 0 };
    await waitFor('the snapshot to be applied', async () => {
      checkAlive();
      counts = {
        produced: await sumOffsets(eventLog.endOffsets(LEGACY_USERS_TOPIC)),
        applied: await sumOffsets(eventLog.committedOffsets(FORWARD_SYNC_GROUP, LEGACY_USERS_TOPIC)),
      };
      snapshot.update(Math.min(counts.applied, seeded));
      // Every seeded row is on the topic once; then the drain proves the sync applied all of it.
      return counts.produced >= seeded && (await drainSync(cdcUrl, 'forward', token, 2_000)).drained;
    }, 10 * 60_000, 1_000).catch((error: Error) => {
      throw new Error(`${error.message} (${counts.produced} rows produced, ${counts.applied} applied)`);
    });
    snapshot.update(seeded);
    snapshot.stop();

    const users = tidySeededUsers(seed.inserted, seed.seed);
    const proxyUrls = [urls.proxy, ...(urls.second ? [urls.second.proxy] : [])];
    terminal.step(`client traffic through the proxy (${proxyUrls.join(', ')}): ~${phases.ratePerSecond} requests/s over ${users.length} tidy users, for the whole walk`);
    const runTag = `${Date.now().toString(36)}`;
    const admin = new AdminClient([urls.admin, ...(urls.second ? [urls.second.admin] : [])], token);
    if (options.chaos) {
      control = new Pool({ connectionString: env.STRANGLER_CONTROL_DATABASE_URL, max: 2, connectionTimeoutMillis: 2_000 });
      // Its connections die with the PostgreSQL restart the chaos itself injects; the next query reconnects.
      control.on('error', () => undefined);
      chaos = startChaos(specs, admin, control, (line) => terminal.note(line));
    }
    traffic = new ClientTraffic({
      proxyUrls,
      ...(chaos ? { explainFailure: chaos.explain } : {}),
      ratePerSecond: phases.ratePerSecond,
      maxInFlight: 32,
      mix: DEFAULT_MIX,
      runTag,
      random: Math.random,
      holdPatienceMs: 60_000,
    }, ledger, users);
    traffic.start();
    let previous: { figures: Figures; at: number } | undefined;
    figuresTimer = setInterval(() => {
      currentFigures(urls).then((figures) => {
        const at = Date.now();
        terminal.figures(renderFigures(figures, previous ? requestRates(previous.figures, figures, (at - previous.at) / 1000) : undefined));
        previous = { figures, at };
      }, () => undefined); // a scrape missed while a service restarts its listener is shown at the next tick
    }, 1_500);

    // The verifier re-reads drifting rows once after --recheck-delay; rows a sync is still applying would
    // count as drift, so each run starts when both directions have caught up with what was committed.
    const verifyAfterDrain = async (context: (typeof CONTEXTS)[number]) => {
      await drainBoth(cdcUrl, token, 60_000, checkAlive);
      return runVerify(root, env, context);
    };
    const background = chaos?.runInTurn(backgroundFaults(chaosTargets!), phases.dwellMs, () => walkFailed || interrupted);
    // Awaited after the walk; until then a failed fault must not be an unhandled rejection.
    background?.catch(() => undefined);
    walks.push(...await walkContexts(CONTEXTS, {
      dwellMs: phases.dwellMs,
      canarySteps: phases.canarySteps,
      promotionDeadlineMs: 3 * 60_000,
      shadowDeadlineMs: 5 * 60_000,
    }, { admin, terminal, verify: verifyAfterDrain, confirm, checkAlive, ...(chaos ? { step: chaos.step.bind(chaos) } : {}) }));
    if (chaos) {
      terminal.step('chaos: the faults still to come, before the end');
      await background;
      if (chaos.unused.length > 0) throw new Error(`hand-over faults never met their promotion: ${chaos.unused.map((f) => f.name).join(', ')}`);
    }

    if (options.whileRunning) await options.whileRunning(urls);

    terminal.step('the end: traffic stopped, both syncs drained, every acknowledged write checked on both sides');
    await traffic.stop();
    await drainBoth(cdcUrl, token, 120_000, checkAlive);
    const checking = terminal.progress('users checked on legacy and the user-service', Math.max(1, ledger.expectations().length));
    bothSides = await checkBothSides(ledger, [{ name: 'legacy', baseUrl: urls.legacy }, { name: 'user-service', baseUrl: urls.userService }], (done) => checking.update(done));
    checking.stop();

    terminal.step('strangler verify (every context)');
    finalVerify = await runVerify(root, env);
    terminal.note(`exit ${finalVerify.exitCode}; drifting rows ${JSON.stringify(finalVerify.drift)}; unsyncable legacy rows (reported, not failed) ${JSON.stringify(finalVerify.unsyncable)}`);
  } catch (error) {
    walkFailed = true;
    aborted = error instanceof Error ? error.message : String(error);
  } finally {
    if (figuresTimer) clearInterval(figuresTimer);
    await traffic?.stop();
    await control?.end().catch(() => undefined);
    readline?.close();
    process.removeListener('SIGINT', onSigint);
  }

  // With --chaos, both instances' counters (each since its last start: the chaos restarts them).
  const proxyMetrics = (await Promise.all([urls.admin, ...(urls.second ? [urls.second.admin] : [])].map((url) => metricsOf(url).catch(() => [] as Sample[])))).flat();
  const result: DemoResult = {
    walks,
    traffic: traffic?.stats ?? emptyTrafficStats(),
    acknowledgedWrites: ledger.acknowledgedWrites,
    bothSides,
    finalVerify,
    proxyMetrics,
    aborted,
    ...(chaos ? { faults: chaos.runs } : {}),
  };
  terminal.close();
  const summary = renderSummary(result);
  out.write(`\n${summary}\n`);
  const verdict = verdictOf(result);

  let kept: Record<string, number | undefined> | undefined;
  try {
    if (options.keep && !aborted) {
      services.detach();
      kept = services.pids;
      out.write([
        '',
        '--keep: everything stays up.',
        `  client API (the proxy)      ${urls.proxy}/api/users/1/account`,
        `  operator console            ${urls.admin}/  (token: ${token})`,
        `  admin API                   ${urls.admin}/admin/contexts  (Authorization: Bearer <token>)`,
        `  legacy / user-service       ${urls.legacy} / ${urls.userService}`,
        `  cdc health and metrics      ${urls.cdc}/healthz  ${urls.cdc}/metrics`,
        ...(urls.prometheus ? [`  Prometheus                  ${urls.prometheus}/graph  (Grafana dashboards: observability/README.md)`] : []),
        `  logs                        ${stackPaths(settings).logs}/demo-*.log`,
        `  operator CLI                STRANGLER_ADMIN_TOKEN=${token} npx strangler status`,
        `  stop the services           kill ${Object.values(kept).join(' ')}`,
        `  stop the stack              npm run stack:down${urls.prometheus ? '  (Prometheus too)' : ''}`,
        '',
      ].join('\n'));
    } else {
      await services.stop();
      if (prometheus?.started) await stopPrometheus({ settings });
      if (stackStartedHere) {
        terminal.note('stopping the native stack (the demo started it)');
        await stackDown({ settings });
      }
    }
  } finally {
    await eventLog.close();
  }
  return { ...verdict, result, summary, urls, kept };
}
