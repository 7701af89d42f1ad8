// Cluster nodes on any server the tests cover: the system's redis-server, or a fetched Redis or
// Valkey run through its own suite's loader (the same command line `twlab up --server` builds,
// from src/servers/store.ts). Each node is tracked by PID and stopped by PID.
import {spawn} from 'node:child_process'
import {rmSync} from 'node:fs'
import {installedProgram, type InstalledServer} from '../../src/servers/store.js'
import {freePort, startRedis, stopPid, tempDir, waitForPort, type RunningServer} from '../support/servers.js'

const started = new Set<RunningServer>()

/** A throwaway node on `server` (the system's redis-server when undefined): no persistence, loopback only. */
export async function startNode(args: string[], server?: InstalledServer): Promise<RunningServer> {
  if (!server) return startRedis({args})
  const port = await freePort()
  const dir = tempDir('twlab-node-')
  const program = installedProgram(server, 'server')
  const child = spawn(program.bin, [...program.prefixArgs, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice', '--logfile', 'node.log', ...args], {stdio: 'ignore'})
  if (child.pid === undefined) throw new Error(`${server.name} did not start`)
  const node: RunningServer = {
    kind: server.name, port, pid: child.pid, child, dir,
    async stop() {
      started.delete(node)
      await stopPid(child)
      rmSync(dir, {recursive: true, force: true})
    },
  }
  started.add(node)
  try {
    await waitForPort(port)
  } catch (error) {
    await node.stop()
    throw error
  }
  return node
}

/** Stops every fetched-server node this process started that is still running. */
export async function stopStartedNodes(): Promise<void> {
  await Promise.all([...started].map((node) => node.stop()))
}
