import type { ChildProcess } from 'node:child_process'

/** stop ends a server a spec started and waits until it has exited: Rollcall
 * writes on its way out (it compacts the file and may finish a backup), so
 * its folder can be removed only after that. */
export async function stop(p: ChildProcess | null | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()))
  p.kill('SIGTERM')
  await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 15_000))])
}
