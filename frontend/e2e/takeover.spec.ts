import { expect, test } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { stop } from './stop'

// Issue 10, defect 1 in the browser: a join moves an account only with its
// current password, typed on the accept page; a sign-up with an address is
// told to check its mail, and the mail's link confirms the address once.
// Its own mail server (build/bin/smtpsink, a real go-smtp server) and its own
// `rollcall serve` on E2E_PORT+4 (18850–18899 when E2E_PORT is 18850).

const admin = { username: 'it.admin', password: 'correct horse 42' }
const port = Number(process.env.E2E_PORT ?? 18397) + 4
const base = `http://127.0.0.1:${port}`

interface Mail {
  to: string[]
  subject: string
  text: string
}

let sinkProc: ChildProcess
let sinkHTTP = ''
let sinkHost = ''
let sinkPort = 0
let serve: ChildProcess
let dir = ''

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

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-takeover-e2e-'))
  sinkProc = spawn(resolve(process.env.SMTPSINK_BIN ?? '../build/bin/smtpsink'), [], { stdio: ['pipe', 'pipe', 'inherit'] })
  const info = JSON.parse((await firstLine(sinkProc, /^\{.*\}$/))[0])
  sinkHost = info.host
  sinkPort = info.port
  sinkHTTP = 'http://' + info.http
  serve = spawn(resolve(process.env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'), ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'e2e.db')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
  await firstLine(serve, /running at (http:\/\/\S+)/)
})

test.afterAll(async () => {
  await stop(serve)
  sinkProc?.stdin?.end()
  sinkProc?.kill('SIGTERM')
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function mailTo(addr: string): Promise<Mail> {
  let found: Mail | undefined
  await expect
    .poll(
      async () => {
        const all = (await (await fetch(sinkHTTP + '/messages')).json()) as Mail[]
        found = all.filter((m) => m.to.includes(addr)).pop()
        return found !== undefined
      },
      { timeout: 20_000, message: `a mail to ${addr}` },
    )
    .toBe(true)
  return found!
}

test('a join asks for the current password; a sign-up confirms its address by mail', async ({ page, browser }) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  const api = async (method: 'post' | 'patch', path: string, data: unknown) => {
    const r = await page.request[method](base + path, { data })
    expect(r.ok(), `${method} ${path}: ${await r.text()}`).toBe(true)
    return r.json()
  }

  await test.step('first admin; Maple with a public address and a relay; Birch with a verified account', async () => {
    await page.goto(base + '/')
    await page.getByLabel('Username').fill(admin.username)
    await page.getByLabel('Password', { exact: true }).fill(admin.password)
    await page.getByLabel('Password again').fill(admin.password)
    await page.getByRole('button', { name: 'Create admin and sign in' }).click()
    await page.getByRole('button', { name: 'Create the first organization' }).click()
    const dlg = page.getByRole('dialog', { name: 'New organization' })
    await dlg.getByLabel('Name', { exact: true }).fill('Maple Primary School')
    await dlg.getByLabel(/^Short name/).fill('maple')
    await dlg.getByRole('button', { name: 'Create organization' }).click()
    await expect(page).toHaveURL(/#\/o\/maple\/users$/)
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Settings' }).click()
    await page.getByLabel(/^Public address/).fill(base)
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expect(page.getByText('Settings saved.')).toBeVisible()
    await page.getByLabel('Relay host').fill(sinkHost)
    await page.getByLabel('Security').selectOption('none')
    await page.getByLabel('Port', { exact: true }).fill(String(sinkPort))
    await page.getByLabel('Sender', { exact: true }).fill('Maple Primary <no-reply@maple.example>')
    await page.getByRole('button', { name: 'Save email settings' }).click()
    await expect(page.getByText('Email settings saved.')).toBeVisible()
    await api('post', '/api/organizations', { name: 'Birch School', slug: 'birch' })
    await api('post', '/api/organizations/birch/users', { first_name: 'Jo', last_name: 'Birch', email: 'jo@birch.example', password: 'jo-own-pass-123' })
  })

  await test.step('Maple invites the Birch address: a join', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Add users' }).click()
    await page.getByLabel('Email addresses').fill('jo@birch.example')
    await page.getByRole('button', { name: 'Invite 1 person' }).click()
    await expect(page.getByText('1 invitation queued.', { exact: false })).toBeVisible()
    await expect(page.getByText('they get a link to move it here')).toBeVisible()
  })

  await test.step('the accept page asks for the current password, refuses a wrong one, moves with the right one', async () => {
    const m = await mailTo('jo@birch.example')
    expect(m.subject).toBe('Join Maple Primary School with your account')
    const link = m.text.match(/(http:\/\/\S+\/invite\/[A-Za-z0-9_-]+)/)![1]
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } })
    const p = await phone.newPage()
    p.on('pageerror', (e) => pageErrors.push(e.message))
    await p.goto(link)
    await expect(p.getByRole('heading', { name: 'Join Maple Primary School' })).toBeVisible()
    await expect(p.getByText('Enter it to confirm that the account is yours.')).toBeVisible()
    await expect(p.getByLabel('Choose a password')).toHaveCount(0)
    await p.getByLabel('Your current password').fill('not-my-password')
    await p.getByRole('button', { name: 'Join Maple Primary School' }).click()
    await expect(p.getByText('That is not the password of your account.')).toBeVisible()
    await expect(p.getByLabel('Your current password')).toBeFocused()
    await p.screenshot({ path: `${test.info().project.testDir}/artifacts/takeover-01-join-wrong-password.png`, fullPage: true })
    await p.getByLabel('Your current password').fill('jo-own-pass-123')
    await p.getByRole('button', { name: 'Join Maple Primary School' }).click()
    await expect(p.getByRole('heading', { name: 'Your account is ready' })).toBeVisible()
    await expect(p.getByText('and your password')).toBeVisible()
    await phone.close()
    const users = await (await page.request.get(base + '/api/organizations/maple/users')).json()
    expect(users.users.map((u: { email: string }) => u.email)).toContain('jo@birch.example')
  })

  await test.step('a sign-up with an address is told to check its mail; the link confirms it once', async () => {
    await api('patch', '/api/organizations/maple', { signup: { enabled: true } })
    const code = (await (await page.request.get(base + '/api/organizations/maple/invite-code')).json()).code as string
    const tablet = await browser.newContext({ viewport: { width: 820, height: 1180 } })
    const t = await tablet.newPage()
    t.on('pageerror', (e) => pageErrors.push(e.message))
    await t.goto(`${base}/join/${code}`)
    await t.getByLabel('First name').fill('Val')
    await t.getByLabel('Username').fill('val.id')
    await t.getByLabel('Email').fill('val@home.example')
    await t.getByLabel('Password', { exact: true }).fill('val-pass-12345')
    await t.getByRole('button', { name: 'Sign up' }).click()
    await expect(t.getByRole('heading', { name: 'You’re in!' })).toBeVisible()
    await expect(t.getByText('Check your mail: we sent a link to confirm your email address.')).toBeVisible()
    await t.screenshot({ path: `${test.info().project.testDir}/artifacts/takeover-02-signup-check-mail.png`, fullPage: true })

    const m = await mailTo('val@home.example')
    expect(m.subject).toBe('Confirm your email address for Maple Primary School')
    const link = m.text.match(/(http:\/\/\S+\/verify\/[A-Za-z0-9_-]+)/)![1]
    const res = await t.goto(link)
    expect(res?.headers()['cache-control']).toBe('no-store')
    await t.getByRole('button', { name: 'Confirm my address' }).click()
    await expect(t.getByRole('heading', { name: 'Your email address is confirmed' })).toBeVisible()
    await t.goto(link)
    await t.getByRole('button', { name: 'Confirm my address' }).click()
    await expect(t.getByRole('heading', { name: 'This link does not work' })).toBeVisible()
    await tablet.close()
  })

  expect(pageErrors).toEqual([])
})
