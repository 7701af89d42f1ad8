// The RDB reader's public face: read records from a byte source, decode a value, build a RESTORE
// payload from a value's own bytes.
export {RDB_TYPE, RDB_OPCODE, VALKEY_RDB_VERSION, VALKEY_TYPE_HASH_2, kindOfType, type RdbFlavor, type ValueKind} from './constants.js'
export {crc64, Crc64, writeCrc64} from './crc64.js'
export {decodeValue, type DecodeOptions, type HashEntry, type RdbValue, type ZsetEntry} from './decode-value.js'
export type {StreamConsumer, StreamEntry, StreamGroup, StreamPending, StreamValue} from './decode-stream.js'
export {DUMP_FOOTER_BYTES, restorePayload, splitDumpPayload} from './dump-payload.js'
export {sameMembers} from './member-digest.js'
export {olderEncoding} from './older-encoding.js'
export {RdbError} from './errors.js'
export {RdbParser, moduleName, type RdbParserOptions} from './parser.js'
export {rdbFileSource, readRdb, readRdbBatches, type ByteSource} from './reader.js'
export type * from './records.js'
