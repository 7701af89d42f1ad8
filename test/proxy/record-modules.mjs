// Preloaded with --import by the proxy's module test: records every module file the process
// resolves (ES modules, through a resolve hook) and, when it exits, every public built-in module
// it loaded (node:cluster...), one per line, in the file named by TWPROXY_MODULES.
import {appendFileSync} from 'node:fs'
import {register} from 'node:module'

const out = process.env.TWPROXY_MODULES
register('data:text/javascript,' + encodeURIComponent(`
import {appendFileSync} from 'node:fs'
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  if (result.url.startsWith('file:')) appendFileSync(${JSON.stringify(out)}, result.url + '\\n')
  return result
}`))
process.on('exit', () => {
  const builtins = process.moduleLoadList
    .filter((entry) => entry.startsWith('NativeModule ') && !entry.startsWith('NativeModule internal/'))
    .map((entry) => `node:${entry.slice('NativeModule '.length)}`)
  appendFileSync(out, builtins.join('\n') + '\n')
})
