import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './log';
import { runLogged, tail } from './proc';
import { type StackSettings, stackPaths } from './settings';

export interface JarVersions {
  kafka: string;
  debezium: string;
  log4j2: string;
}

interface JarsMarker {
  pomSha256: string;
  versions: JarVersions;
  fetchedAt: string;
}

function pomProperty(pom: string, name: string): string {
  const m = new RegExp(`<${name.replace(/\./g, '\\.')}>([^<]+)</`).exec(pom);
  if (!m?.[1]) throw new Error(`stack/pom.xml has no <${name}> property`);
  return m[1].trim();
}

export function pomVersions(s: StackSettings): JarVersions {
  const pom = fs.readFileSync(s.pomFile, 'utf8');
  return { kafka: pomProperty(pom, 'kafka.version'), debezium: pomProperty(pom, 'debezium.version'), log4j2: pomProperty(pom, 'log4j2.version') };
}

function pomHash(s: StackSettings): string {
  return crypto.createHash('sha256').update(fs.readFileSync(s.pomFile)).digest('hex');
}

function readMarker(file: string): JarsMarker | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as JarsMarker;
  } catch {
    return undefined;
  }
}

/** Versions of the jars currently in .stack/lib, if they were fetched completely from the current pom. */
export function installedJars(s: StackSettings): JarVersions | undefined {
  const p = stackPaths(s);
  const marker = readMarker(p.jarsMarker);
  if (!marker || marker.pomSha256 !== pomHash(s)) return undefined;
  if (!fs.existsSync(path.join(p.plugins, 'debezium-connector-postgres'))) return undefined;
  return marker.versions;
}

/**
 * Makes sure .stack/lib and .stack/plugins hold exactly the jars stack/pom.xml pins.
 * The marker is keyed by the pom's hash, so any version bump in the pom triggers a clean re-fetch,
 * and it is written last, so an interrupted fetch is retried on the next run.
 */
export async function ensureJars(s: StackSettings, log: Logger): Promise<JarVersions> {
  const have = installedJars(s);
  if (have) {
    log.debug({ ...have }, 'jars up to date');
    return have;
  }
  const p = stackPaths(s);
  const versions = pomVersions(s);
  log.info({ ...versions, log: p.mavenLog }, 'fetching Kafka and Debezium jars with Maven');
  const started = Date.now();
  for (const dir of [p.lib, p.plugins, p.downloads]) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(p.logs, { recursive: true });
  const code = await runLogged(
    s.mvnBin,
    ['-B', '-ntp', '-f', s.pomFile, 'generate-resources', `-Dstack.dir=${s.stackDir}`],
    { logFile: p.mavenLog, timeoutMs: s.timeouts.maven, cwd: path.dirname(s.pomFile) },
  ).catch((err: Error) => {
    throw new Error(`Maven could not be run (${err.message}); is 'mvn' installed? Log: ${p.mavenLog}`);
  });
  if (code !== 0) {
    throw new Error(`Maven failed to fetch the stack jars (exit ${code}); see ${p.mavenLog}\n${tail(p.mavenLog, 15)}`);
  }
  if (!fs.existsSync(path.join(p.plugins, 'debezium-connector-postgres'))) {
    throw new Error(`Maven finished but the Debezium plugin is missing from ${p.plugins}; see ${p.mavenLog}`);
  }
  const marker: JarsMarker = { pomSha256: pomHash(s), versions, fetchedAt: new Date().toISOString() };
  fs.writeFileSync(p.jarsMarker, JSON.stringify(marker, null, 2) + '\n');
  log.info({ seconds: ((Date.now() - started) / 1000).toFixed(1) }, 'jars ready');
  return versions;
}
