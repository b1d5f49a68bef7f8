import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LEGACY_USERS_PARTITIONS } from '../forward/forward-sync.worker';

// The worker creates the capture topic itself when it starts before Debezium has; both must create the
// same topic, or the forward sync would run with fewer partitions than it is sized for.
test('capture-topic-partitions-agree: the worker and the connector create the users topic alike', () => {
  const connector = JSON.parse(readFileSync(join(__dirname, 'legacy-users.json'), 'utf8')) as { config: Record<string, string> };
  expect(Number(connector.config['topic.creation.default.partitions'])).toBe(LEGACY_USERS_PARTITIONS);
});
