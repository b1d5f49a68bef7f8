import type { Database } from '../platform/unit-of-work';

/** What the service hands the identity context: its database, its clock and the bcrypt cost for new hashes. */
export interface IdentityDependencies {
  db: Database;
  clock: () => Date;
  bcryptCost: number;
}
