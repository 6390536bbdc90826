import { expect, test, type Page } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { stop } from './stop'

// The rest of the sign-in portal, end to end: the test starts its own mail
// server (build/bin/smtpsink, a real go-smtp server) and its own `rollcall
// serve` on port 18470 with a fresh database and key file. The world is set
// up through the admin API; what people do happens in Chromium:
// - "Forgot your password?" on /signin: the link is read from the mail
//   server, opened, a new password set and used; the link then fails.
// - An imported teacher's activation mail sets the first password.
// - A pupil of one organization moves to another with its class code.
// - /signin?org=maple offers "Create one" while Maple takes sign-ups.

const port = 18470
const admin = { username: 'it.admin', password: 'correct horse 42' }

interface Mail {
  to: string[]
  subject: string
  text: string
}

let sink: { proc: ChildProcess; host: string; port: number; http: string }
let serve: ChildProcess
let base = ''
let dir = ''
let cookie = ''
let oakCode = ''

function firstLine(proc: ChildProcess, match: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolvePromise, reject) => {
    const rl = createInterface({ input: proc.stdout! })
    const timer = setTimeout(() => reject(new Error(`no line matching ${match} within 20 s`)), 20_000)
    rl.on('line', (line) => {
      const m = line.match(match)
      if (m) {
        clearTimeout(timer)
        resolvePromise(m)
      }
    })
    proc.on('exit', (code) => reject(new Error(`exited with ${code} before ${match}`)))
  })
}

/** call is the admin API, as the signed-in admin. */
async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const set = r.headers.get('set-cookie')
  if (set && set.startsWith('rollcall_session=')) cookie = set.split(';')[0]
  const text = await r.text()
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
  return (text ? JSON.parse(text) : undefined) as T
}

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-portal-e2e-'))
  const sinkProc = spawn(resolve(process.env.SMTPSINK_BIN ?? '../build/bin/smtpsink'), [], { stdio: ['pipe', 'pipe', 'inherit'] })
  const info = JSON.parse((await firstLine(sinkProc, /^\{.*\}$/))[0])
  sink = { proc: sinkProc, host: info.host, port: info.port, http: 'http://' + info.http }
  serve = spawn(resolve(process.env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'), ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'e2e.db')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
  base = (await firstLine(serve, /running at (http:\/\/\S+)/))[1]

  await call('POST', '/api/setup', admin)
  for (const [name, slug] of [
    ['Maple Primary', 'maple'],
    ['Oak High', 'oak'],
  ]) {
    await call('POST', '/api/organizations', { name, slug })
    await call('PATCH', `/api/organizations/${slug}`, { public_url: base, signup: { enabled: true } })
  }
  await call('PUT', '/api/organizations/maple/smtp', { host: sink.host, port: sink.port, security: 'none', from: 'Maple Primary <no-reply@maple.example>' })
  await call('POST', '/api/organizations/maple/users', { first_name: 'Ada', last_name: 'Lovelace', username: 'ada', email: 'ada@maple.example', password: 'first password 11' })
  await call('POST', '/api/organizations/maple/users', { first_name: 'Pia', last_name: 'Berg', username: 'pia.berg', password: 'pupil password 12' })
  const g = await call<{ id: string }>('POST', '/api/organizations/oak/groups', { name: '7C' })
  oakCode = (await call<{ code: string }>('GET', `/api/organizations/oak/groups/${g.id}/invite-code`)).code
})

test.afterAll(async () => {
  await stop(serve)
  sink?.proc.stdin?.end()
  sink?.proc.kill('SIGTERM')
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function mailTo(address: string, n = 1): Promise<Mail> {
  let got: Mail[] = []
  await expect
    .poll(async () => {
      const all = (await (await fetch(sink.http + '/messages')).json()) as Mail[]
      got = all.filter((m) => m.to.includes(address))
      return got.length
    }, { timeout: 20_000, message: `mail number ${n} to ${address}` })
    .toBeGreaterThanOrEqual(n)
  return got[n - 1]
}

function linkIn(m: Mail): string {
  const found = m.text.match(/https?:\/\/\S+\/reset\/[A-Za-z0-9_-]+/)
  expect(found, m.text).not.toBeNull()
  return found![0]
}

function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  return errors
}

test('forgotten password by email: the link sets a new password once', async ({ page }) => {
  const errors = watchErrors(page)
  await page.goto(base + '/signin?org=maple')
  await expect(page.getByText('Don’t have an account at Maple Primary?')).toBeVisible()
  await expect(page.getByRole('link', { name: 'Create one' })).toHaveAttribute('href', '/join')

  await page.getByRole('button', { name: 'Forgot your password?' }).click()
  await expect(page.getByText(/No email address\? Ask your teacher/)).toBeVisible()
  await page.getByLabel('Your email address').fill('Ada@Maple.example')
  await page.getByRole('button', { name: 'Mail me a link' }).click()
  await expect(page.getByText(/^If an account has this email address/)).toBeVisible()

  const m = await mailTo('ada@maple.example')
  expect(m.subject).toContain('Choose a new password for Maple Primary')
  const link = linkIn(m)
  await page.goto(link)
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible()
  await expect(page.locator('#reset-policy')).not.toBeEmpty()
  await page.getByLabel('New password', { exact: true }).fill('second password 22')
  await page.getByLabel('The same password again').fill('second password 22')
  await page.getByRole('button', { name: 'Save my password' }).click()
  await expect(page.getByRole('heading', { name: 'Your password is set' })).toBeVisible()
  await page.getByRole('link', { name: 'Sign in' }).click()
  await expect(page.getByLabel('Username or email')).toHaveValue('ada')
  await page.getByLabel('Password').fill('second password 22')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page).toHaveURL(/\/account$/)

  await page.goto(link)
  await expect(page.getByRole('heading', { name: 'This link does not work' })).toBeVisible()
  expect(errors).toEqual([])
})

test('an imported teacher sets the password from the activation mail', async ({ page }) => {
  const errors = watchErrors(page)
  await page.goto(base + '/')
  await page.getByLabel('Username').fill(admin.username)
  await page.getByLabel('Password').fill(admin.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.goto(base + '/#/o/maple/users')
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Add users' }).click()
  await page.getByRole('tab', { name: 'Import file' }).click()
  const csv = 'First name,Last name,Email,Account type\r\nTove,Lind,tove.lind@maple.example,teacher\r\n'
  await page.locator('input[type=file]').setInputFiles({ name: 'staff.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
  await expect(page.getByRole('heading', { name: 'staff.csv' })).toBeVisible()
  await page.getByLabel(/Mail each person a link to set their password/).check()
  await page.getByRole('button', { name: 'Create 1 account' }).click()
  await expect(page.getByRole('heading', { name: 'Import finished' })).toBeVisible({ timeout: 30_000 })
  await expect(page.getByText('1 activation mail on its way')).toBeVisible()

  const m = await mailTo('tove.lind@maple.example')
  expect(m.subject).toContain('Your account at Maple Primary is ready')
  await page.goto(linkIn(m))
  await expect(page.getByRole('heading', { name: 'Set your password' })).toBeVisible()
  await page.getByLabel('New password', { exact: true }).fill('teacher password 33')
  await page.getByLabel('The same password again').fill('teacher password 33')
  await page.getByRole('button', { name: 'Save my password' }).click()
  await expect(page.getByRole('heading', { name: 'Your password is set' })).toBeVisible()
  await page.getByRole('link', { name: 'Sign in' }).click()
  await page.getByLabel('Password').fill('teacher password 33')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page).toHaveURL(/\/account$/)
  await expect(page.getByText('Maple Primary').first()).toBeVisible()
  expect(errors).toEqual([])
})

test('a pupil of one organization joins another with its code', async ({ page }) => {
  const errors = watchErrors(page)
  await page.goto(base + '/signin?username=pia.berg')
  await page.getByLabel('Password').fill('pupil password 12')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page).toHaveURL(/\/account$/)
  await expect(page.getByText('Maple Primary').first()).toBeVisible()
  await page.getByRole('textbox', { name: 'Invite code' }).fill(oakCode)
  await page.getByRole('button', { name: 'Use invite code' }).click()
  await expect(page.getByRole('heading', { name: 'Move your account to Oak High?' })).toBeVisible()
  await page.getByRole('button', { name: 'Move to Oak High' }).click()
  await expect(page.getByText('Your account is now at Oak High.')).toBeVisible()
  await expect(page.getByText('7C').first()).toBeVisible()
  // Signed in again with the same password, the account is Oak's.
  await page.context().clearCookies()
  await page.goto(base + '/signin?username=pia.berg')
  await page.getByLabel('Password').fill('pupil password 12')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page).toHaveURL(/\/account$/)
  await expect(page.getByText('Oak High').first()).toBeVisible()
  expect(errors).toEqual([])
})
