import { expect, test, type Page } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { stop } from './stop'

// Email invitations end to end: the test starts its own mail server (a real
// go-smtp server, build/bin/smtpsink) and its own `rollcall serve` on a fresh
// database and key file, then an admin configures the relay, invites three
// addresses in one paste, the test reads the mail, opens the link in
// Chromium, sets a password, signs in to the portal, and sees the
// invitation gone from the list.

const admin = { username: 'it.admin', password: 'correct horse 42' }

interface Sink {
  proc: ChildProcess
  host: string
  port: number
  http: string
}
interface Mail {
  to: string[]
  subject: string
  text: string
  html: string
}

let sink: Sink
let serve: ChildProcess
let base = ''
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
  dir = mkdtempSync(join(tmpdir(), 'rollcall-invite-e2e-'))
  const sinkBin = resolve(process.env.SMTPSINK_BIN ?? '../build/bin/smtpsink')
  const sinkProc = spawn(sinkBin, [], { stdio: ['pipe', 'pipe', 'inherit'] })
  const line = await firstLine(sinkProc, /^\{.*\}$/)
  const info = JSON.parse(line[0])
  sink = { proc: sinkProc, host: info.host, port: info.port, http: 'http://' + info.http }

  const bin = resolve(process.env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e')
  serve = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--db', join(dir, 'e2e.db')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
  const m = await firstLine(serve, /running at (http:\/\/\S+)/)
  base = m[1]
})

test.afterAll(async () => {
  await stop(serve)
  sink?.proc.stdin?.end()
  sink?.proc.kill('SIGTERM')
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function mails(): Promise<Mail[]> {
  const r = await fetch(sink.http + '/messages')
  return (await r.json()) as Mail[]
}

async function waitForMails(n: number): Promise<Mail[]> {
  let got: Mail[] = []
  await expect.poll(async () => (got = await mails()).length, { timeout: 20_000, message: `${n} mails at the test server` }).toBeGreaterThanOrEqual(n)
  return got
}

test('invite by email, accept the link, sign in to the portal', async ({ page, browser }) => {
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  let n = 0
  const shot = async (p: Page, name: string) => {
    n++
    await p.screenshot({ path: `${test.info().project.testDir}/artifacts/invite-${String(n).padStart(2, '0')}-${name}.png`, fullPage: true })
  }

  await test.step('first admin and an organization with a public address', async () => {
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
  })

  await test.step('configure the relay and send a test message', async () => {
    await page.getByLabel('Relay host').fill(sink.host)
    await page.getByLabel('Security').selectOption('none')
    await page.getByLabel('Port', { exact: true }).fill(String(sink.port))
    await page.getByLabel('Sender', { exact: true }).fill('Maple Primary <no-reply@maple.example>')
    await page.getByRole('button', { name: 'Save email settings' }).click()
    await expect(page.getByText('Email settings saved.')).toBeVisible()
    await page.getByLabel('To', { exact: true }).fill('it@maple.example')
    await page.getByRole('button', { name: 'Send test message' }).click()
    await expect(page.getByText('The relay accepted the test message for it@maple.example.')).toBeVisible()
    await shot(page, 'email-settings')
    const got = await waitForMails(1)
    expect(got[0].subject).toContain('Rollcall test message')
  })

  await test.step('invite three addresses in one paste', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Add users' }).click()
    await expect(page.getByRole('tab', { name: 'Invite by email' })).toHaveAttribute('aria-selected', 'true')
    await page.getByLabel('Email addresses').fill('Ada Lovelace <ada@maple.example>, grace@maple.example;\nlin@maple.example')
    await page.getByLabel('Account type').selectOption('teacher')
    await shot(page, 'invite-form')
    await page.getByRole('button', { name: 'Invite 3 people' }).click()
    await expect(page.getByText('3 invitations queued.', { exact: false })).toBeVisible()
    await shot(page, 'invite-result')
  })

  let link = ''
  await test.step('read the mail at the test server', async () => {
    const got = await waitForMails(4)
    const grace = got.find((m) => m.to.includes('grace@maple.example'))!
    expect(grace.subject).toBe('You are invited to Maple Primary School')
    // The admin has no display name: the mail does not name them by their login.
    expect(grace.text).toContain('You are invited to Maple Primary School')
    expect(grace.text).not.toContain(admin.username)
    const m = grace.text.match(/(http:\/\/\S+\/invite\/[A-Za-z0-9_-]+)/)
    expect(m, 'a link in the text part').not.toBeNull()
    link = m![1]
    expect(link.startsWith(base + '/invite/')).toBe(true)
    expect(grace.html).toContain(`href="${link}"`)
  })

  await test.step('the invitations list shows three, sent', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Invitations' }).click()
    await expect(page.locator('tbody tr')).toHaveCount(3)
    await expect(page.locator('tr[data-invitation="grace@maple.example"]')).toContainText('Sent')
    await shot(page, 'invitations-before')
  })

  await test.step('open the link on a phone-sized screen, set name and password', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } })
    const p = await phone.newPage()
    const res = await p.goto(link)
    expect(res?.headers()['cache-control']).toBe('no-store')
    expect(res?.headers()['referrer-policy']).toBe('no-referrer')
    await expect(p.getByRole('heading', { name: 'Welcome to Maple Primary School' })).toBeVisible()
    await p.getByLabel('First name').fill('Grace')
    await p.getByLabel('Last name').fill('Hopper')
    await p.getByLabel('Choose a password').fill('cobol rocks 1959')
    await p.getByLabel('Password again').fill('cobol rocks 1959')
    await shot(p, 'accept-form-phone')
    await p.getByRole('button', { name: 'Activate my account' }).click()
    await expect(p.getByRole('heading', { name: 'Your account is ready' })).toBeVisible()
    await shot(p, 'accepted-phone')

    await p.getByRole('link', { name: 'Sign in' }).click()
    await expect(p).toHaveURL(/\/signin\?username=grace%40maple\.example$/)
    await expect(p.getByLabel('Username or email')).toHaveValue('grace@maple.example')
    await p.getByLabel('Password').fill('cobol rocks 1959')
    await p.getByRole('button', { name: 'Sign in' }).click()
    await expect(p).toHaveURL(/\/account$/)
    await expect(p.getByRole('heading', { name: 'Hello, Grace' })).toBeVisible()
    await expect(p.getByText('Maple Primary School').first()).toBeVisible()
    await shot(p, 'portal-account-phone')

    // The link works once: opened again it says so and, the account being
    // active, offers the sign-in instead of asking for a new invitation.
    await p.goto(link)
    await expect(p.getByRole('heading', { name: 'This invitation is already accepted' })).toBeVisible()
    await expect(p.getByText('the account is active: sign in with it')).toBeVisible()
    await expect(p.getByText('Ask the person who invited you')).toHaveCount(0)
    await expect(p.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/signin')
    await shot(p, 'used-link-phone')
    await phone.close()
  })

  await test.step('the invitation is gone from the list; the person is in Users', async () => {
    await page.reload()
    await expect(page.locator('tbody tr')).toHaveCount(2)
    await expect(page.locator('tr[data-invitation="grace@maple.example"]')).toHaveCount(0)
    await shot(page, 'invitations-after')
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users', exact: true }).click()
    await expect(page.getByText('grace@maple.example')).toBeVisible()
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Outbox' }).click()
    await expect(page.locator('tbody tr')).toHaveCount(3)
    await shot(page, 'outbox')
  })

  await test.step('the relay goes away: the invitation waits and a banner says so', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Settings' }).click()
    await page.getByLabel('Port', { exact: true }).fill('1') // nothing listens there
    await page.getByRole('button', { name: 'Save email settings' }).click()
    await expect(page.getByText('Email settings saved.')).toBeVisible()
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Add users' }).click()
    await page.getByLabel('Email addresses').fill('late@maple.example')
    await page.getByRole('button', { name: 'Invite 1 person' }).click()
    await expect(page.getByText('1 invitation queued.', { exact: false })).toBeVisible()
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Invitations' }).click()
    await expect.poll(async () => {
      await page.reload()
      return page.getByText(/1 invitation waiting — relay unreachable since/).isVisible()
    }, { timeout: 20_000 }).toBe(true)
    await expect(page.locator('tr[data-invitation="late@maple.example"]')).toContainText('Queued')
    await shot(page, 'relay-unreachable-banner')
    await page.getByRole('link', { name: 'Open the outbox' }).click()
    await expect(page.locator('tr[data-message="late@maple.example"]')).toContainText('connection refused')
    await shot(page, 'outbox-waiting')
  })

  expect(pageErrors).toEqual([])
})
