// Ctrl-C (or SIGTERM) during long work: the first one asks the work to stop at a safe point
// (keys or slots in flight finish, the checkpoint or journal is saved, the command exits 130
// resumable); a second one quits at once. Every long command stops the same way. A bar on screen
// is ended on its own line either way (terminal-line.ts), so the message never lands mid-bar.

export interface GracefulStop {
  /** aborted by the first Ctrl-C; long work checks it between units */
  readonly signal: AbortSignal
  stopRequested(): boolean
  /** puts the default handlers back (call in a finally) */
  remove(): void
}

/** Installs the handlers; `onFirst` says what happens now (one line on stderr). */
export function onInterrupt(onFirst: () => void): GracefulStop {
  const stop = new AbortController()
  const handler = () => {
    if (stop.signal.aborted) process.exit(130)
    stop.abort()
    onFirst()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    signal: stop.signal,
    stopRequested: () => stop.signal.aborted,
    remove: () => {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    },
  }
}
