// How the tools reach live data. Commands and src/keys import targets from here.
export type {Target, TargetNode} from './types.js'
export {pickPool, PoolTarget, type PoolTargetOptions} from './pool.js'
export {openTarget, resolveTarget, type TargetFlags} from './resolve.js'
export {checkReachable} from './reachable.js'
// the key slot travels with the targets so src/keys need not reach into src/hashing itself
export {keySlot} from '../hashing/index.js'
