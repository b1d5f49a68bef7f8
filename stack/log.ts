import pino, { type Logger } from 'pino';

export type { Logger };

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * A pino logger for the stack that writes one readable line per record to stderr.
 * pino-pretty is not a dependency, and raw JSON is hard to follow while a stack boots,
 * so the destination renders `time level msg key=value...` itself; the records stay structured
 * for callers that pass their own pino logger instead.
 */
export function createStackLogger(level: string = process.env.STRANGLER_LOG_LEVEL ?? 'info'): Logger {
  const destination = {
    write(line: string): void {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        process.stderr.write(line);
        return;
      }
      const { time, level: lvl, msg, name, ...rest } = rec;
      const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
      const lv = LEVEL_NAMES[typeof lvl === 'number' ? lvl : 30] ?? String(lvl);
      const extras = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      process.stderr.write(`${t} ${typeof name === 'string' ? name : 'stack'} ${lv.padEnd(5)} ${String(msg ?? '')}${extras ? ' ' + extras : ''}\n`);
    },
  };
  // No base bindings: `pid` in a record then always means the component's pid, not ours.
  return pino({ name: 'stack', level, base: undefined }, destination);
}
