// twemproxy's key placement and Redis Cluster key slots. Pure functions over bytes, no I/O, and
// nothing else of ours imported: the proxy's hot path and the tools both build on this.
export {HASH_NAMES, DISTRIBUTIONS, type HashName, type Distribution, type HashFunction} from './names.js'
export {HASH_FUNCTIONS, hashKey} from './functions.js'
export {hashTagRange, HashTagRange} from './hash-tag.js'
export {buildKetamaContinuum, ketamaDispatch, ketamaPointsPerServer, type KetamaContinuum, type WeightedServer} from './ketama.js'
export {buildModulaTable, modulaDispatch, type ModulaTable} from './modula.js'
export {KeyPlacer, type PlacementPool, type KeyPlacerOptions} from './key-placer.js'
export {keySlot, keySlotOfRange, CLUSTER_SLOTS} from './key-slot.js'
export {crc16Xmodem} from './crc16.js'
export {md5Words} from './md5.js'
