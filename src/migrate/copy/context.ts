// What every copy step works with: both ends, how to write, and the counters. Its own module so
// that the copy paths (copier.ts) and the duplicate rule they call (source/duplicates.ts) can
// both take it without importing each other.
import type {SourceSet} from '../source/sources.js'
import type {MigrationStats} from '../stats.js'
import type {MigrationTarget} from '../target/migration-target.js'
import type {WriteOptions} from '../target/writer.js'

export interface CopyContext {
  sources: SourceSet
  target: MigrationTarget
  write: WriteOptions
  stats: MigrationStats
}
