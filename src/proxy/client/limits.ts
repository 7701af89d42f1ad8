// twproxy's memory bounds (nutcracker has none of these). Each can be set by a long flag or an
// environment variable; the client that goes over a limit is the one that is closed.

export interface ClientLimits {
  /** a single request larger than this closes the client (bytes) */
  maxRequestBytes: number
  /** requests a client may have in flight before the proxy stops reading from it */
  maxPipeline: number
  /** replies waiting to be written to a client that does not read; over this it is closed (bytes) */
  maxOutputBytes: number
  /** a client idle this long is closed (msec, 0: never) */
  idleTimeout: number
  /** accepted connections over this many are closed at once (0: no limit) */
  maxClients: number
}

export const DEFAULT_LIMITS: ClientLimits = {
  maxRequestBytes: 512 * 1024 * 1024,
  maxPipeline: 4096,
  maxOutputBytes: 256 * 1024 * 1024,
  idleTimeout: 0,
  maxClients: 0,
}

/** The flags and environment variables that set each limit. */
export const LIMIT_OPTIONS: Array<{flag: string; env: string; key: keyof ClientLimits; help: string}> = [
  {flag: 'max-request-bytes', env: 'TWPROXY_MAX_REQUEST_BYTES', key: 'maxRequestBytes', help: 'close a client whose request is larger (default: 536870912)'},
  {flag: 'max-pipeline', env: 'TWPROXY_MAX_PIPELINE', key: 'maxPipeline', help: 'stop reading a client with this many requests in flight (default: 4096)'},
  {flag: 'max-output-bytes', env: 'TWPROXY_MAX_OUTPUT_BYTES', key: 'maxOutputBytes', help: 'close a client with more unread reply bytes (default: 268435456)'},
  {flag: 'client-idle-timeout', env: 'TWPROXY_CLIENT_IDLE_TIMEOUT', key: 'idleTimeout', help: 'close a client idle this many msec (default: 0, never)'},
  {flag: 'max-clients', env: 'TWPROXY_MAX_CLIENTS', key: 'maxClients', help: 'close accepted connections over this many (default: 0, no limit)'},
]
