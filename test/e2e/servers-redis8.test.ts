// Redis 8.0 (Debian 13) under every lab topology.
import {describeLabsOn} from './servers-lab-fixture.js'

describeLabsOn('redis-8.0', {sentinel: true})
