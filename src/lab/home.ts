// Where labs live on disk: $TWLAB_HOME (default ~/.twlab), one folder per lab.
import {homedir} from 'node:os'
import {join} from 'node:path'

export const DEFAULT_LAB_NAME = 'default'

/** The folder holding every lab; TWLAB_HOME lets tests and CI keep labs in a temp dir. */
export function twlabHome(): string {
  const fromEnv = process.env.TWLAB_HOME
  return fromEnv && fromEnv.length > 0 ? fromEnv : join(homedir(), '.twlab')
}

export function labDir(name: string): string {
  return join(twlabHome(), 'labs', name)
}

export function stateFile(name: string): string {
  return join(labDir(name), 'state.json')
}

/** Lab names become folder names and Sentinel master names, so keep them to a safe charset. */
export function isValidLabName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/.test(name)
}
