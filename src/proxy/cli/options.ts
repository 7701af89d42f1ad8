// nutcracker's command line, parsed the way its getopt_long loop does (short options
// "hVtdDv:o:c:s:i:a:p:m:", grouped or not, values attached or separate, the long forms), with
// the same defaults (Debian's build) and the same error texts. twproxy adds a few long options of
// its own (--workers and the client limits), which nutcracker does not have.
import {splitHostPort} from '../../address.js'
import {DEFAULT_LIMITS, type ClientLimits, LIMIT_OPTIONS} from '../client/limits.js'

export const VERSION_BANNER = 'This is nutcracker-0.5.0\nasync event backend: epoll\n\n'

export const DEFAULT_LOG_FILE = '/var/log/nutcracker/nutcracker.log'
export const DEFAULT_CONF_FILE = '/etc/nutcracker/nutcracker.yml'
/** -m: nutcracker's mbuf chunk size, 16 KiB (a redis key must fit in one chunk minus its header) */
export const DEFAULT_MBUF_SIZE = 16384

// Three writes in nutcracker; lines end with CRLF and each write adds a LF (the -D line lacks its CR).
export const USAGE =
  'Usage: nutcracker [-?hVdDt] [-v verbosity level] [-o output file]\r\n' +
  '                  [-c conf file] [-s stats port] [-a stats addr]\r\n' +
  '                  [-i stats interval] [-p pid file] [-m mbuf size]\r\n' +
  '\n' +
  'Options:\r\n' +
  '  -h, --help             : this help\r\n' +
  '  -V, --version          : show version and exit\r\n' +
  '  -t, --test-conf        : test configuration for syntax errors and exit\r\n' +
  '  -d, --daemonize        : run as a daemon\r\n' +
  '  -D, --describe-stats   : print stats description and exit\n' +
  '  -v, --verbose=N        : set logging level (default: 5, min: 0, max: 11)\r\n' +
  `  -o, --output=S         : set logging file (default: ${DEFAULT_LOG_FILE})\r\n` +
  `  -c, --conf-file=S      : set configuration file (default: ${DEFAULT_CONF_FILE})\r\n` +
  '  -s, --stats-port=N     : set stats monitoring port (default: 22222)\r\n' +
  '  -a, --stats-addr=S     : set stats monitoring ip (default: 0.0.0.0)\r\n' +
  '  -i, --stats-interval=N : set stats aggregation interval in msec (default: 30000 msec)\r\n' +
  '  -p, --pid-file=S       : set pid file (default: /run/nutcracker/nutcracker.pid)\r\n' +
  `  -m, --mbuf-size=N      : set size of mbuf chunk in bytes (default: ${DEFAULT_MBUF_SIZE} bytes)\r\n` +
  '\n'

/** twproxy's own long options, shown by `twproxy --help-twproxy`. */
export const TWPROXY_USAGE =
  'twproxy options (not in nutcracker):\n' +
  '  --workers=N                : serve with N processes sharing the listen ports (default: 1)\n' +
  '  --metrics=HOST:PORT        : serve Prometheus metrics over HTTP at /metrics (default: off)\n' +
  LIMIT_OPTIONS.map((o) => `  --${`${o.flag}=N`.padEnd(26)} : ${o.help} [env ${o.env}]\n`).join('')

export interface ProxyCliOptions {
  help: boolean
  version: boolean
  testConf: boolean
  daemonize: boolean
  describeStats: boolean
  twproxyHelp: boolean
  verbosity: number
  output: string
  confFile: string
  statsPort: number
  statsAddr: string
  statsInterval: number
  pidFile?: string
  mbufSize: number
  workers: number
  limits: ClientLimits
  /** --metrics HOST:PORT: serve Prometheus text there */
  metrics?: {host: string; port: number}
}

export type ParseResult = {ok: true; options: ProxyCliOptions} | {ok: false; message: string}

const LONG: Record<string, string> = {
  help: 'h', version: 'V', 'test-conf': 't', daemonize: 'd', 'describe-stats': 'D', verbose: 'v',
  output: 'o', 'conf-file': 'c', 'stats-port': 's', 'stats-addr': 'a', 'stats-interval': 'i',
  'pid-file': 'p', 'mbuf-size': 'm',
}
const WITH_VALUE = new Set(['v', 'o', 'c', 's', 'i', 'a', 'p', 'm'])
const FLAGS = new Set(['h', 'V', 't', 'd', 'D'])

/** nutcracker's nc_atoi: digits only, no sign; -1 when not a number. */
function atoi(text: string): number {
  if (!/^[0-9]+$/.test(text)) return -1
  const n = Number(text)
  return n > 2147483647 ? -1 : n
}

export function parseProxyArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParseResult {
  const options: ProxyCliOptions = {
    help: false, version: false, testConf: false, daemonize: false, describeStats: false, twproxyHelp: false,
    verbosity: 5, output: DEFAULT_LOG_FILE, confFile: DEFAULT_CONF_FILE, statsPort: 22222, statsAddr: '0.0.0.0',
    statsInterval: 30000, mbufSize: DEFAULT_MBUF_SIZE, workers: 1, limits: {...DEFAULT_LIMITS},
  }
  for (const o of LIMIT_OPTIONS) {
    const value = env[o.env]
    if (value !== undefined && value !== '') {
      const n = atoi(value)
      if (n < 0) return {ok: false, message: `twproxy: ${o.env} must be a number, not '${value}'`}
      options.limits[o.key] = n
    }
  }
  const apply = (opt: string, value: string | undefined): string | undefined => {
    switch (opt) {
      case 'h': options.help = true; options.version = true; return
      case 'V': options.version = true; return
      case 't': options.testConf = true; return
      case 'd': options.daemonize = true; return
      case 'D': options.describeStats = true; options.version = true; return
    }
    if (value === undefined) return missingValue(opt)
    switch (opt) {
      case 'v': {
        const n = atoi(value)
        if (n < 0) return 'nutcracker: option -v requires a number'
        options.verbosity = Math.min(11, n)
        return
      }
      case 'o': options.output = value; return
      case 'c': options.confFile = value; return
      case 's': {
        const n = atoi(value)
        if (n < 0) return 'nutcracker: option -s requires a number'
        if (n < 1 || n > 65535) return `nutcracker: option -s value ${n} is not a valid port`
        options.statsPort = n
        return
      }
      case 'i': {
        const n = atoi(value)
        if (n < 0) return 'nutcracker: option -i requires a number'
        options.statsInterval = n
        return
      }
      case 'a': options.statsAddr = value; return
      case 'p': options.pidFile = value; return
      case 'm': {
        const n = atoi(value)
        if (n <= 0) return 'nutcracker: option -m requires a non-zero number'
        if (n < 512 || n > 16777216) return 'nutcracker: mbuf chunk size must be between 512 and 16777216 bytes'
        options.mbufSize = n
        return
      }
    }
    return `nutcracker: invalid option -- '${opt}'`
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') break
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const name = arg.slice(2, eq < 0 ? undefined : eq)
      const attached = eq < 0 ? undefined : arg.slice(eq + 1)
      const own = twproxyOption(name)
      if (own !== undefined) {
        if (own === 'help-twproxy') {
          options.twproxyHelp = true
          continue
        }
        const value = attached ?? argv[++i]
        if (own === 'metrics') {
          const metrics = value === undefined ? undefined : metricsAddress(value)
          if (metrics === undefined) return {ok: false, message: 'twproxy: option --metrics requires HOST:PORT, as in --metrics 127.0.0.1:9121'}
          options.metrics = metrics
          continue
        }
        const n = value === undefined ? -1 : atoi(value)
        if (own === 'workers') {
          if (n < 1) return {ok: false, message: 'twproxy: option --workers requires a number of at least 1'}
          options.workers = n
        } else {
          if (n < 0) return {ok: false, message: `twproxy: option --${name} requires a number`}
          options.limits[own] = n
        }
        continue
      }
      const opt = LONG[name]
      // getopt_long reports an unknown long option with optopt 0: nutcracker prints a NUL byte
      if (opt === undefined) return {ok: false, message: "nutcracker: invalid option -- '\0'"}
      let value = attached
      if (WITH_VALUE.has(opt) && value === undefined) value = argv[++i]
      const error = apply(opt, value)
      if (error !== undefined) return {ok: false, message: error}
      continue
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const opt = arg[j]
        if (FLAGS.has(opt)) {
          const error = apply(opt, undefined)
          if (error !== undefined) return {ok: false, message: error}
          continue
        }
        if (!WITH_VALUE.has(opt)) return {ok: false, message: `nutcracker: invalid option -- '${opt}'`}
        const value = j + 1 < arg.length ? arg.slice(j + 1) : argv[++i]
        const error = apply(opt, value)
        if (error !== undefined) return {ok: false, message: error}
        break
      }
    }
    // non-option arguments are ignored, as getopt leaves them
  }
  return {ok: true, options}
}

/** --metrics HOST:PORT (an IPv6 host bracketed or bare); the port read as nutcracker reads numbers. */
function metricsAddress(value: string): {host: string; port: number} | undefined {
  const split = splitHostPort(value)
  const port = split === undefined ? -1 : atoi(split.portText)
  if (split === undefined || split.host === '' || port < 1 || port > 65535) return undefined
  return {host: split.host, port}
}

function missingValue(opt: string): string {
  switch (opt) {
    case 'o':
    case 'c':
    case 'p': return `nutcracker: option -${opt} requires a file name`
    case 'm': return `nutcracker: option -${opt} requires a non-zero number`
    case 'v':
    case 's':
    case 'i': return `nutcracker: option -${opt} requires a number`
    case 'a': return `nutcracker: option -${opt} requires a string`
    default: return `nutcracker: invalid option -- '${opt}'`
  }
}

function twproxyOption(name: string): keyof ClientLimits | 'workers' | 'help-twproxy' | 'metrics' | undefined {
  if (name === 'workers' || name === 'help-twproxy' || name === 'metrics') return name
  return LIMIT_OPTIONS.find((o) => o.flag === name)?.key
}
