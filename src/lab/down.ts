// Stopping a lab (`twlab down`) and removing it (`twlab destroy`). Processes are signalled by
// their recorded pid only, after checking the pid still belongs to the node.
import {rmSync} from 'node:fs'
import {labDir} from './home.js'
import {isNodeProcess, stopProcess} from './processes.js'
import {writeState, type LabNode, type LabState} from './state.js'

export interface StoppedNode {
  name: string
  pid: number
  result: 'stopped' | 'killed' | 'gone'
}

/**
 * How long a node gets to exit after SIGTERM: a redis node writes its snapshot first (the lab's
 * data), which must not be cut short; sentinels and proxies have nothing to save.
 */
export function stopGraceMs(node: LabNode): number {
  return node.role === 'master' || node.role === 'replica' ? 60_000 : 3000
}

/** Stops one node: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopNode(node: LabNode, graceMs = stopGraceMs(node)): Promise<StoppedNode> {
  if (node.pid <= 0 || !isNodeProcess(node)) return {name: node.name, pid: node.pid, result: 'gone'}
  return {name: node.name, pid: node.pid, result: await stopProcess(node.pid, graceMs)}
}

/** Stops every process of the lab (proxy and sentinels first, so they do not react to the rest). */
export async function downLab(lab: LabState): Promise<StoppedNode[]> {
  const order: Array<LabNode['role']> = ['proxy', 'sentinel', 'replica', 'master']
  const results: StoppedNode[] = []
  for (const role of order) {
    results.push(...await Promise.all(lab.nodes.filter((node) => node.role === role).map((node) => stopNode(node))))
  }
  lab.status = 'stopped'
  writeState(lab)
  return results
}

export async function destroyLab(lab: LabState): Promise<StoppedNode[]> {
  const results = await downLab(lab)
  // The folder is derived from the name, never taken from the (editable) state file.
  rmSync(labDir(lab.name), {recursive: true, force: true})
  return results
}
