// A cluster source's master that fails over (CLUSTER FAILOVER on its replica, or the replica
// promoted after the master died): the source is re-pointed at the master that took over the same
// slots, found in the refreshed slot map (cluster-view.ts). The replication capture then asks the
// new master to continue the stream (a promoted replica keeps its old master's replication id as
// its second one, so PSYNC answers +CONTINUE), else takes a new snapshot of it.
import {formatAddress} from '../../address.js'
import type {ClusterSourceView} from './cluster-view.js'
import {sourceClient, type FailoverFollower, type Source} from './sources.js'

export class ClusterMasterFailover implements FailoverFollower {
  readonly pending = false

  /** `slots`: the slots the source served when the migration began */
  constructor(private readonly view: ClusterSourceView, private readonly source: Source, private slots: number[],
    private readonly password?: string) {}

  /** The master serving this source's slots now; when it changed, the source's client is re-pointed. */
  async follow(): Promise<{from: string; to: string} | undefined> {
    await this.view.refresh()
    const from = formatAddress(this.source.address)
    if (this.view.isServingMaster(from)) return undefined
    const successor = this.view.successorOf(from, this.slots)
    if (!successor) return undefined
    this.source.client.disconnect()
    this.source.address = {host: successor.host, port: successor.port}
    this.source.client = sourceClient(this.source.address, {name: 'twlab-migrate', password: this.password})
    this.slots = this.slots.filter((slot) => this.view.ownerAddress(slot) === successor.address)
    return {from, to: successor.address}
  }
}
