#!/usr/bin/env node
// twproxy's bundle: the proxy's entry (dist/src/proxy/cli/cli.js) with everything it imports, yaml
// included, in one chunk (esbuild), and what it loads only when needed (workers, reload, metrics,
// the cluster and Sentinel backends with ioredis) in chunks of their own. Resolving, reading and
// compiling some hundred module files (yaml alone is seventy) costs a proxy that would otherwise
// need none of that machinery several MiB of resident memory for its whole life; one file costs
// a fraction. bin/twproxy.js starts from it when it is newer than the compiled entry, otherwise
// (no esbuild, or only tsc ran since) from dist/src. The chunks sit three folders below the
// package root, like dist/src/proxy/*.js. modules.json lists the modules in each chunk, so a test
// can tell which modules a running proxy loaded.
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {esmBundleOptions} from './esm-bundle.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = join(root, 'dist/bundle/twproxy')

export async function bundleTwproxy() {
  rmSync(outdir, {recursive: true, force: true})
  let esbuild
  try {
    esbuild = await import('esbuild')
  } catch {
    console.error('esbuild is not installed: twproxy runs unbundled (more memory).')
    return
  }
  const result = await esbuild.build({
    entryPoints: {cli: join(root, 'dist/src/proxy/cli/cli.js')},
    outdir,
    ...esmBundleOptions('__twproxyRequire'),
    logLevel: 'warning',
    metafile: true,
  })
  // a library's files are named from node_modules/ on, wherever that folder really is
  const named = (input) => input.replace(/^.*?node_modules\//, 'node_modules/')
  const modules = Object.fromEntries(Object.entries(result.metafile.outputs).map(([chunk, output]) => [chunk.split('/').pop(), Object.keys(output.inputs).map(named)]))
  writeFileSync(join(outdir, 'modules.json'), JSON.stringify(modules, null, 1) + '\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleTwproxy()
