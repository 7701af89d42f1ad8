// The stats port: every connection gets one JSON document and is closed, no request is read
// (`nc host 22222`), as nutcracker's stats thread does.
import net from 'node:net'
import {renderStats, type StatsSnapshot} from './stats.js'

export class StatsServer {
  private readonly server: net.Server

  constructor(private readonly collect: () => Promise<StatsSnapshot> | StatsSnapshot, private readonly startedAt: number) {
    this.server = net.createServer((socket) => {
      socket.on('error', () => socket.destroy())
      Promise.resolve(this.collect())
        .then((snap) => socket.end(renderStats(snap, this.startedAt)))
        .catch(() => socket.destroy())
    })
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen({host, port, backlog: 511}, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
