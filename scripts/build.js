#!/usr/bin/env node
// `npm run build`: TypeScript into dist/, then oclif.manifest.json (scripts/manifest.js) so the
// command list always matches the built commands, then the bundle bin/run.js starts commands
// from (scripts/bundle.js) and the one bin/twproxy.js starts from (scripts/bundle-twproxy.js).
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

export function build() {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {cwd: root, stdio: 'inherit'})
  execFileSync(process.execPath, ['scripts/manifest.js'], {cwd: root, stdio: 'inherit'})
  execFileSync(process.execPath, ['scripts/bundle.js'], {cwd: root, stdio: 'inherit'})
  execFileSync(process.execPath, ['scripts/bundle-twproxy.js'], {cwd: root, stdio: 'inherit'})
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build()
