// The tools on valkey-9.1: see ../versions/tools-scenario.ts.
import {describeToolsOn} from '../versions/tools-scenario.js'

describeToolsOn('valkey-9.1')
