import { mount } from 'svelte'
import App from './App.svelte'
import PublicApp from './PublicApp.svelte'
import { parsePublicPath } from './lib/publicroute'
import { useLanguage } from './lib/i18n.svelte'
import './app.css'

// Public pages (sign-in portal, invitation links) are real paths; the admin
// app lives at / with hash routes.
const publicRoute = parsePublicPath(location.pathname, location.search)

// The person's choice or the browser's language until a page knows better
// (the organization's default, an invitation's language).
useLanguage()

// Svelte 5 mounts with mount(); the Wails template's `new App()` leaves the window blank.
const target = document.getElementById('app')!
const app = publicRoute ? mount(PublicApp, { target, props: { route: publicRoute } }) : mount(App, { target })

export default app
