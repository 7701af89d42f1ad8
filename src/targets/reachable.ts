// Before a command starts work, every node must answer: a server that is down or refuses the
// password becomes one sentence naming it, not a stack trace halfway through a scan.
import {describeSystemError, UserError} from '../errors.js'
import type {Target, TargetNode} from './types.js'

export async function checkReachable(target: Target): Promise<void> {
  await Promise.all(target.nodes().map((node) => ping(target, node)))
}

async function ping(target: Target, node: TargetNode): Promise<void> {
  const client = target.client(node)
  let cause: unknown
  const remember = (error: unknown) => (cause ??= error)
  client.on('error', remember)
  try {
    if (client.status === 'wait') await client.connect()
    await client.ping()
  } catch (rejection) {
    const error = cause ?? rejection
    const message = (error as Error).message ?? String(error)
    const what = `Server ${node.name === node.address ? node.address : `${node.name} (${node.address})`}`
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(message)) {
      throw new UserError(`${what} wants a password that was not given or is wrong: pass it with --password.`, {cause: error})
    }
    throw new UserError(describeSystemError(error, what) ?? `${what} does not answer: ${message}`, {cause: error})
  } finally {
    client.off('error', remember)
  }
}
