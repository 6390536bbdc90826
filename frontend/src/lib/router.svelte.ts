// The current route as reactive state, following location.hash.
import { askLeave, takeAllowed } from './leave.svelte'
import { parseHash, routeHash, type Route } from './router'

export const nav = $state<{ route: Route }>({ route: parseHash(location.hash) })

// The address of the page shown, to go back to when leaving it is held.
let shown = location.hash

window.addEventListener('hashchange', () => {
  const to = location.hash
  if (to !== shown && !takeAllowed(to) && askLeave(to)) {
    // Held until answered (a link or Back): the address stays the page's.
    history.replaceState(history.state, '', shown || '#/')
    return
  }
  shown = to
  nav.route = parseHash(to)
})

/**
 * navigate goes to a route. With replace the history entry is replaced (for
 * typing in the search box, or redirects), so Back is not full of keystrokes.
 */
export function navigate(route: Route, opts: { replace?: boolean } = {}): void {
  const hash = routeHash(route)
  if (hash === location.hash) {
    nav.route = parseHash(hash)
    return
  }
  if (opts.replace) {
    history.replaceState(history.state, '', hash)
    shown = hash
    nav.route = parseHash(hash)
  } else {
    location.hash = hash
  }
}
