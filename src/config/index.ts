// nutcracker.yml: parse (yaml), validate as nutcracker 0.5.0 does, fill in its defaults,
// explain problems well, and write files back.
export * from './types.js'
export {parseConfig, analyzeConfig, type ParseOptions, type ConfigAnalysis, type ExtensionUse, type ListenHost} from './parse.js'
export {loadConfig, checkConfigFile, checkConfigText, syntaxLine, nutcrackerTestOutput, type CheckOptions, type ConfigCheck} from './check.js'
export {ConfigError, isConfigError, formatProblem, type ConfigProblem} from './problems.js'
export {DIRECTIVES, POOL_DEFAULTS, findDirective, type Directive} from './directives.js'
export {registerExtension, findExtension, listExtensions, ExtensionValueError, type ExtensionKey} from './extensions.js'
export {FALLBACK_SERVERS_KEY, fallbackServersOf} from './extension-keys/fallback-servers.js'
export {SENTINELS_KEY, sentinelsOf, parseHostPort, type SentinelAddress} from './extension-keys/sentinels.js'
export {HEALTH_CHECK_KEY, healthCheckOf} from './extension-keys/health-check.js'
export {CLUSTER_KEY, clusterSeedsOf, type ClusterSeed} from './extension-keys/cluster.js'
export {parseListen} from './listen.js'
export {parseServerEntry, formatServerEntry, KETAMA_DEFAULT_PORT} from './server-entry.js'
export {compareNutcracker, nutcrackerAtoi} from './nutcracker-text.js'
export {renderConfig, type RenderOptions} from './render.js'
export {ConfigEditor, editConfigFile, writeFileAtomic, type EditOptions, type EditResult, type ServerSpec} from './edit.js'

/** Where twlab commands look for nutcracker.yml without -c: nutcracker's own upstream default. */
export const DEFAULT_CONFIG_FILE = 'conf/nutcracker.yml'
export {listenerTlsOf, serverTlsOf, type ListenerTls, type ServerTls} from './extension-keys/tls.js'
export {REDIS_USER_KEY, redisUserOf} from './extension-keys/acl-user.js'
export {READ_FROM_KEY, REPLICA_MAX_LAG_KEY, READ_FROM_VALUES, DEFAULT_REPLICA_MAX_LAG, readFromOf, replicaMaxLagOf, type ReadFrom} from './extension-keys/read-from.js'
