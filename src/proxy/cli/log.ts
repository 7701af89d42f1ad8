// nutcracker's log: levels 0..11 (5 NOTICE by default), lines formatted
// `[YYYY-MM-DD HH:MM:SS.mmm] <source> <message>`, written to stderr or an append-mode file that
// SIGHUP reopens (for logrotate). SIGTTIN/SIGTTOU raise/lower the level by one.
import {closeSync, openSync, writeSync} from 'node:fs'

export const LOG_EMERG = 0
export const LOG_ALERT = 1
export const LOG_CRIT = 2
export const LOG_ERR = 3
export const LOG_WARN = 4
export const LOG_NOTICE = 5
export const LOG_INFO = 6
export const LOG_DEBUG = 7
export const LOG_PVERB = 11

/** nutcracker truncates a log line to this many bytes */
const MAX_LINE = 256

export class Logger {
  level: number
  private fd = 2
  private readonly file: string | undefined

  constructor(level: number, file?: string) {
    this.level = Math.max(LOG_EMERG, Math.min(LOG_PVERB, level))
    this.file = file
  }

  /** Opens the log file (if any). Throws the open error so the caller can report it. */
  open(): void {
    if (this.file !== undefined) this.fd = openSync(this.file, 'a', 0o644)
  }

  /** SIGHUP: reopen the file so a rotated log starts afresh. */
  reopen(): void {
    if (this.file === undefined) return
    try {
      const fd = openSync(this.file, 'a', 0o644)
      const old = this.fd
      this.fd = fd
      if (old > 2) closeSync(old)
    } catch (error) {
      this.write(`reopening log file '${this.file}' failed, ignored: ${(error as Error).message}`, 'log.ts')
    }
  }

  raise(): void {
    if (this.level < LOG_PVERB) this.level++
    this.safe(`up log level to ${this.level}`)
  }

  lower(): void {
    if (this.level > LOG_EMERG) this.level--
    this.safe(`down log level to ${this.level}`)
  }

  /**
   * nutcracker's log_safe (what its signal handler writes): no time and no source, a row of dots
   * in their place, at any level.
   */
  safe(message: string): void {
    this.writeLine(`[.......................] ${message}`)
  }

  /** A line as it is (a stack trace, as nutcracker's backtrace lines). */
  raw(text: string): void {
    this.writeLine(text)
  }

  /** loga: always written. */
  always(message: string, source = 'twproxy'): void {
    if (this.level >= LOG_EMERG) this.write(message, source)
  }

  error(message: string, source = 'twproxy'): void {
    if (this.level >= LOG_ALERT) this.write(message, source)
  }

  warn(message: string, source = 'twproxy'): void {
    if (this.level >= LOG_WARN) this.write(message, source)
  }

  notice(message: string, source = 'twproxy'): void {
    if (this.level >= LOG_NOTICE) this.write(message, source)
  }

  info(message: string, source = 'twproxy'): void {
    if (this.level >= LOG_INFO) this.write(message, source)
  }

  close(): void {
    if (this.fd > 2) closeSync(this.fd)
    this.fd = 2
  }

  private write(message: string, source: string): void {
    this.writeLine(`[${timestamp(new Date())}] ${source} ${message}`)
  }

  private writeLine(text: string): void {
    let line = text
    if (Buffer.byteLength(line) > MAX_LINE - 1) line = Buffer.from(line).subarray(0, MAX_LINE - 1).toString()
    try {
      writeSync(this.fd, `${line}\n`)
    } catch {
      // a log that cannot be written must not take the proxy down
    }
  }
}

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
}

/** A logger that drops everything (library use and tests). */
export const silentLogger = new Logger(LOG_EMERG)
silentLogger.level = -1
