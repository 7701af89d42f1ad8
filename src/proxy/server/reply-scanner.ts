// What a server connection needs to find reply boundaries: the redis or the memcache scanner.

export interface ReplyScanner {
  /**
   * Goes on scanning the stream: buf[start, end) are its next bytes. Returns the offset in buf
   * where the reply in progress ends, or INCOMPLETE (-1: every byte taken, the reply goes on) /
   * INVALID (-2).
   */
  scan(buf: Uint8Array, start: number, end: number): number
  /** forgets a reply in progress */
  reset(): void
}
