/**
 * Reads the Prometheus text exposition format (what every process serves on /metrics) into samples, so the
 * demo can show live figures without a Prometheus server. Only what prom-client writes is needed: comments,
 * `name{label="value",...} number` lines, escaped quotes, backslashes and newlines inside label values.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+\d+)?$/;

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

function parseLabels(block: string): Record<string, string> {
  const labels: Record<string, string> = {};
  // Between the braces: name="value" pairs separated by commas; a value may hold escaped quotes and commas.
  let at = 1;
  const end = block.length - 1;
  while (at < end) {
    const eq = block.indexOf('=', at);
    if (eq < 0) break;
    const name = block.slice(at, eq).replace(/^[\s,]+/, '').trim();
    let cursor = eq + 2; // past ="
    let value = '';
    while (cursor < end && block[cursor] !== '"') {
      if (block[cursor] === '\\' && cursor + 1 < end) {
        const escaped = block[cursor + 1];
        value += escaped === 'n' ? '\n' : escaped;
        cursor += 2;
      } else {
        value += block[cursor];
        cursor += 1;
      }
    }
    labels[name] = value;
    at = cursor + 1;
  }
  return labels;
}

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) continue;
    samples.push({ name: match[1]!, labels: match[2] ? parseLabels(match[2]) : {}, value: parseValue(match[3]!) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include every pair of `where`. */
export function sumOf(samples: readonly Sample[], name: string, where: Readonly<Record<string, string>> = {}): number {
  let total = 0;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(where).every(([label, value]) => sample.labels[label] === value)) total += sample.value;
  }
  return total;
}

/** Sums of the samples named `name`, grouped by the value of one label. */
export function sumBy(samples: readonly Sample[], name: string, label: string, keep: (sample: Sample) => boolean = () => true): Map<string, number> {
  const totals = new Map<string, number>();
  for (const sample of samples) {
    if (sample.name !== name || !keep(sample)) continue;
    const key = sample.labels[label] ?? '';
    totals.set(key, (totals.get(key) ?? 0) + sample.value);
  }
  return totals;
}
