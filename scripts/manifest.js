#!/usr/bin/env node
// Writes oclif.manifest.json after a build, so `twlab` reads its command list from one file
// instead of importing every command module at each start. This is what `oclif manifest`
// does, done with @oclif/core alone to keep the oclif dev CLI out of our dependencies.
import {Plugin} from '@oclif/core'
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true})
await plugin.load()
writeFileSync(new URL('../oclif.manifest.json', import.meta.url), JSON.stringify(plugin.manifest, null, 2) + '\n')
console.error(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
