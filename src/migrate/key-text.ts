// Keys are bytes. Humans and JSON get a printable form: UTF-8 text when the bytes are valid
// printable UTF-8, otherwise a quoted form with \xNN escapes (like redis-cli) so that a binary
// key is still recognisable and unambiguous.
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

/** A Map/Set key for a binary key: latin1 keeps every byte, one char per byte. */
export function keyId(key: Buffer): string {
  return key.toString('latin1')
}

export function keyFromId(id: string): Buffer {
  return Buffer.from(id, 'latin1')
}
