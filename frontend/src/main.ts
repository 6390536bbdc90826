import { mount } from 'svelte'
import App from './App.svelte'
import JoinApp from './public/JoinApp.svelte'
import './app.css'

// Public sign-up pages are real paths (/join, /join/{CODE}, /link/{token});
// the admin UI is hash-routed at /.
const first = location.pathname.split('/')[1] ?? ''
const Root = first === 'join' || first === 'link' ? JoinApp : App

// Svelte 5 mounts with mount(); the Wails template's `new App()` leaves the window blank.
const app = mount(Root, { target: document.getElementById('app')! })

export default app
