#!/usr/bin/env node
// twproxy: a drop-in for the nutcracker binary. Same flags, same nutcracker.yml, same stats.
// It starts from its bundle (scripts/bundle-twproxy.js: one file instead of a hundred, several MiB
// less resident) when that is newer than the compiled entry, otherwise from dist/src.
import {statSync} from 'node:fs'

const bundled = new URL('../dist/bundle/twproxy/cli.js', import.meta.url)
const compiled = new URL('../dist/src/proxy/cli/cli.js', import.meta.url)

function modified(url) {
  return statSync(url, {throwIfNoEntry: false})?.mtimeMs ?? -1
}

const {main} = await import(modified(bundled) >= modified(compiled) ? bundled : compiled)
process.exitCode = await main(process.argv.slice(2))
