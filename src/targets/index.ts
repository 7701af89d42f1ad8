// How the tools reach live data: pools and clusters as Targets. A lab as a Target, and choosing
// the target from a command's flags, live in src/lab/target.ts (a lab is built on these).
export type {Target, TargetNode} from './types.js'
export {PoolTarget, type PoolTargetOptions} from './pool.js'
export {choosePool, pickPool, readPoolConfig} from './pool-config.js'
export {ClusterTarget} from './cluster.js'
export {poolBackendTarget} from './pool-backend.js'
export {checkReachable} from './reachable.js'
