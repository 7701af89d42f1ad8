// The tools on system: see ../versions/tools-scenario.ts.
import {describeToolsOn} from '../versions/tools-scenario.js'

describeToolsOn('system')
