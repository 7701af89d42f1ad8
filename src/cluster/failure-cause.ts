// Why a slot move failed, in words a user can act on. A node that dies in the middle of a move
// surfaces as whatever the client library says about the broken connection ("Reached the max
// retries per request limit", "Connection is closed"), which names neither the node nor the way
// out; this asks both ends of the move whether they still answer and names the one that does not.
import type {Redis} from 'ioredis'
import type {ClusterTarget} from '../targets/cluster.js'
import type {SlotMove} from './plan.js'

const CONNECTION_LOST = /max retries per request|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Stream isn't writeable|connect(ion)? timed? ?out/i

/** The failures with connection errors rewritten to name the node that stopped answering. */
export async function explainFailures(target: ClusterTarget, moves: SlotMove[], failed: Array<{slot: number; error: string}>): Promise<Array<{slot: number; error: string}>> {
  const bySlot = new Map(moves.map((move) => [move.slot, move]))
  const answers = new Map<string, Promise<boolean>>()
  const answering = (id: string): Promise<boolean> => {
    let known = answers.get(id)
    if (!known) {
      const node = target.byId(id)
      known = node ? answersPing(target.client(node)) : Promise.resolve(false)
      answers.set(id, known)
    }
    return known
  }
  return Promise.all(failed.map(async (failure) => {
    const move = bySlot.get(failure.slot)
    if (!move || !CONNECTION_LOST.test(failure.error)) return failure
    const dead = [
      ...((await answering(move.from)) ? [] : [`the source ${nameOf(target, move.from)}`]),
      ...((await answering(move.to)) ? [] : [`the target ${nameOf(target, move.to)}`]),
    ]
    if (dead.length === 0) return failure
    // the library's advice about its retry option is noise here
    const cause = failure.error.replace(/^slot \d+: /, '').replace(/Reached the max retries per request limit.*$/s, 'connection lost')
    return {
      slot: failure.slot,
      error: `slot ${failure.slot}: ${dead.join(' and ')} stopped answering (${cause}): wait until it is back or a replica has taken over`,
    }
  }))
}

function nameOf(target: ClusterTarget, id: string): string {
  return target.byId(id)?.address ?? id.slice(0, 8)
}

/** PING with a short bound: a dead node's client may otherwise retry for seconds. */
async function answersPing(client: Redis): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 1500)))
  try {
    return await Promise.race([client.ping().then(() => true, () => false), timeout])
  } finally {
    clearTimeout(timer)
  }
}
