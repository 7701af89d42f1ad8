// Durations users type on the command line: "500ms", "5s", "2m", "1h", or a bare number of seconds.
import {UserError} from '../errors.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (!match) throw new UserError(`${flag} ${text} is not a duration: write it like 500ms, 5s, 2m or 1h.`)
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 's'])
}
