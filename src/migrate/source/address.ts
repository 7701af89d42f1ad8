// The "host:port" form with its text that the cut-over's proxy modules (cutover/cutover-proxy.ts,
// cutover/proxy-stats.ts) still take. Parsing is src/address.ts's (IPv6-aware, one sentence);
// the rest of migrate uses its Address directly. This module goes once those two do too.
import {formatAddress, parseAddress as parseHostPort, type Address as HostPort} from '../../address.js'

export interface Address extends HostPort {
  /** "host:port" */
  text: string
}

export function parseAddress(text: string, flag: string): Address {
  const address = parseHostPort(text, {what: flag})
  return {...address, text: formatAddress(address)}
}
