// Step one of reading a nutcracker.yml: the YAML itself. nutcracker (libyaml) accepts a narrow
// subset: one document, block style only, no anchors, aliases, tags, directives or document
// markers, and a fixed shape: `pool: {key: scalar, ..., servers: [scalar, ...]}` with exactly
// one sequence per pool. This module checks that and hands back each pool's entries in file
// order, with line numbers, for the directive rules (parse.ts) to read.
import {LineCounter, isAlias, isCollection, isMap, isScalar, isSeq, parseAllDocuments, visit, type Node, type Pair, type YAMLMap} from 'yaml'
import type {ConfigProblem} from './problems.js'

export interface RawValue {
  text: string
  line: number
  column: number
}

export interface RawEntry {
  key: string
  line: number
  /** the scalar value, or the items of a sequence value */
  values: RawValue[]
  sequence: boolean
  /** sequence items that were not plain values (already reported) */
  skipped: number
}

export interface RawPool {
  name: string
  line: number
  entries: RawEntry[]
  /** how many sequence values the pool has (nutcracker wants exactly one) */
  sequences: number
}

export interface YamlShape {
  pools: RawPool[]
  problems: ConfigProblem[]
  /** false when the document is too broken to read pools from */
  readable: boolean
}

export interface ShapeOptions {
  file: string
  /** keys that may hold a sequence without counting as the pool's one sequence (extensions) */
  extraSequenceKeys?: ReadonlySet<string>
}

// YAML's printable characters (what libyaml accepts anywhere in the stream).
const NOT_PRINTABLE = /[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u

/**
 * Two things libyaml refuses that yaml accepts: characters outside YAML's printable set, and a
 * tab where libyaml looks for the start of a token in block context (in a line's indentation,
 * on a blank line, or just after a "- " or "? " indicator). Lines inside multi-line quoted
 * scalars are exempt, as in libyaml.
 */
function libyamlLexicalProblem(text: string, docs: Array<{contents: unknown}>): {offset: number; problem: string; fix: string} | undefined {
  const bad = NOT_PRINTABLE.exec(text)
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
    return {offset: bad.index, problem: `the control character U+${code} is not allowed`, fix: 'Remove it; YAML files may contain only printable characters, tabs and line breaks.'}
  }
  const quoted: Array<[number, number]> = []
  for (const doc of docs) {
    visit(doc as Parameters<typeof visit>[0], {
      Scalar(_key, node) {
        if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && node.range) quoted.push([node.range[0], node.range[1]])
      },
    })
  }
  const lineStart = /^/gm
  for (let match = lineStart.exec(text); match; match = lineStart.exec(text)) {
    const start = match.index
    if (start >= text.length) break
    lineStart.lastIndex = start + 1
    if (quoted.some(([from, to]) => start > from && start < to)) continue
    let i = start
    for (;;) {
      while (text[i] === ' ') i++
      if ((text[i] === '-' || text[i] === '?') && /[ \t\n]/.test(text[i + 1] ?? '\n')) {
        i++
        continue
      }
      break
    }
    if (text[i] === '\t') {
      return {offset: i, problem: 'a tab is used for indentation', fix: 'Indent with spaces only; YAML does not allow tabs there.'}
    }
  }
  return undefined
}

export function readYamlShape(text: string, options: ShapeOptions): YamlShape {
  const {file} = options
  const lineCounter = new LineCounter()
  const problems: ConfigProblem[] = []
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {}
    const {line, col} = lineCounter.linePos(offset)
    return {line, column: col}
  }
  const fail = (problem: Omit<ConfigProblem, 'file'>): YamlShape => ({pools: [], problems: [...problems, {file, ...problem}], readable: false})

  // libyaml reads YAML 1.1, where a lone CR, NEL, LS and PS also end a line; yaml reads 1.2.
  // The swap keeps every offset, so line numbers stay right.
  text = text.replace(/\r(?!\n)|[\u0085\u2028\u2029]/g, '\n')
  const docs = [...parseAllDocuments(text, {schema: 'failsafe', uniqueKeys: false, lineCounter, prettyErrors: false})]
  const broken = docs.flatMap((doc) => doc.errors)
  const lexical = libyamlLexicalProblem(text, docs)
  if (lexical) {
    return {
      pools: [], readable: false,
      problems: [{file, ...at(lexical.offset), problem: `this is not valid YAML: ${lexical.problem}`, fix: lexical.fix, nutcracker: 'conf: failed (err 3) to get the next yaml document'}],
    }
  }
  if (broken.length > 0) {
    return {
      pools: [],
      readable: false,
      problems: broken.map((error) => ({
        file,
        ...at(error.pos[0]),
        problem: `this is not valid YAML: ${error.message.split('\n')[0].replace(/\.$/, '')}`,
        fix: 'Check the indentation and quoting on this line: pools at the left margin, their keys indented under them.',
        nutcracker: 'conf: failed (err 3) to get the next yaml document',
      })),
    }
  }
  if (docs.length === 0) {
    return fail({
      problem: 'the file has no pools (it is empty or only comments)',
      fix: 'Add a pool: its name at the left margin, then listen: and servers: indented under it.',
      nutcracker: `conf: '${file}' must contain only 1 document; found 0 documents`,
    })
  }

  // Tokens libyaml is told to refuse. Their position is found in the text where yaml gives none.
  const lineOf = (pattern: RegExp) => {
    const match = pattern.exec(text)
    return match ? at(match.index) : {}
  }
  const doc = docs[0]
  if (docs.some((d) => d.directives?.yaml.explicit) || /^%/m.test(text)) {
    problems.push({
      file, ...lineOf(/^%/m),
      problem: 'YAML directives (%YAML, %TAG) are not allowed',
      fix: 'Remove the line that starts with %.',
      nutcracker: /^%TAG/m.test(text) ? 'conf: tag directive token (4) is disallowed' : 'conf: version directive token (3) is disallowed',
    })
  }
  if (docs.some((d) => d.directives?.docStart)) {
    problems.push({
      file, ...lineOf(/^---/m),
      problem: 'the document marker "---" is not allowed',
      fix: 'Remove the "---" line; nutcracker reads one document with no markers.',
      nutcracker: 'conf: document start token (5) is disallowed',
    })
  }
  if (docs.some((d) => d.directives?.docEnd)) {
    problems.push({
      file, ...lineOf(/^\.\.\./m),
      problem: 'the document end marker "..." is not allowed',
      fix: 'Remove the "..." line.',
      nutcracker: 'conf: document end token (6) is disallowed',
    })
  }
  if (docs.length > 1) {
    problems.push({
      file,
      problem: `the file holds ${docs.length} YAML documents`,
      fix: 'Keep one document: remove the "---" and "..." separators and list every pool in one mapping.',
      nutcracker: `conf: '${file}' must contain only 1 document; found ${docs.length} documents`,
    })
  }
  for (const d of docs) {
    visit(d, {
      Node(_key, node) {
        if (isAlias(node)) {
          problems.push({file, ...at(node.range?.[0]), problem: `the alias "*${node.source}" is not allowed`, fix: 'Write the value out in full instead of referring to an anchor.', nutcracker: 'conf: alias token (18) is disallowed'})
          return
        }
        if (node.anchor) {
          problems.push({file, ...at(node.range?.[0]), problem: `the anchor "&${node.anchor}" is not allowed`, fix: 'Remove the anchor; nutcracker refuses anchors and aliases.', nutcracker: 'conf: anchor token (19) is disallowed'})
        }
        if (node.tag) {
          problems.push({file, ...at(node.range?.[0]), problem: `the tag "${node.tag.replace('tag:yaml.org,2002:', '!!')}" is not allowed`, fix: 'Remove the tag; write the plain value.', nutcracker: 'conf: tag token (20) is disallowed'})
        }
        if (isCollection(node) && node.flow) {
          const seq = isSeq(node)
          problems.push({
            file, ...at(node.range?.[0]),
            problem: seq ? 'flow style lists ("[...]") are not allowed' : 'flow style mappings ("{...}") are not allowed',
            fix: seq ? 'Write one "- item" per line, indented under the key.' : 'Write one "key: value" per line, indented under the pool.',
            nutcracker: seq ? 'conf: flow sequence start token (10) is disallowed' : 'conf: flow mapping start token (12) is disallowed',
          })
        }
      },
    })
  }

  const root = doc.contents
  if (isSeq(root)) {
    return fail({...at(root.range?.[0]), problem: 'the file is a list; it must be a mapping of pool names', fix: 'Start each pool with its name and a colon at the left margin, e.g. "alpha:".', nutcracker: `conf: '${file}' has sequence at depth 0 instead of 2`})
  }
  if (!isMap(root)) {
    return fail({...at((root as Node | null)?.range?.[0]), problem: 'the file is a plain value; it must be a mapping of pool names', fix: 'Start each pool with its name and a colon at the left margin, e.g. "alpha:".', nutcracker: `conf: '${file}' has invalid empty "key:" at depth 0`})
  }

  const pools: RawPool[] = []
  for (const pair of (root as YAMLMap<unknown, unknown>).items as Pair<Node | null, Node | null>[]) {
    const keyNode = pair.key
    if (!isScalar(keyNode)) {
      problems.push({file, ...at(keyNode?.range?.[0] ?? pair.value?.range?.[0]), problem: keyNode ? 'a pool name must be plain text' : 'a pool has no name', fix: 'Start each pool with its name and a colon at the left margin, e.g. "alpha:".', nutcracker: `conf: '${file}' has more than one "key:value" at depth 1`})
      continue
    }
    const name = String(keyNode.value ?? '')
    const poolAt = at(keyNode.range?.[0])
    if (name === '') {
      problems.push({file, ...poolAt, problem: 'a pool has an empty name', fix: 'Give the pool a name, e.g. "alpha:".'})
    }
    const value = pair.value
    if (isSeq(value)) {
      problems.push({file, ...poolAt, pool: name, problem: 'the pool is a list; it must be a mapping of settings', fix: 'Indent "listen:", "servers:" and the other keys under the pool name.', nutcracker: `conf: '${file}' has sequence at depth 1 instead of 2`})
      continue
    }
    if (!isMap(value)) {
      const empty = !isScalar(value) || String(value.value ?? '') === ''
      problems.push({
        file, ...poolAt, pool: name,
        problem: empty ? 'the pool has no settings' : `the pool has the plain value "${String((value as {value?: unknown}).value)}" instead of settings`,
        fix: 'Indent "listen:" and "servers:" under the pool name.',
        nutcracker: `conf: '${file}' has invalid mapping "key:" at depth 1`,
      })
      continue
    }
    pools.push(readPool(name, poolAt.line ?? 0, value as YAMLMap<unknown, unknown>))
  }
  return {pools, problems, readable: true}

  function readPool(name: string, line: number, map: YAMLMap<unknown, unknown>): RawPool {
    const pool: RawPool = {name, line, entries: [], sequences: 0}
    for (const pair of map.items as Pair<Node | null, Node | null>[]) {
      const keyNode = pair.key
      if (!isScalar(keyNode) || String(keyNode.value ?? '') === '') {
        problems.push({file, ...at(keyNode?.range?.[0] ?? pair.value?.range?.[0]), pool: name, problem: 'a key in this pool is empty or not plain text', fix: 'Write each setting as "key: value" on its own line.'})
        continue
      }
      const key = String(keyNode.value)
      const keyAt = at(keyNode.range?.[0])
      const value = pair.value
      if (isMap(value)) {
        problems.push({file, ...keyAt, pool: name, key, problem: 'the value is a mapping; pool settings are one level deep', fix: 'Give the key a single value on the same line.', nutcracker: `conf: '${file}' has a depth greater than 2`})
        pool.entries.push({key, line: keyAt.line ?? 0, values: [], sequence: false, skipped: 1})
        continue
      }
      if (isSeq(value)) {
        const counts = !options.extraSequenceKeys?.has(key)
        if (counts) pool.sequences++
        const values: RawValue[] = []
        let skipped = 0
        for (const item of value.items as (Node | null)[]) {
          if (!isScalar(item)) skipped++
          if (isScalar(item)) {
            values.push({text: String(item.value ?? ''), ...(at(item.range?.[0]) as {line: number; column: number})})
          } else if (isSeq(item)) {
            problems.push({file, ...at(item.range?.[0]), pool: name, key, problem: 'a list inside the list is not allowed', fix: 'Write each item as "- value" with no second dash.', nutcracker: `conf: '${file}' has more than one sequence directive`})
          } else {
            problems.push({
              file, ...at(item?.range?.[0]), pool: name, key,
              problem: 'a list item is a "key: value" mapping, not a plain value',
              fix: 'Write each item as plain text; a ": " or a trailing ":" makes it a mapping, so quote the item if it must contain one.',
              nutcracker: `conf: '${file}' has a depth greater than 2`,
            })
          }
        }
        pool.entries.push({key, line: keyAt.line ?? 0, values, sequence: true, skipped})
        if (counts && pool.sequences === 2) {
          problems.push({file, ...keyAt, pool: name, key, problem: 'the pool has a second list; nutcracker allows only one (servers:)', fix: 'Keep a single "servers:" list per pool.', nutcracker: `conf: '${file}' has more than one sequence directive`})
        }
        continue
      }
      const node = isScalar(value) ? value : undefined
      const valueAt = node ? at(node.range?.[0]) : keyAt
      pool.entries.push({key, line: keyAt.line ?? 0, values: [{text: String(node?.value ?? ''), line: valueAt.line ?? keyAt.line ?? 0, column: valueAt.column ?? 0}], sequence: false, skipped: 0})
    }
    return pool
  }
}
