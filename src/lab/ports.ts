// Port checks before anything starts: a lab either gets every port it needs or starts nothing,
// and none of its cluster bus ports lies where the kernel hands out ports to outgoing
// connections (any client could borrow one between our check and redis binding it).
import {readFileSync} from 'node:fs'
import net from 'node:net'

/** Linux's default ip_local_port_range, for systems that do not say. */
const DEFAULT_EPHEMERAL: [number, number] = [32768, 60999]

/** The ports the kernel picks for outgoing connections: /proc/sys/net/ipv4/ip_local_port_range. */
export function ephemeralRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] {
  try {
    const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high) && low > 0 && low <= high) return [low, high]
  } catch {
    // not Linux, or /proc is not mounted: assume the default
  }
  return DEFAULT_EPHEMERAL
}

/** The ports of `ports` inside the ephemeral range. */
export function inEphemeralRange(ports: number[], range = ephemeralRange()): number[] {
  return ports.filter((port) => port >= range[0] && port <= range[1])
}

/** True when we can listen on host:port right now (so redis-server will be able to as well). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen({host, port, exclusive: true}, () => server.close(() => resolve(true)))
  })
}

/** The ports of `ports` that are busy, checked a few at a time. */
export async function busyPorts(host: string, ports: number[]): Promise<number[]> {
  const busy: number[] = []
  const batch = 32
  for (let i = 0; i < ports.length; i += batch) {
    const slice = ports.slice(i, i + batch)
    const free = await Promise.all(slice.map((port) => isPortFree(host, port)))
    slice.forEach((port, index) => {
      if (!free[index]) busy.push(port)
    })
  }
  return busy
}

/** True when something accepts a TCP connection on host:port. */
export function isListening(host: string, port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({host, port})
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(false)
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      clearTimeout(timer)
      resolve(false)
    })
  })
}
