// Errors a user can cause (bad config, unreachable host, busy port, missing binary). They are shown
// as one clear sentence and an exit code, never as a stack trace.
export class UserError extends Error {
  readonly exitCode: number
  readonly hint?: string

  constructor(message: string, options: {exitCode?: number; hint?: string; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'UserError'
    this.exitCode = options.exitCode ?? 1
    this.hint = options.hint
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError
}

/** Node's system errors (ECONNREFUSED, EADDRINUSE, ENOENT...) as one sentence about `what`. */
export function describeSystemError(error: unknown, what: string): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ECONNREFUSED': return `${what} refused the connection: is it running?`
    case 'ETIMEDOUT': return `${what} did not answer in time.`
    case 'EHOSTUNREACH':
    case 'ENOTFOUND': return `${what} cannot be reached: check the host name.`
    case 'EADDRINUSE': return `${what} is already in use: pick another port or stop what listens there.`
    case 'EACCES': return `${what}: permission denied.`
    case 'ENOENT': return `${what} does not exist.`
    default: return undefined
  }
}
