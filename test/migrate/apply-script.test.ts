// The stream's apply script (changes/apply-script.ts) on a real server: each slot's mark moves with
// its writes; a call sent again with the check on applies nothing twice; a failing command holds
// back the later commands of its slot only. On a one-master cluster, so that a call over many
// slots must pass the cluster's rules (no declared keys across slots).
import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'
import {Redis} from 'ioredis'
import {keySlot} from '../../src/hashing/index.js'
import {markKeyOfSlot, SourceMarks} from '../../src/migrate/changes/applied-marks.js'
import {applyScript, scriptArguments, type SlotCommand} from '../../src/migrate/changes/apply-script.js'
import {startCluster, type TestCluster} from './cluster-support.js'

function command(endOffset: number, ...args: string[]): SlotCommand {
  return {args: args.map((a) => Buffer.from(a)), slot: keySlot(args[1]), endOffset}
}

describe('the apply script', () => {
  let client: Redis
  let cluster: TestCluster
  const marks = new SourceMarks('source-a', 'epoch1')

  before(async () => {
    cluster = await startCluster({masters: 1})
    client = new Redis({port: cluster.masters[0].port})
  })

  after(async () => {
    client?.disconnect()
    await cluster?.stop()
  })

  async function apply(commands: SlotCommand[], check: boolean): Promise<Array<number | Buffer>> {
    const {numKeys, args: rest} = scriptArguments(commands, marks, check)
    return applyScript(client)(numKeys, ...rest)
  }

  test('marks move with the writes; sent again with the check, nothing is applied twice', async () => {
    const commands = [command(10, 'INCR', 'n'), command(20, 'APPEND', 'text', 'a'), command(30, 'LPUSH', 'list', 'x'), command(40, 'INCR', 'n')]
    assert.deepEqual(await apply(commands, false), [])
    assert.equal(await client.get('n'), '2')
    assert.equal(await client.hget(markKeyOfSlot(keySlot('n')), 'o:source-a'), 'epoch1 40')
    assert.equal(await client.hget(markKeyOfSlot(keySlot('list')), 'o:source-a'), 'epoch1 30')
    assert.deepEqual(await apply([...commands, command(50, 'INCR', 'n')], true), [])
    assert.equal(await client.get('n'), '3', 'only the command past the mark')
    assert.equal(await client.get('text'), 'a')
    assert.deepEqual(await client.lrange('list', 0, -1), ['x'])
    // another epoch (a new snapshot) does not match the marks
    const {numKeys, args: rest} = scriptArguments([command(20, 'INCR', 'n')], new SourceMarks('source-a', 'epoch2'), true, true)
    await applyScript(client)(numKeys, ...rest)
    assert.equal(await client.get('n'), '4')
  })

  test('a failing command holds back the later commands of its slot, not the others', async () => {
    await client.set('word', 'abc')
    const failed = await apply([command(100, 'INCR', 'word'), command(110, 'APPEND', 'word', '!'), command(120, 'SET', 'elsewhere', 'v')], false)
    assert.equal(failed.length, 4)
    assert.deepEqual([Number(failed[0]), Number(failed[2])], [1, 2])
    assert.match(String(failed[1]), /not an integer/)
    assert.equal(await client.get('word'), 'abc')
    assert.equal(await client.get('elsewhere'), 'v')
  })
})
