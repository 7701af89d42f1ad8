// What the bundle (scripts/bundle.js) gives for `import ... from '@oclif/core'`: only the parts
// our commands and src/cli use. oclif's index loads everything (help, the runner, the module
// loader...) at every start; these modules load only what a running command needs.
export * as Args from '@oclif/core/args'
export * as Flags from '@oclif/core/flags'
export {Command} from '@oclif/core/command'
export {Config} from '@oclif/core/config'
