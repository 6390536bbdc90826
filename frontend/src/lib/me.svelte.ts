// The signed-in admin, as reactive state for every page: set by App.svelte
// when a session starts or ends. Pages ask allowed(...) what to show; the
// rules are in access.ts.
import { can, type Action, type Scope } from './access'
import type { Session } from './types'

export const me = $state<{ session: Session | null }>({ session: null })

/** scope is the signed-in admin's scope (null: a server admin, or nobody). */
export function scope(): Scope | null {
  return me.session?.scope ?? null
}

/** allowed: may the signed-in admin do what (on group, an ID)? */
export function allowed(what: Action, group?: string): boolean {
  return can(scope(), what, group)
}

// What must reach the server before the admin's session ends (a page's
// held decision, such as a rejection still waiting for its Undo time).
const beforeSignOut = new Set<() => Promise<void>>()

/** onSignOut registers fn to run (and be awaited) before signing out; it returns the function that lifts it. */
export function onSignOut(fn: () => Promise<void>): () => void {
  beforeSignOut.add(fn)
  return () => beforeSignOut.delete(fn)
}

/** finishBeforeSignOut runs what onSignOut registered; a failure does not keep the admin signed in. */
export async function finishBeforeSignOut(): Promise<void> {
  await Promise.allSettled([...beforeSignOut].map((fn) => fn()))
}
