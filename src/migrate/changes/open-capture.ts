// Which capture an online migration uses: replication by default where the sources allow it; a
// source that refuses PSYNC (a managed service, an ACL without it) makes the migration fall back
// to keyspace notifications, said plainly, unless replication was asked for by name. A Sentinel
// group is a source like a pool's server here (its failovers followed to the new master). A
// Redis Cluster source is followed like servers, one stream per master; its slots that move
// between masters reach the target as copies of their keys (slot-motion.ts).
import {UserError} from '../../errors.js'
import type {CaptureContext, CaptureMode, ChangeCapture} from './change-capture.js'
import {ChangeFeed} from './keyspace-notifications.js'
import {ReplicationRefused} from './replica-link.js'
import {ReplicationCapture} from './replication-capture.js'

/** Starts following changes: by `requested`, or by replication when the sources allow it. */
export async function openChangeCapture(requested: CaptureMode | undefined, context: CaptureContext): Promise<ChangeCapture> {
  const sources = context.ctx.sources.sources
  let fallback: string | undefined
  if (requested !== 'notifications') {
    const capture = new ReplicationCapture(context)
    try {
      await capture.start()
      return capture
    } catch (error) {
      await capture.stop()
      if (!(error instanceof ReplicationRefused)) throw error
      if (requested === 'replication') {
        throw new UserError(`${error.message}, so twlab cannot follow it as a replica.`, {hint: 'Allow PSYNC for this user, or migrate with --capture notifications.'})
      }
      fallback = `${error.message}: following changes by keyspace notifications instead.`
      context.note(fallback)
    }
  }
  const feed = new ChangeFeed(sources)
  if (fallback) feed.notes.push(fallback)
  await feed.start()
  return feed
}
