// What a server connection needs to find reply boundaries: the redis or the memcache scanner.

export interface ReplyScanner {
  /** bytes from `start` needed before scanning again, after an INCOMPLETE */
  need: number
  /** end offset of the reply at buf[start, end), or INCOMPLETE (-1) / INVALID (-2) */
  scan(buf: Uint8Array, start: number, end: number): number
}
