// One interface for the places the tools reach live data: a pool (servers from nutcracker.yml,
// keys placed by twemproxy hashing) or a cluster (slot map discovered from any node). A lab is
// one of the two, whichever its state file describes (src/lab/target.ts).
import type {Redis} from 'ioredis'

export interface TargetNode {
  /** stable id: the cluster node id, or the pool server's name */
  id: string
  /** what users call it: the nutcracker server name, or host:port for cluster nodes */
  name: string
  host: string
  port: number
  /** "host:port" */
  address: string
  role: 'master' | 'replica'
  /** cluster masters: the slot ranges they own, inclusive */
  slots?: Array<[number, number]>
}

export interface Target {
  readonly kind: 'pool' | 'cluster'
  /** one line for humans: "pool alpha (3 servers) from nutcracker.yml", "cluster at 127.0.0.1:7000" */
  readonly description: string
  /** the nodes that hold data: pool servers, or cluster masters */
  nodes(): TargetNode[]
  /** the node hashing (pool) or slot ownership (cluster) sends the key to */
  ownerOf(key: Uint8Array | string): TargetNode
  /** an ioredis client for one node (created once, reused, closed by close()) */
  client(node: TargetNode): Redis
  close(): Promise<void>
}
