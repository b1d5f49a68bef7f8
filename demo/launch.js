#!/usr/bin/env node
// `npm run demo` must work on a fresh checkout, before node_modules exists, so this launcher is plain
// JavaScript: it installs the locked packages when they are missing or stale, then hands over to the
// TypeScript demo with the same arguments.
const { spawnSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs;

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (stale) {
  process.stderr.write('demo: installing npm packages (npm ci)\n');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
run(join(root, 'node_modules', '.bin', 'tsx'), [join(__dirname, 'main.ts'), ...process.argv.slice(2)]);
