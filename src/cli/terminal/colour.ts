// Colour for human output: errors red, success green, warnings yellow, hints dim. Only when the
// stream is a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb, so pipes,
// logs and --json stay plain. Node's own util.styleText does the styling; this module decides
// whether to use it.
import {styleText} from 'node:util'

type Stream = {isTTY?: boolean}

/** Whether text written to `stream` may carry colour. */
export function colourEnabled(stream: Stream = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.TERM === 'dumb') return false
  return stream.isTTY === true
}

type Style = Parameters<typeof styleText>[0]

function paint(style: Style, stream: Stream) {
  return (text: string): string => (colourEnabled(stream) ? styleText(style, text) : text)
}

/** Painters for one stream: `colours(process.stderr).error('Error: ...')`. */
export function colours(stream: Stream = process.stderr) {
  return {
    error: paint('red', stream),
    ok: paint('green', stream),
    warning: paint('yellow', stream),
    hint: paint('dim', stream),
    strong: paint('bold', stream),
  }
}
