import express from 'express';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import pino from 'pino';
import { SourceUnavailable } from '../forward/source-position';
import { syncApiRouter, type SyncApiDependencies } from './sync-api';

// The read-your-writes routes' edges (validation, error mapping, shapes) against scripted dependencies;
// forward/read-your-writes.int.test.ts runs them against the real stack.
describe('sync API: read-your-writes routes', () => {
  let server: Server;
  let base: string;
  let position: () => Promise<bigint>;
  const asked: { usrId: string; lsn: bigint }[] = [];

  beforeAll(async () => {
    const deps: SyncApiDependencies = {
      userService: {} as Pool,
      legacy: {} as Pool,
      token: undefined,
      drain: async () => { throw new Error('not in this test'); },
      forwardSourcePosition: () => position(),
      forwardCaughtUp: async (usrId, lsn) => {
        asked.push({ usrId, lsn });
        return { usrId: Number(usrId), lsn: '16/B374D848', caughtUp: true, partition: 2, appliedLsn: '16/B374D900', idleHorizonLsn: null };
      },
      logger: pino({ level: 'silent' }),
    };
    const app = express();
    app.use(syncApiRouter(deps));
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, body: (await response.json()) as any };
  };

  test('source-position answers pg_lsn text', async () => {
    position = async () => (0x16n << 32n) | 0xb374d848n;
    expect(await get('/sync/forward/source-position')).toEqual({ status: 200, body: { lsn: '16/B374D848' } });
  });

  test('legacy-unreadable-is-a-503-not-a-500', async () => {
    position = async () => { throw new SourceUnavailable('legacy\'s WAL position was not read within 500 ms'); };
    expect(await get('/sync/forward/source-position')).toEqual({
      status: 503,
      body: { error: { code: 'CDC.SOURCE_UNAVAILABLE', message: 'legacy\'s WAL position was not read within 500 ms' } },
    });
    position = async () => { throw new Error('a bug'); };
    expect((await get('/sync/forward/source-position')).body.error.code).toBe('CDC.INTERNAL');
  });

  test('caught-up passes the user and the position on, in either case of hex', async () => {
    const { status, body } = await get('/sync/forward/users/42/caught-up?lsn=16/b374d848');
    expect(status).toBe(200);
    expect(body).toEqual({ usrId: 42, lsn: '16/B374D848', caughtUp: true, partition: 2, appliedLsn: '16/B374D900', idleHorizonLsn: null });
    expect(asked.at(-1)).toEqual({ usrId: '42', lsn: (0x16n << 32n) | 0xb374d848n });
  });

  test.each(['', '?lsn=', '?lsn=16', '?lsn=16/B374D848/1', '?lsn=123456789/0', '?lsn=1/2&lsn=1/3', '?lsn=0x1/2', '?lsn=%201/2'])('caught-up refuses a position that is not one pg_lsn: %j', async (query) => {
    const before = asked.length;
    const { status, body } = await get(`/sync/forward/users/42/caught-up${query}`);
    expect({ status, code: body.error.code }).toEqual({ status: 400, code: 'CDC.INVALID_REQUEST' });
    expect(asked.length).toBe(before);
  });

  test.each(['0', '-1', 'abc', '1234567890123456789', '01'])('caught-up refuses user id %j as the other user routes do', async (id) => {
    const { status, body } = await get(`/sync/forward/users/${id}/caught-up?lsn=1/2`);
    expect({ status, code: body.error.code }).toEqual({ status: 400, code: 'CDC.INVALID_USER_ID' });
  });
});
