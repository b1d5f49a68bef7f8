import path from 'node:path';

/** Everything the native stack needs to know, read once from the environment. */
export interface StackSettings {
  repoRoot: string;
  /** Root of all generated state: jars, data, configs, logs, pid files. Git-ignored. */
  stackDir: string;
  pomFile: string;
  pgBinDir: string;
  pgPort: number;
  kafkaPort: number;
  controllerPort: number;
  connectPort: number;
  /** Prometheus (Debian's package), started only when asked: `stack:up --with-prometheus` or STRANGLER_PROMETHEUS=1. */
  prometheus: { enabled: boolean; port: number; bin: string; configFile: string };
  kafkaHeapOpts: string;
  connectHeapOpts: string;
  /** GC and other JVM flags shared by broker and Connect. */
  jvmOpts: string;
  javaBin: string;
  mvnBin: string;
  /** Handed to the Connect worker's environment so connector JSON can use ${env:...}. */
  cdcEnv: {
    STRANGLER_CDC_DB_HOST: string;
    STRANGLER_CDC_DB_PORT: string;
    STRANGLER_CDC_DB_USER: string;
    STRANGLER_CDC_DB_PASSWORD: string;
  };
  databases: string[];
  /** Readiness deadlines, ms. */
  timeouts: { postgres: number; broker: number; connect: number; prometheus: number; stop: number; maven: number };
}

export const DEFAULT_STACK_PORTS = { pg: 55432, kafka: 29092, controller: 29093, connect: 28083, prometheus: 29090 } as const;

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) {
    throw new Error(`${name} must be a port number (1-65535), got ${JSON.stringify(raw)}`);
  }
  return n;
}

function strFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw;
}

export function readStackSettings(env: NodeJS.ProcessEnv = process.env): StackSettings {
  const repoRoot = path.resolve(__dirname, '..');
  const stackDir = path.resolve(strFromEnv(env, 'STRANGLER_STACK_DIR', path.join(repoRoot, '.stack')));
  const pgPort = intFromEnv(env, 'STRANGLER_PG_PORT', DEFAULT_STACK_PORTS.pg);
  const javaHome = env.JAVA_HOME;
  return {
    repoRoot,
    stackDir,
    pomFile: path.join(repoRoot, 'stack', 'pom.xml'),
    pgBinDir: strFromEnv(env, 'STRANGLER_PG_BIN_DIR', '/usr/lib/postgresql/15/bin'),
    pgPort,
    kafkaPort: intFromEnv(env, 'STRANGLER_KAFKA_PORT', DEFAULT_STACK_PORTS.kafka),
    controllerPort: intFromEnv(env, 'STRANGLER_KAFKA_CONTROLLER_PORT', DEFAULT_STACK_PORTS.controller),
    connectPort: intFromEnv(env, 'STRANGLER_CONNECT_PORT', DEFAULT_STACK_PORTS.connect),
    prometheus: {
      enabled: ['1', 'true', 'yes'].includes((env.STRANGLER_PROMETHEUS ?? '').trim().toLowerCase()),
      port: intFromEnv(env, 'STRANGLER_PROMETHEUS_PORT', DEFAULT_STACK_PORTS.prometheus),
      bin: strFromEnv(env, 'STRANGLER_PROMETHEUS_BIN', '/usr/bin/prometheus'),
      // Scrapes every process of the native stack on its contract port (observability/README.md).
      configFile: path.resolve(strFromEnv(env, 'STRANGLER_PROMETHEUS_CONFIG', path.join(repoRoot, 'observability', 'prometheus', 'prometheus.yml'))),
    },
    kafkaHeapOpts: strFromEnv(env, 'STRANGLER_KAFKA_HEAP_OPTS', '-Xms512m -Xmx1g'),
    connectHeapOpts: strFromEnv(env, 'STRANGLER_CONNECT_HEAP_OPTS', '-Xms512m -Xmx1g'),
    // Serial GC: three JVM-ish processes plus Postgres and Node share 2 cores, so parallel GC threads
    // would mostly steal CPU from each other; with heaps <= 1 GiB serial young pauses stay in the ms range.
    jvmOpts: strFromEnv(env, 'STRANGLER_JVM_OPTS', '-XX:+UseSerialGC'),
    javaBin: javaHome ? path.join(javaHome, 'bin', 'java') : 'java',
    mvnBin: strFromEnv(env, 'STRANGLER_MVN', 'mvn'),
    cdcEnv: {
      STRANGLER_CDC_DB_HOST: strFromEnv(env, 'STRANGLER_CDC_DB_HOST', '127.0.0.1'),
      STRANGLER_CDC_DB_PORT: strFromEnv(env, 'STRANGLER_CDC_DB_PORT', String(pgPort)),
      STRANGLER_CDC_DB_USER: strFromEnv(env, 'STRANGLER_CDC_DB_USER', 'postgres'),
      // Always set: an unset variable would leave the literal "${env:...}" in the connector config.
      // Empty by default: no secret lives in the repo, and trust auth on 127.0.0.1 ignores the value.
      STRANGLER_CDC_DB_PASSWORD: env.STRANGLER_CDC_DB_PASSWORD ?? '',
    },
    databases: ['legacy', 'user_service', 'strangler'],
    timeouts: { postgres: 30_000, broker: 90_000, connect: 120_000, prometheus: 60_000, stop: 30_000, maven: 600_000 },
  };
}

/** Where each generated file lives inside the stack dir. One place, so down/purge/status agree. */
export function stackPaths(s: StackSettings) {
  const d = s.stackDir;
  return {
    lib: path.join(d, 'lib'),
    plugins: path.join(d, 'plugins'),
    downloads: path.join(d, 'dl'),
    jarsMarker: path.join(d, 'lib', '.strangler-jars.json'),
    conf: path.join(d, 'conf'),
    log4j: path.join(d, 'conf', 'log4j2.properties'),
    serverProps: path.join(d, 'conf', 'server.properties'),
    connectProps: path.join(d, 'conf', 'connect-distributed.properties'),
    logs: path.join(d, 'logs'),
    run: path.join(d, 'run'),
    pgRoot: path.join(d, 'pg'),
    pgData: path.join(d, 'pg', 'data'),
    pgSocket: path.join(d, 'pg', 'sock'),
    pgLog: path.join(d, 'logs', 'postgres.log'),
    kafkaData: path.join(d, 'kafka', 'data'),
    brokerLog: path.join(d, 'logs', 'broker.log'),
    brokerPid: path.join(d, 'run', 'broker.pid'),
    connectLog: path.join(d, 'logs', 'connect.log'),
    connectPid: path.join(d, 'run', 'connect.pid'),
    mavenLog: path.join(d, 'logs', 'maven.log'),
    formatLog: path.join(d, 'logs', 'kafka-storage-format.log'),
    jestMarker: path.join(d, 'run', 'started-by-jest'),
    prometheusData: path.join(d, 'prometheus'),
    prometheusLog: path.join(d, 'logs', 'prometheus.log'),
    prometheusPid: path.join(d, 'run', 'prometheus.pid'),
  };
}

export type StackPaths = ReturnType<typeof stackPaths>;
