#!/usr/bin/env node
// `npm run up`: the newcomer's first command. Makes sure redis-server, redis-sentinel and
// redis-cli are installed (apt-get when root on Debian/Ubuntu, otherwise says what to install),
// then runs `twlab up` with any extra arguments: `npm run up -- --cluster`.
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {ensureSystemPrograms} from './system-deps.js'

ensureSystemPrograms({programs: ['redis-server', 'redis-sentinel', 'redis-cli']})
const twlab = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const result = spawnSync(process.execPath, [twlab, 'up', ...process.argv.slice(2)], {stdio: 'inherit'})
process.exit(result.status ?? 1)
