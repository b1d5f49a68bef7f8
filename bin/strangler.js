#!/usr/bin/env node
// Launcher for `npx strangler`: registers tsx's require hook and runs the TypeScript CLI as it is.
require('tsx/cjs/api').register();
require('./strangler.ts');
