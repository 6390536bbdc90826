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
