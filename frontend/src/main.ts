import { mount } from 'svelte'
import App from './App.svelte'
import './app.css'

// Svelte 5 mounts with mount(); the Wails template's `new App()` leaves the window blank.
const app = mount(App, { target: document.getElementById('app')! })

export default app
