// Keys are bytes. Humans and JSON get text: the UTF-8 string when the bytes are valid UTF-8,
// otherwise redis-cli style escapes (\xff) for display and base64 beside it in JSON, so a
// script can get the exact bytes back.

export function isUtf8(key: Buffer): boolean {
  return Buffer.from(key.toString('utf8'), 'utf8').equals(key)
}

/** The key for a terminal: printable ASCII as is, everything else escaped the way redis-cli does. */
export function keyToText(key: Buffer): string {
  if (isUtf8(key) && !/[\x00-\x1f\x7f]/.test(key.toString('utf8'))) return key.toString('utf8')
  let text = ''
  for (const byte of key) {
    text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return text
}

/** The key for JSON output: `key` always, `keyBase64` too when the bytes are not UTF-8. */
export function keyToJson(key: Buffer): {key: string; keyBase64?: string} {
  return isUtf8(key) ? {key: key.toString('utf8')} : {key: keyToText(key), keyBase64: key.toString('base64')}
}
