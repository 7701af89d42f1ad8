// Keys are bytes. Humans get the form redis-cli prints: the UTF-8 text when the bytes are valid,
// printable UTF-8, otherwise a double-quoted string with \xNN escapes (and \" \\), so a binary key
// is recognisable and unambiguous. JSON gets `key` always and `keyBase64` too when the bytes are
// not UTF-8, so a script can get the exact bytes back.

export function isUtf8(key: Buffer): boolean {
  return Buffer.from(key.toString('utf8'), 'utf8').equals(key)
}

/** The key for a terminal or a sentence, as redis-cli shows it. */
export function keyText(key: Buffer): string {
  const text = key.toString('utf8')
  if (Buffer.from(text, 'utf8').equals(key) && !/[\x00-\x1f\x7f"\\]/.test(text)) return text
  let out = '"'
  for (const byte of key) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte)
    else out += `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return `${out}"`
}

/** The key for JSON output: `key` always, `keyBase64` too when the bytes are not UTF-8. */
export function keyToJson(key: Buffer): {key: string; keyBase64?: string} {
  return isUtf8(key) ? {key: key.toString('utf8')} : {key: keyText(key), keyBase64: key.toString('base64')}
}

/** A Map/Set key for a binary key: latin1 keeps every byte, one char per byte. */
export function keyId(key: Buffer): string {
  return key.toString('latin1')
}

export function keyFromId(id: string): Buffer {
  return Buffer.from(id, 'latin1')
}
