import type { Knex } from 'knex';

// The proxy's instances, each with a lease it renews (proxy/stages/instance-lease.ts). A hand-over of a
// context's writes proceeds only once every instance with a live lease has confirmed the hold, so an
// instance that cannot see the control plane is waited out rather than guessed about (proxy/README.md,
// "Several instances").
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE control.proxy_instances (
      instance_id uuid PRIMARY KEY,
      host text NOT NULL,
      pid integer NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      renewed_at timestamptz NOT NULL,
      -- The control plane's clock decides: an instance whose lease has lapsed here forwards no writes
      -- (it stops on its own clock earlier than this, see the lease's write horizon).
      lease_expires_at timestamptz NOT NULL,
      -- Per context, the stage version the instance acts on, every write it forwarded under an older
      -- version finished: {"profile": 7, ...}. A hold is confirmed by an instance once this reaches it.
      confirmed_versions jsonb NOT NULL DEFAULT '{}'::jsonb,
      -- Set by a hand-over that waited this instance's lapsed lease out: its lease can never be renewed,
      -- the instance must register afresh (and read the stages after registering).
      fenced_at timestamptz
    )`);
  await knex.raw('CREATE INDEX proxy_instances_by_expiry ON control.proxy_instances (lease_expires_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE control.proxy_instances');
}
