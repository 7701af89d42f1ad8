// Output into a pipe whose reader went away (`twlab ... | head -2`): the next write fails with
// EPIPE. Command-line tools end quietly then, with the exit code they had, as they would on
// SIGPIPE; without this Node reports "Error: write EPIPE" and exits 1.

let guarded = false

/** Ends the process quietly when stdout's reader is gone; other write errors stay errors. */
export function endQuietlyOnClosedPipe(): void {
  if (guarded) return
  guarded = true
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0)
      throw error
    })
  }
}
