// Every twlab extension key, registered by importing this module. The proxy imports extension
// keys from here rather than from src/config's index, which would also load the YAML writer
// and the file editor that a running proxy never needs.
export {FALLBACK_SERVERS_KEY, fallbackServersOf} from './fallback-servers.js'
export {SENTINELS_KEY, sentinelsOf, parseHostPort, type SentinelAddress} from './sentinels.js'
export {HEALTH_CHECK_KEY, healthCheckOf} from './health-check.js'
export {CLUSTER_KEY, clusterSeedsOf, type ClusterSeed} from './cluster.js'
export {COMMAND_KEYS_KEY, commandKeysOf, type CommandKeys} from './command-keys.js'
export {listenerTlsOf, serverTlsOf, type ListenerTls, type ServerTls} from './tls.js'
export {REDIS_USER_KEY, redisUserOf} from './acl-user.js'
export {READ_FROM_KEY, REPLICA_MAX_LAG_KEY, READ_FROM_VALUES, DEFAULT_REPLICA_MAX_LAG, readFromOf, replicaMaxLagOf, type ReadFrom} from './read-from.js'
