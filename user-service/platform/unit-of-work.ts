import type { Pool, QueryResultRow } from 'pg';
import { Failure } from './failure';

/**
 * What a context's repository may do inside a transaction: run SQL as the context's own database role.
 * That role can reach only the context's schema, so a query that strays into another context's tables
 * fails with "permission denied" instead of quietly coupling the two.
 */
export interface ContextSql {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
}

export interface UnitOfWork {
  as(role: string): ContextSql;
}

const ROLE_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * One PostgreSQL transaction that several contexts may take part in (registration writes an account, a
 * profile and preferences atomically). The pool logs in as a role with no privileges of its own
 * (NOINHERIT), a member of each context role; every statement runs after SET LOCAL ROLE to the role of
 * the context issuing it.
 */
export class Database {
  constructor(private readonly pool: Pool) {}

  async transaction<T>(work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let currentRole: string | undefined;
    const uow: UnitOfWork = {
      as: (role) => {
        if (!ROLE_NAME.test(role)) throw new Error(`not a role name: ${role}`);
        return {
          query: async <R extends QueryResultRow>(sql: string, params?: unknown[]) => {
            if (currentRole !== role) {
              await client.query(`SET LOCAL ROLE ${role}`);
              currentRole = role;
            }
            return (await client.query<R>(sql, params)).rows;
          },
        };
      },
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(uow);
      // An expected failure found halfway (a taken email after the account row was locked) must leave
      // nothing behind, exactly like an exception.
      await client.query(result instanceof Failure ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => { broken = true; });
      throw error;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it rather than pool it.
      client.release(broken);
    }
  }

  /** A read outside any write, still under the context's role. */
  read<T>(role: string, work: (sql: ContextSql) => Promise<T>): Promise<T> {
    return this.transaction((uow) => work(uow.as(role)));
  }
}
