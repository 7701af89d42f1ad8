// Port checks before anything starts: a lab either gets every port it needs or starts nothing.
import net from 'node:net'

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
