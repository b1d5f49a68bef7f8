// Integration tests wait on real processes (Debezium snapshots, consumer group joins); jest ignores
// `testTimeout` inside a project entry, so the integration project sets it here.
jest.setTimeout(120_000);
