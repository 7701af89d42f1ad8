// Keys (hex) whose hash values were taken from the real nutcracker into nutcracker-vectors.ts:
// the empty key, every tail length of the block-wise hashes (1..13, 63..65 bytes: the 4-byte,
// 12-byte and 64-byte blocks), bytes >= 0x80 in every position (where C's signed char matters),
// UTF-8 text, hash-tagged keys and a key longer than nutcracker's ketama host buffer.
const text = (s: string): string => Buffer.from(s, 'utf8').toString('hex')
const repeat = (byte: number, n: number): string => Buffer.alloc(n, byte).toString('hex')

export const VECTOR_KEYS: readonly string[] = [
  '',
  text('apple'),
  text('a'), text('ab'), text('abc'), text('abcd'), text('abcde'), text('abcdef'), text('abcdefg'),
  text('abcdefgh'), text('abcdefghi'), text('abcdefghij'), text('abcdefghijk'), text('abcdefghijkl'),
  text('abcdefghijklm'),
  repeat(0x80, 1), repeat(0xff, 1), repeat(0xff, 2), repeat(0xff, 3), repeat(0xff, 4), repeat(0xff, 5),
  repeat(0xff, 7), repeat(0xfe, 12), repeat(0xc3, 13),
  '41ff', '4142ff', '414243ff', 'ff414243', '80818283848586878889', '7f80', '00', '0000', '00ff00ff',
  text('é'), text('日本語'), text('user:1000'), text('{user1000}.following'), text('naïve-ключ-🔑'),
  text('server1-8'), text('127.0.0.1:6379-0'), text('placeholder'),
  text('x'.repeat(63)), text('x'.repeat(64)), text('x'.repeat(65)), repeat(0xa5, 300),
]
