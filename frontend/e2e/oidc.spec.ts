import { expect, test } from '@playwright/test'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// Rollcall as the school's sign-in for another app (issue 15, shown 1): a
// real relying party, oauth2-proxy, protects a small upstream web app with
// Rollcall as its OpenID Connect provider. Chromium opens the upstream
// through the proxy, is sent to Rollcall's /signin, signs in as a pupil with
// the password from their slip, and lands on the upstream page, which echoes
// the X-Forwarded-Email and X-Forwarded-Preferred-Username headers the
// proxy took from Rollcall's ID token. This story runs its own Rollcall
// (18480), oauth2-proxy (18481) and upstream (18482); $OIDC_E2E_PORT moves them.

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const proxyBin = env.OAUTH2_PROXY_BIN ?? '../build/bin/oauth2-proxy'
const port = Number(env.OIDC_E2E_PORT ?? 18480)
const base = `http://127.0.0.1:${port}`
const proxyBase = `http://127.0.0.1:${port + 1}`
const upstreamPort = port + 2

let dir = ''
let server: ReturnType<typeof spawn> | null = null
let proxy: ReturnType<typeof spawn> | null = null
let upstream: Server | null = null
let pupil = { username: '', email: '', password: '' }

function rollcall(args: string[], input = ''): string {
  return execFileSync(bin, [...args, '--db', join(dir, 'oidc.db')], {
    encoding: 'utf8',
    input,
    env: { ...env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
}

async function waitFor(url: string, what: string) {
  for (let i = 0; i < 150; i++) {
    try {
      const res = await fetch(url, { redirect: 'manual' })
      if (res.status < 500) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what} did not start`)
}

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-oidc-'))
  rollcall(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  rollcall(['org', 'set', '--org', 'maple', '--login-domain', 'pupils.maple.example'])
  rollcall(['group', 'create', '--org', 'maple', '--name', '5C'])
  writeFileSync(join(dir, '5c.txt'), 'Aino Korhonen\n')
  rollcall(['users', 'create', '--org', 'maple', '--group', '5C', '--names', join(dir, '5c.txt'), '--slips', join(dir, '5c.pdf'), '--csv', join(dir, '5c.csv')])
  const row = readFileSync(join(dir, '5c.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/)[1].split(',')
  pupil = { username: row[2], email: row[3], password: row[4] }

  const out = rollcall(['app', 'add', '--org', 'maple', '--name', 'Class wiki', '--redirect', `${proxyBase}/oauth2/callback`])
  const clientID = /Client ID:\s+(\S+)/.exec(out)?.[1] ?? ''
  const secret = /Client secret:\s+(\S+)/.exec(out)?.[1] ?? ''
  expect(clientID).not.toBe('')
  expect(secret).not.toBe('')

  upstream = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    const h = (n: string) => String(req.headers[n] ?? '').replace(/[<&]/g, '')
    res.end(`<!doctype html><title>Class wiki</title><h1>Class wiki</h1>` +
      `<p id="email">email=${h('x-forwarded-email')}</p><p id="username">username=${h('x-forwarded-preferred-username')}</p>`)
  })
  await new Promise<void>((r) => upstream!.listen(upstreamPort, '127.0.0.1', r))

  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'oidc.db')], base, {
    env: { ...env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })

  proxy = spawn(proxyBin, [
    '--provider=oidc', `--oidc-issuer-url=${base}`, `--client-id=${clientID}`, `--client-secret=${secret}`,
    `--redirect-url=${proxyBase}/oauth2/callback`, `--http-address=127.0.0.1:${port + 1}`,
    `--upstream=http://127.0.0.1:${upstreamPort}/`, '--cookie-secret=0123456789abcdef0123456789abcdef',
    '--cookie-secure=false', '--email-domain=*', '--pass-user-headers=true', '--skip-provider-button=true',
    '--code-challenge-method=S256', '--scope=openid profile email',
    // A generated login address is sent with email_verified false, as it should be.
    '--insecure-oidc-allow-unverified-email=true',
  ], { stdio: ['ignore', 'ignore', 'inherit'] })
  await waitFor(proxyBase + '/ping', 'oauth2-proxy')
})

test.afterAll(async () => {
  await stop(proxy)
  await stop(server)
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()))
  if (dir) rmSync(dir, { recursive: true, force: true })
})

test('a pupil signs in to an app behind oauth2-proxy through Rollcall', async ({ page }) => {
  await page.goto(proxyBase + '/')
  await expect(page).toHaveURL(new RegExp(`^${base}/signin\\?authRequest=`))
  await expect(page.getByText('Sign in to continue to Class wiki.')).toBeVisible()
  await page.getByLabel('Username or email').fill(pupil.username)
  await page.getByLabel('Password').fill(pupil.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Class wiki' })).toBeVisible()
  expect(page.url().startsWith(proxyBase)).toBe(true)
  await expect(page.locator('#email')).toHaveText(`email=${pupil.email}`)
  await expect(page.locator('#username')).toHaveText(`username=${pupil.username}`)
})
