// The current route as reactive state, following location.hash.
import { parseHash, routeHash, type Route } from './router'

export const nav = $state<{ route: Route }>({ route: parseHash(location.hash) })

window.addEventListener('hashchange', () => {
  nav.route = parseHash(location.hash)
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
    nav.route = parseHash(hash)
  } else {
    location.hash = hash
  }
}
