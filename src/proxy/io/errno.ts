// The error texts nutcracker puts in the replies it generates: `-ERR <strerror(errno)>` (redis)
// or `SERVER_ERROR <strerror(errno)>` (memcache). These are glibc's strerror texts on Linux.

export const ETIMEDOUT = 'Connection timed out'
export const ECONNREFUSED = 'Connection refused'
export const ECONNRESET = 'Connection reset by peer'
export const EHOSTDOWN = 'Host is down'
export const EINVAL = 'Invalid argument'
export const EPIPE = 'Broken pipe'
/** errno 0: the server closed the connection with requests pending */
export const UNKNOWN = 'unknown'

const BY_CODE: Record<string, string> = {
  ETIMEDOUT, ECONNREFUSED, ECONNRESET, EHOSTDOWN, EINVAL, EPIPE,
  ENOTFOUND: EHOSTDOWN,
  EAI_AGAIN: EHOSTDOWN,
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ECONNABORTED: 'Software caused connection abort',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EISDIR: 'Is a directory',
}

/** strerror text for a Node system error. */
export function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return (code && BY_CODE[code]) || UNKNOWN
}
