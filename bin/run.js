#!/usr/bin/env node
// twlab: the oclif entry. Commands live in dist/commands (built from commands/).
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
