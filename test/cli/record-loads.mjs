// Preloaded with --import by the start-up test: records every ES module and CommonJS file the
// process loads, one per line, in the file named by TWLAB_LOADS.
import {appendFileSync} from 'node:fs'
import Module from 'node:module'
import {register} from 'node:module'

const out = process.env.TWLAB_LOADS
register('data:text/javascript,' + encodeURIComponent(`
import {appendFileSync} from 'node:fs'
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  if (result.url.startsWith('file:')) appendFileSync(${JSON.stringify(out)}, result.url + '\\n')
  return result
}`))
const load = Module._load
Module._load = function (request, parent, isMain) {
  try {
    appendFileSync(out, `${Module._resolveFilename(request, parent, isMain)}\n`)
  } catch {}
  return load.apply(this, arguments)
}
