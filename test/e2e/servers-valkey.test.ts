// Valkey 9.1 (Debian unstable) under every lab topology.
import {describeLabsOn} from './servers-lab-fixture.js'

describeLabsOn('valkey-9.1', {sentinel: true})
