/**
 * The end of the walk's proof that nothing acknowledged was lost: each user the clients wrote is read from
 * legacy and from the user-service directly (not through the proxy, which would answer from one side only)
 * and compared with what the clients were told last.
 */
import { CONTEXTS, differencesFrom, RESOURCE_OF, type ContextName, type SideState, type UserExpectation, type WriteLedger } from './write-ledger';

export interface Side {
  name: string;
  baseUrl: string;
}

export interface BothSidesReport {
  users: number;
  differences: string[];
}

async function readSide(side: Side, expectation: UserExpectation): Promise<SideState> {
  const state: Partial<Record<ContextName, Record<string, unknown> | null>> = {};
  const contexts = expectation.erased ? CONTEXTS : CONTEXTS.filter((c) => expectation.fields[c] !== undefined);
  for (const context of contexts) {
    const res = await fetch(`${side.baseUrl}/api/users/${expectation.userId}/${RESOURCE_OF[context]}`, { signal: AbortSignal.timeout(10_000) });
    if (res.status === 404) state[context] = null;
    else if (res.ok) state[context] = (await res.json()) as Record<string, unknown>;
    else throw new Error(`${side.name} answered ${res.status} to GET /api/users/${expectation.userId}/${RESOURCE_OF[context]}`);
  }
  return state;
}

export async function checkBothSides(ledger: WriteLedger, sides: readonly Side[], onProgress?: (done: number, total: number) => void, concurrency = 8): Promise<BothSidesReport> {
  const expectations = ledger.expectations();
  const differences: string[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < expectations.length) {
      const expectation = expectations[next++]!;
      for (const side of sides) differences.push(...differencesFrom(expectation, await readSide(side, expectation), side.name));
      onProgress?.(++done, expectations.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { users: expectations.length, differences };
}
