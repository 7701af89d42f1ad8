// nutcracker.yml: parse (yaml), validate as nutcracker 0.5.0 does, fill in its defaults,
// explain problems well, and write files back.
export * from './types.js'
export {parseConfig, analyzeConfig, type ParseOptions, type ConfigAnalysis, type ExtensionUse, type ListenHost} from './parse.js'
export {loadConfig, checkConfigFile, checkConfigText, syntaxLine, nutcrackerTestOutput, type CheckOptions, type ConfigCheck} from './check.js'
export {ConfigError, isConfigError, formatProblem, type ConfigProblem} from './problems.js'
export {DIRECTIVES, POOL_DEFAULTS, findDirective, type Directive} from './directives.js'
export {registerExtension, findExtension, listExtensions, ExtensionValueError, type ExtensionKey} from './extensions.js'
export * from './extension-keys/index.js'
export {parseListen} from './listen.js'
export {parseServerEntry, formatServerEntry, KETAMA_DEFAULT_PORT} from './server-entry.js'
export {compareNutcracker, nutcrackerAtoi} from './nutcracker-text.js'
export {renderConfig, type RenderOptions} from './render.js'
export {ConfigEditor, editConfigFile, writeFileAtomic, type EditOptions, type EditResult, type ServerSpec} from './edit.js'

/** Where twlab commands look for nutcracker.yml without -c: nutcracker's own upstream default. */
export const DEFAULT_CONFIG_FILE = 'conf/nutcracker.yml'
