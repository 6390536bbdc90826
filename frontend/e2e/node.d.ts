// The few Node APIs the browser tests use (the project has no @types/node).
declare module 'node:child_process' {
  export function execFileSync(file: string, args: string[], opts: { encoding: 'utf8'; input?: string; stdio?: ('pipe' | 'ignore')[] }): string
  interface Child {
    kill(signal?: string): boolean
    on(event: 'exit', cb: (code: number | null) => void): Child
  }
  export function spawn(cmd: string, args: string[], opts?: { stdio?: 'ignore' | 'inherit' | 'pipe' }): Child
}
declare module 'node:fs' {
  export function mkdtempSync(prefix: string): string
  export function readFileSync(path: string, encoding: 'utf8'): string
  export function rmSync(path: string, opts?: { recursive?: boolean; force?: boolean }): void
}
declare module 'node:os' {
  export function tmpdir(): string
}
declare module 'node:path' {
  export function join(...parts: string[]): string
}
