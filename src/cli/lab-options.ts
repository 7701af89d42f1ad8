// The flag and argument every lab command takes the same way: which lab (--lab, or the only
// one there is; --name and -n still work) and which of its nodes. One definition, so the help
// reads alike everywhere.
import {Args, Flags} from '@oclif/core'

export const labNameFlag = Flags.string({
  char: 'n',
  aliases: ['name'],
  description: 'lab name (default: the only lab, or the only running one); --name is the same',
  helpValue: 'NAME',
})

export const labNodeArg = Args.string({description: 'node name as shown by twlab status (m1, m1-r1, s1, proxy)', required: true})
