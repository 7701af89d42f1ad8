#!/usr/bin/env node
// twproxy: a drop-in for the nutcracker binary. Same flags, same nutcracker.yml, same stats.
import {main} from '../dist/src/proxy/cli/cli.js'

process.exitCode = await main(process.argv.slice(2))
