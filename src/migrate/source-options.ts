// Which servers a migration reads from, as the user named them.
import {UserError} from '../ui/errors.js'
import {parseAddressList} from './address.js'
import {connectSources, type SourceSet} from './sources.js'

export interface SourceFlags {
  from?: string
}

export async function openSources(flags: SourceFlags): Promise<SourceSet> {
  if (flags.from) {
    const addresses = parseAddressList(flags.from, '--from')
    return connectSources(addresses.map((address) => ({name: address.text, address})),
      `${addresses.length} server(s) given by --from`)
  }
  throw new UserError('No source to migrate from: give --from HOST:PORT,...')
}
