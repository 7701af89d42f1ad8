import {test, describe} from 'node:test'
import assert from 'node:assert/strict'
import {isReplicaRole, parseVersionLine, traitsOf, versionFromInfo} from '../../src/servers/traits.js'
import {launchedProgram} from '../../src/servers/programs.js'
import {catalogEntry} from '../../src/servers/catalog.js'
import {isUserError} from '../../src/errors.js'

describe('server traits', () => {
  test('reads the product and version from --version', () => {
    assert.deepEqual(parseVersionLine('Valkey server v=9.1.2 sha=00000000:0 malloc=jemalloc-5.3.1 bits=64 build=9108e8f1788612b'), {product: 'valkey', version: '9.1.2'})
    assert.deepEqual(parseVersionLine('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1'), {product: 'redis', version: '7.0.15'})
    assert.equal(parseVersionLine('valkey-server: GLIBC_2.38 not found'), undefined)
  })

  test('INFO: valkey_version wins over the redis_version:7.2.4 Valkey keeps for clients', () => {
    assert.deepEqual(versionFromInfo(new Map([['redis_version', '7.2.4'], ['valkey_version', '9.1.2']])), {product: 'valkey', version: '9.1.2'})
    assert.deepEqual(versionFromInfo(new Map([['redis_version', '8.0.2']])), {product: 'redis', version: '8.0.2'})
  })

  test('atomic slot migration: Valkey from 9.0, Redis from 8.4', () => {
    assert.equal(traitsOf({product: 'valkey', version: '8.1.1'}).atomicSlotMigration, undefined)
    assert.equal(traitsOf({product: 'valkey', version: '9.0.0'}).atomicSlotMigration, 'valkey-migrateslots')
    assert.equal(traitsOf({product: 'redis', version: '8.0.6'}).atomicSlotMigration, undefined)
    assert.equal(traitsOf({product: 'redis', version: '8.4.0'}).atomicSlotMigration, 'redis-cluster-migration')
    assert.deepEqual(traitsOf({product: 'valkey', version: '9.1.2'}).programs, {server: 'valkey-server', sentinel: 'valkey-sentinel', cli: 'valkey-cli'})
  })

  test('replicas are spelled slave or replica', () => {
    assert.ok(isReplicaRole('slave'))
    assert.ok(isReplicaRole('replica'))
    assert.ok(!isReplicaRole('master'))
  })

  test('the program a loader runs is named by its own path', () => {
    assert.equal(launchedProgram('/s/usr/lib64/ld-linux-x86-64.so.2', ['--library-path', '/s/usr/lib', '/s/usr/bin/valkey-server', 'redis.conf']), 'valkey-server')
    assert.equal(launchedProgram('/usr/bin/redis-server', ['redis.conf']), 'redis-server')
  })

  test('the catalog names its servers, and an unknown name lists them', () => {
    assert.equal(catalogEntry('valkey-9.1').suite, 'sid')
    assert.throws(() => catalogEntry('valkey-7'), (error) => isUserError(error) && /choose redis-8\.0, valkey-8\.1, valkey-9\.1/.test(error.message))
  })
})
