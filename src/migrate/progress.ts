// What a migration tells whoever watches it: a total, samples as it goes, lines of their own
// (phase changes, warnings), and the end. The library says what happened; how it is shown (a bar
// on a terminal, plain lines in a log, nothing under --json) is the CLI's (cli/migrate-progress.ts).

export interface ProgressSample {
  done: number
  bytes: number
  /** a short phrase for the current phase: "copy", "catch-up 12 pending, lag 40 ms", "verify" */
  phase: string
}

export interface MigrationProgress {
  /** `total`: the keys expected (the sources' DBSIZE) */
  start(total: number): void
  update(sample: ProgressSample): void
  note(message: string): void
  stop(): void
}
