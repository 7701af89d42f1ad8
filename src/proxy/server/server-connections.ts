// The connections a backend keeps to one server (nutcracker's server, a cluster node): up to
// server_connections of them, opened on demand and used in turn, as nutcracker spreads requests.
import {ServerConnection, type ConnectionSettings, type ServerEndpoint} from './server-connection.js'

export interface ConnectionOwner extends ServerEndpoint {
  connections: ServerConnection[]
  /** the next connection to use, round robin */
  nextConnection: number
}

/** Opens one more connection to `owner`. */
export function openConnection(owner: ConnectionOwner, settings: ConnectionSettings): ServerConnection {
  const conn = new ServerConnection(owner, settings)
  owner.connections.push(conn)
  return conn
}

/** The connection the next request to `owner` goes on: a new one while fewer than `limit` are open. */
export function connectionTo(owner: ConnectionOwner, limit: number, settings: ConnectionSettings): ServerConnection {
  const conns = owner.connections
  if (conns.length < limit) return openConnection(owner, settings)
  const conn = conns[owner.nextConnection++ % conns.length]
  if (owner.nextConnection >= conns.length) owner.nextConnection = 0
  return conn
}

/** Forgets a connection that closed. */
export function dropConnection(owner: ConnectionOwner, conn: ServerConnection): void {
  const i = owner.connections.indexOf(conn)
  if (i >= 0) owner.connections.splice(i, 1)
}
