import { spawn, type ChildProcess } from 'node:child_process'

export interface ServeOptions {
  /** the server's environment; the spec's own when left out */
  env?: NodeJS.ProcessEnv
  /** keep what the server writes (stdout and stderr) and put it in the
   * error if it does not start; otherwise its output is ignored */
  keepOutput?: boolean
}

/** startServe spawns `bin args` (a `rollcall serve`) and waits until
 * base + '/healthz' answers OK. If it does not within 10 s, it ends the
 * server and throws. */
export async function startServe(bin: string, args: string[], base: string, opts: ServeOptions = {}): Promise<ChildProcess> {
  const p = spawn(bin, args, {
    stdio: opts.keepOutput ? ['ignore', 'pipe', 'pipe'] : 'ignore',
    ...(opts.env ? { env: opts.env } : {}),
  })
  let output = ''
  if (opts.keepOutput) {
    const take = (d: Buffer | string) => (output += d)
    p.stdout?.on('data', take)
    p.stderr?.on('data', take)
  }
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && p.exitCode === null && p.signalCode === null) {
    try {
      if ((await fetch(base + '/healthz')).ok) return p
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  p.kill('SIGTERM')
  throw new Error('rollcall serve did not start' + (output ? ': ' + output : ''))
}
