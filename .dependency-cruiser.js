// The architecture's boundaries, checked on every `npm test` (npm run lint:boundaries).
const contexts = '(identity|profile|preferences)';

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'A context\'s domain/ is plain TypeScript: no web framework, database, broker, logger or metrics.',
      severity: 'error',
      from: { path: `^user-service/${contexts}/domain/` },
      to: { path: 'node_modules/(@types/)?(express|pg|pg-[a-z-]+|knex|kafkajs|pino|pino-http|prom-client|http-proxy-middleware|bcrypt)/' },
    },
    {
      name: 'domain-stays-in-its-context',
      comment: 'A domain may use its own context\'s domain and the pure failure values, nothing else of ours.',
      severity: 'error',
      from: { path: `^user-service/${contexts}/domain/` },
      to: { path: '^(user-service|legacy|cdc|proxy|migrations|stack)/', pathNot: ['^user-service/$1/domain/', '^user-service/platform/failure\\.ts$'] },
    },
    {
      name: 'contexts-do-not-import-each-other',
      comment: 'No context imports another context\'s code; processes spanning contexts live outside them (registration/).',
      severity: 'error',
      from: { path: `^user-service/${contexts}/` },
      to: { path: `^user-service/${contexts}/`, pathNot: '^user-service/$1/' },
    },
    {
      name: 'components-share-schemas-not-code',
      comment: 'legacy, user-service, proxy and cdc talk through HTTP, Kafka and the schemas/ folder, never through each other\'s code.',
      severity: 'error',
      // Tests and their harnesses (a component's test/ folder) may start other components to test against them.
      from: { path: '^(legacy|user-service|proxy)/', pathNot: ['\\.test\\.ts$', '/test/'] },
      to: { path: '^(legacy|user-service|proxy|cdc)/', pathNot: '^$1/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '(^|/)\\.stack/' },
  },
};
