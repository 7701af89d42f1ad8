// What a migration did, counted as it goes: shown by the progress bar, saved in the checkpoint
// (so a resumed run reports the whole migration), and printed in the summary.
export const EXAMPLE_LIMIT = 20

export interface MigrationStats {
  /** keys SCAN returned, all sources */
  scanned: number
  /** keys written to the target (RESTORE or chunked) */
  copied: number
  /** bytes of DUMP payload written */
  bytes: number
  /** keys already on the target with the same value (a rerun, or a SCAN repeat) */
  identical: number
  /** keys gone from the source between SCAN and read */
  vanished: number
  /** keys copied in chunks */
  bigKeys: number
  /** keys on the target with another value, left alone (--on-conflict skip) */
  conflictsSkipped: number
  /** keys found on more than one source: the owner's copy was kept */
  duplicates: number
  /** keys found only on a source hashing does not route them to: copied from there */
  misplaced: number
  /** online mode: keys re-copied after a change */
  recopied: number
  /** online mode: keys deleted (or expired) on a source and so deleted on the target */
  deleted: number
  examples: {
    conflicts: string[]
    duplicates: Array<{key: string; keptFrom: string; alsoOn: string}>
    misplaced: Array<{key: string; on: string}>
    bigKeys: string[]
  }
}

export function emptyStats(): MigrationStats {
  return {
    scanned: 0, copied: 0, bytes: 0, identical: 0, vanished: 0, bigKeys: 0, conflictsSkipped: 0,
    duplicates: 0, misplaced: 0, recopied: 0, deleted: 0,
    examples: {conflicts: [], duplicates: [], misplaced: [], bigKeys: []},
  }
}

export function remember<T>(list: T[], item: T): void {
  if (list.length < EXAMPLE_LIMIT) list.push(item)
}
