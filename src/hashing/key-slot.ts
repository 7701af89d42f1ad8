// Redis Cluster key slots: CRC-16/XMODEM of the key (or of its {hash tag}) modulo CLUSTER_SLOTS (16384).
import {crc16Xmodem} from './crc16.js'
import {Utf8Scratch} from './utf8-scratch.js'

export const CLUSTER_SLOTS = 16384
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const scratch = new Utf8Scratch()

/**
 * The slot of key[start, end). Redis' rule: if the key has a "{" and a "}" after it with at least
 * one byte between them, only those bytes are hashed ("{user1000}.following" and
 * "{user1000}.followers" share a slot; "foo{}{bar}" hashes the whole key).
 */
export function keySlotOfRange(key: Uint8Array, start: number, end: number): number {
  let open = -1
  for (let i = start; i < end; i++) {
    if (key[i] === OPEN_BRACE) {
      open = i
      break
    }
  }
  if (open >= 0) {
    for (let i = open + 1; i < end; i++) {
      if (key[i] === CLOSE_BRACE) {
        if (i > open + 1) return crc16Xmodem(key, open + 1, i) & (CLUSTER_SLOTS - 1)
        break
      }
    }
  }
  return crc16Xmodem(key, start, end) & (CLUSTER_SLOTS - 1)
}

/** The Redis Cluster slot of a key (a string is hashed as its UTF-8 bytes). */
export function keySlot(key: Uint8Array | string): number {
  if (typeof key === 'string') {
    const bytes = scratch.encode(key)
    return keySlotOfRange(bytes, 0, scratch.length)
  }
  return keySlotOfRange(key, 0, key.length)
}
