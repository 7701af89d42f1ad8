// `twlab up --tls`: a lab's own certificate authority and one certificate for its nodes, made
// with the system's openssl (Node's crypto reads X.509 certificates but cannot issue them). The
// CA signs a certificate for 127.0.0.1, ::1 and localhost that serves both as a server
// certificate (every redis-server, sentinel and the proxy present it) and as a client one (for
// servers that ask clients for a certificate, and for replication and the cluster bus). The
// files live in the lab's `tls/` folder and are what `twlab status --json` gives as `tls`.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {UserError} from '../errors.js'

export interface LabTls {
  caFile: string
  certFile: string
  keyFile: string
}

const DAYS = '3650'

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execa('openssl', args, {cwd, stdin: 'ignore'})
  } catch (error) {
    const e = error as {code?: string; stderr?: string; shortMessage?: string}
    if (e.code === 'ENOENT') {
      throw new UserError('twlab up --tls needs openssl to make the lab\'s certificates, and it is not on PATH.', {hint: 'Install it (Debian: apt-get install openssl) or leave out --tls.'})
    }
    throw new UserError(`openssl ${args[0]} failed while making the lab's certificates: ${(e.stderr ?? e.shortMessage ?? '').trim().split('\n').at(-1)}.`)
  }
}

/** Makes the CA and the nodes' certificate in `dir` (created); returns their paths. */
export async function makeLabCertificates(dir: string, lab: string): Promise<LabTls> {
  mkdirSync(dir, {recursive: true})
  const files = {caFile: join(dir, 'ca.crt'), certFile: join(dir, 'node.crt'), keyFile: join(dir, 'node.key')}
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', DAYS, '-subj', `/O=twlab/CN=twlab lab ${lab} CA`], dir)
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'node.key', '-out', 'node.csr', '-subj', `/O=twlab/CN=twlab lab ${lab}`], dir)
  writeFileSync(join(dir, 'node.ext'), [
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    'basicConstraints=CA:FALSE',
    'keyUsage=digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth',
    '',
  ].join('\n'))
  await openssl(['x509', '-req', '-in', 'node.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.crt', '-days', DAYS, '-extfile', 'node.ext'], dir)
  return files
}
