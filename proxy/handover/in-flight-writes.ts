import type { StageTable } from '../stages/stages';

/**
 * The writes this instance has forwarded and not yet seen answered, per context and the stage version they
 * were forwarded under. An instance confirms a context's version (and with it a write hold) only once no
 * write forwarded under an older version is still on its way: a hold that every instance has confirmed means
 * no write can still reach the side that is about to lose the context's writes.
 */
export class InFlightWrites {
  private readonly byContext = new Map<string, Map<number, number>>();

  begin(context: string, version: number): void {
    let versions = this.byContext.get(context);
    if (!versions) this.byContext.set(context, (versions = new Map()));
    versions.set(version, (versions.get(version) ?? 0) + 1);
  }

  end(context: string, version: number): void {
    const versions = this.byContext.get(context);
    const left = (versions?.get(version) ?? 0) - 1;
    if (left > 0) versions!.set(version, left);
    else versions?.delete(version);
  }

  count(context: string): number {
    let total = 0;
    for (const n of this.byContext.get(context)?.values() ?? []) total += n;
    return total;
  }

  /** Per context: the version in force, or the oldest version a write still in flight was forwarded under. */
  confirmedVersions(table: StageTable | undefined): Record<string, number> {
    const confirmed: Record<string, number> = {};
    if (!table) return confirmed;
    for (const [context, stage] of Object.entries(table)) {
      let version = stage.version;
      for (const started of this.byContext.get(context)?.keys() ?? []) version = Math.min(version, started);
      confirmed[context] = version;
    }
    return confirmed;
  }
}
