// Prints test/hashing/nutcracker-vectors.ts from the real nutcracker (see nutcracker-oracle.ts):
//   npm run build && node dist/test/hashing/oracle/print-vectors.js > test/hashing/nutcracker-vectors.ts
import {VECTOR_KEYS} from '../vector-keys.js'
import {nutcrackerHashes, unavailableReason} from './nutcracker-oracle.js'

const reason = unavailableReason()
if (reason !== undefined) {
  console.error(`Cannot ask nutcracker for hash values: ${reason}.`)
  process.exit(1)
}
const keys = VECTOR_KEYS.map((hex) => Buffer.from(hex, 'hex'))
const hashes = nutcrackerHashes(keys)
const lines = [
  '// Generated from the real nutcracker 0.5.0 (x86-64) by test/hashing/oracle/print-vectors.ts:',
  '// for each key of VECTOR_KEYS (hex), the 12 hash values in HASH_NAMES order. Do not edit by hand.',
  'export const NUTCRACKER_VECTORS: ReadonlyArray<readonly [string, readonly number[]]> = [',
  ...keys.map((key, i) => `  ['${key.toString('hex')}', [${hashes[i]!.join(', ')}]],`),
  ']',
  '',
]
process.stdout.write(lines.join('\n'))
