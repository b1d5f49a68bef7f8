import type { Pool } from 'pg';
import { CONTEXTS, isStage, type Context, type Stage, type Stages } from './ownership-map';

/**
 * Reads the stages from the control plane's table (control.context_stages), which the proxy writes.
 * The sync reads them once per batch, so a flip takes effect at the next batch; the proxy's promotion
 * protocol drains the losing direction before it flips (see cdc/README.md).
 */
export async function readStages(control: Pool): Promise<Stages> {
  const { rows } = await control.query<{ context: string; stage: string }>('SELECT context, stage FROM control.context_stages');
  const stages: Partial<Record<Context, Stage>> = {};
  for (const row of rows) {
    if ((CONTEXTS as readonly string[]).includes(row.context) && isStage(row.stage)) stages[row.context as Context] = row.stage;
  }
  const missing = CONTEXTS.filter((context) => stages[context] === undefined);
  if (missing.length > 0) throw new Error(`control.context_stages has no valid stage for ${missing.join(', ')}`);
  return stages as Stages;
}

/** Sets a stage directly. The proxy's admin API is the operators' way (guards, audit); tests and the demo's setup use this. */
export async function setStage(control: Pool, context: Context, stage: Stage): Promise<void> {
  await control.query('UPDATE control.context_stages SET stage = $2, version = version + 1, changed_at = now() WHERE context = $1', [context, stage]);
}
