// The tools on redis-8.0: see ../versions/tools-scenario.ts.
import {describeToolsOn} from '../versions/tools-scenario.js'

describeToolsOn('redis-8.0')
