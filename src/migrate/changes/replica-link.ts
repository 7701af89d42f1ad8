// twlab as a replica of one source, on the wire: the handshake a replica makes (AUTH, REPLCONF
// listening-port, REPLCONF capa, PSYNC replid offset), the master's answer (+FULLRESYNC replid
// offset, then the snapshot as `$<length>` or `$EOF:<40-byte mark>` followed by its bytes; or
// +CONTINUE [replid]), then the command stream. The link only moves bytes: the snapshot's bytes
// go to one handler until the caller says where the RDB ended, the stream's to another. A replica
// must say how far it got (REPLCONF ACK <offset>) or the master drops it after repl-timeout: the
// caller acks every second, and at once when the master asks (REPLCONF GETACK). A source that
// speaks TLS (a lab made with --tls, or the command's --tls flags) is followed over TLS, with the
// same files as every other client of it (targets/connection-access.ts).
//
// twlab announces listening-port 0: it listens on nothing. A Sentinel watching the source lists
// it as a replica at <ip>:0 (the master's INFO names every replica) but never connects to a port-0
// address, so it never promotes it or sends it SLAVEOF, and holds it subjectively down, which a
// failover does not wait on. A replica cannot ask not to be listed (replica-priority is read from
// the replica's own INFO); any real port would be one Sentinel connects to. SENTINEL RESET clears
// the entry once the migration is over.
import {connect, type Socket} from 'node:net'
import {connect as connectTls} from 'node:tls'
import {formatAddress, type Address} from '../../address.js'
import {describeSystemError, UserError} from '../../errors.js'
import {defaultUsername, tlsFor} from '../../targets/connection-access.js'

export interface LinkAuth {
  user?: string
  password?: string
}

/** Where a replica asks to start: a replication id and the next offset it needs, or nothing (a new snapshot). */
export interface PsyncFrom {
  replid: string
  /** the offset of the last byte applied (PSYNC asks for the one after) */
  offset: number
}

export type PsyncAnswer =
  | {kind: 'full'; replid: string; offset: number}
  | {kind: 'continue'; replid: string}

export interface LinkHandlers {
  /** bytes of the snapshot (in `$EOF:` mode they run on into the mark and the stream) */
  snapshot(chunk: Buffer): void
  /** bytes of the command stream */
  stream(chunk: Buffer): void
  /** the connection ended (error: why, when it was not closed by us) */
  closed(error: Error | undefined): void
}

/** The source refuses to take twlab as a replica (PSYNC not allowed, a replica not connected...). */
export class ReplicationRefused extends Error {}

const HANDSHAKE_TIMEOUT_MS = 15_000
/** the EOF mark of a diskless transfer is this long */
export const EOF_MARK_BYTES = 40

export class ReplicaLink {
  /** the transfer's EOF mark (diskless `$EOF:` transfers), undefined for `$<length>` */
  eofMark: Buffer | undefined
  /** the snapshot's length for `$<length>` transfers */
  snapshotLength: number | undefined
  private mode: 'header' | 'snapshot' | 'stream' = 'header'
  private held: Buffer = Buffer.alloc(0)
  private handlers: LinkHandlers | undefined
  private closedByUs = false

  private constructor(private readonly socket: Socket, readonly address: Address) {}

  /**
   * Connects and makes the handshake; resolves with the master's answer to PSYNC. `from`: the
   * position to continue from (a partial resync), or undefined for a new snapshot.
   */
  static async open(address: Address, auth: LinkAuth, from: PsyncFrom | undefined, options: {eof: boolean}): Promise<{link: ReplicaLink; answer: PsyncAnswer}> {
    const what = `source ${formatAddress(address)}`
    let socket: Socket
    let connected = 'connect'
    try {
      const tls = tlsFor(address)
      socket = tls ? connectTls({host: address.host, port: address.port, ...tls}) : connect({host: address.host, port: address.port})
      if (tls) connected = 'secureConnect'
    } catch (error) {
      if (error instanceof UserError) throw error
      throw new UserError(`${what} cannot be followed as a replica: ${(error as Error).message}.`, {cause: error})
    }
    socket.setNoDelay(true)
    const link = new ReplicaLink(socket, address)
    try {
      const answer = await link.handshake({user: auth.user ?? defaultUsername(), password: auth.password}, from, options.eof, what, connected)
      return {link, answer}
    } catch (error) {
      socket.destroy()
      if (error instanceof ReplicationRefused || error instanceof UserError) throw error
      throw new UserError(describeSystemError(error, what) ?? `${what} cannot be followed as a replica: ${(error as Error).message}.`, {cause: error})
    }
  }

  private handshake(auth: LinkAuth, from: PsyncFrom | undefined, eof: boolean, what: string, connected: string): Promise<PsyncAnswer> {
    const commands: string[][] = []
    if (auth.password) commands.push(auth.user ? ['AUTH', auth.user, auth.password] : ['AUTH', auth.password])
    // listening-port: what INFO replication shows for this replica; 0: none (see the top of this file)
    commands.push(['REPLCONF', 'listening-port', '0'])
    commands.push(eof ? ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'] : ['REPLCONF', 'capa', 'psync2'])
    commands.push(['PSYNC', from ? from.replid : '?', from ? String(from.offset + 1) : '-1'])
    return new Promise<PsyncAnswer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to the replication handshake within ${HANDSHAKE_TIMEOUT_MS / 1000} s`)), HANDSHAKE_TIMEOUT_MS)
      let answered = 0
      const onData = (chunk: Buffer) => {
        this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk])
        for (;;) {
          const eol = this.held.indexOf('\r\n')
          if (eol < 0) return
          const line = this.held.toString('latin1', 0, eol)
          this.held = this.held.subarray(eol + 2)
          const command = commands[answered++]
          if (line.startsWith('-')) {
            finish()
            const name = command[0] === 'PSYNC' ? 'PSYNC' : command.slice(0, 2).join(' ')
            reject(command[0] === 'AUTH' || /^-(NOAUTH|WRONGPASS)/.test(line)
              ? new UserError(`${what} refused the password (${line.slice(1)}): give it with --password.`)
              : new ReplicationRefused(`${what} refused ${name}: ${line.slice(1)}`))
            return
          }
          // one command at a time: a master refuses PSYNC while replies to earlier ones are unsent
          if (command[0] !== 'PSYNC') {
            this.socket.write(encode(commands[answered]))
            continue
          }
          finish()
          const full = /^\+FULLRESYNC (\S+) (\d+)/.exec(line)
          const partial = /^\+CONTINUE ?(\S*)/.exec(line)
          if (full) resolve({kind: 'full', replid: full[1], offset: Number(full[2])})
          else if (partial) resolve({kind: 'continue', replid: partial[1] || (from as PsyncFrom).replid})
          else reject(new ReplicationRefused(`${what} answered PSYNC with ${JSON.stringify(line)}`))
          return
        }
      }
      const onError = (error: Error) => {
        finish()
        reject(error)
      }
      const onClose = () => {
        finish()
        reject(new Error('the connection closed during the replication handshake'))
      }
      const finish = () => {
        clearTimeout(timer)
        this.socket.off('data', onData)
        this.socket.off('error', onError)
        this.socket.off('close', onClose)
        this.socket.pause()
      }
      this.socket.on('data', onData)
      this.socket.once('error', onError)
      this.socket.once('close', onClose)
      this.socket.once(connected, () => this.socket.write(encode(commands[0])))
    })
  }

  /** Starts delivering bytes: a snapshot first (after +FULLRESYNC), or the stream at once (+CONTINUE). */
  start(handlers: LinkHandlers, snapshot: boolean): void {
    this.handlers = handlers
    this.mode = snapshot ? 'header' : 'stream'
    this.socket.on('data', (chunk: Buffer) => {
      try {
        this.receive(chunk)
      } catch (error) {
        this.socket.destroy(error as Error) // reported by 'close', with this error
      }
    })
    let failure: Error | undefined
    this.socket.on('error', (error) => (failure ??= error))
    this.socket.once('close', () => {
      handlers.closed(this.closedByUs ? undefined : failure ?? new Error('the source closed the connection'))
    })
    const held = this.held
    this.held = Buffer.alloc(0)
    if (held.length > 0) this.receive(held)
    this.socket.resume()
  }

  private receive(chunk: Buffer): void {
    const handlers = this.handlers as LinkHandlers
    if (this.mode === 'stream') return handlers.stream(chunk)
    if (this.mode === 'snapshot') return handlers.snapshot(chunk)
    this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk])
    // keepalive newlines while the master prepares the snapshot, then $<length> or $EOF:<mark>
    let at = 0
    while (at < this.held.length && this.held[at] === 10) at++
    const eol = this.held.indexOf('\r\n', at)
    if (eol < 0) {
      this.held = this.held.subarray(at)
      return
    }
    const header = this.held.toString('latin1', at, eol)
    const rest = this.held.subarray(eol + 2)
    this.held = Buffer.alloc(0)
    if (header.startsWith('$EOF:')) this.eofMark = Buffer.from(header.slice(5), 'latin1')
    else if (/^\$\d+$/.test(header)) this.snapshotLength = Number(header.slice(1))
    else {
      this.socket.destroy(new Error(`the source sent ${JSON.stringify(header.slice(0, 80))} instead of a snapshot`))
      return
    }
    this.mode = 'snapshot'
    if (rest.length > 0) handlers.snapshot(rest)
  }

  /** The snapshot ended: what came after it is the stream. */
  snapshotEnded(streamStart: Buffer): void {
    this.mode = 'stream'
    if (streamStart.length > 0) this.handlers?.stream(streamStart)
  }

  /** REPLCONF ACK <offset>: how far this replica got. */
  ack(offset: number): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(encode(['REPLCONF', 'ACK', String(offset)]))
  }

  /** Stops reading (the master keeps what it sends in its output buffer for this replica). */
  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  close(): void {
    this.closedByUs = true
    this.socket.destroy()
  }

  /** Ends the link as if it had dropped (`reason` reported as the cause): the follower takes it up again. */
  drop(reason: Error): void {
    if (!this.closedByUs && !this.socket.destroyed) this.socket.destroy(reason)
  }
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`
}
