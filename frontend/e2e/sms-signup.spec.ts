/// <reference types="node" />
import { expect, test, type Page } from '@playwright/test'
import type { ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// Sign-up with username and phone, as a pupil without email lives it: the
// admin sets up the SMS gateway in Settings → SMS (a test SMS arrives), the
// organization's sign-up asks for username and phone, the pupil signs up
// on /join, types the code from the SMS, and signs in. Then a person the
// admin created with a phone number types the code of their activation SMS
// on /signin, sets a password and signs in.
//
// This spec runs its own `rollcall serve` (fresh database, its own key
// file) on port 18540, and a tiny SMS sink on 18541 that answers as
// Kannel's sendsms interface does and keeps each text message.

const port = 18540
const sinkPort = 18541
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.admin', password: 'correct horse 42' }

interface SMS {
  to: string
  from: string
  text: string
}

let server: ChildProcess
let sink: Server
const texts: SMS[] = []

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  sink = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://sink').searchParams
    texts.push({ to: q.get('to') ?? '', from: q.get('from') ?? '', text: q.get('text') ?? '' })
    res.writeHead(202, { 'Content-Type': 'text/plain' })
    res.end('0: Accepted for delivery')
  })
  await new Promise<void>((resolve) => sink.listen(sinkPort, '127.0.0.1', resolve))
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-sms-'))
  const bin = process.env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'e2e.db')], base, {
    keepOutput: true,
    env: { ...process.env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
})

test.afterAll(async () => {
  await stop(server)
  await new Promise((resolve) => sink.close(resolve))
})

/** smsTo waits for the newest text message to the number. */
async function smsTo(number: string): Promise<SMS> {
  let found: SMS | undefined
  await expect
    .poll(() => {
      found = texts.filter((t) => t.to === number).pop()
      return found !== undefined
    }, { timeout: 20_000, message: `an SMS to ${number}` })
    .toBe(true)
  return found!
}

function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  return errors
}

test('a pupil signs up with username and phone, types the SMS code and signs in', async ({ page, browser }) => {
  const errors = watchErrors(page)
  const shot = (p: Page, name: string) => p.screenshot({ path: `${test.info().project.testDir}/artifacts/sms-${name}.png`, fullPage: true })

  await test.step('first admin, an organization taking sign-ups with username and phone', async () => {
    expect((await page.request.post(`${base}/api/setup`, { data: admin })).status()).toBe(201)
    expect((await page.request.post(`${base}/api/organizations`, { data: { name: 'Maple Primary', slug: 'maple' } })).status()).toBe(201)
    const r = await page.request.patch(`${base}/api/organizations/maple`, { data: { signup: { enabled: true, login: 'phone' } } })
    expect(r.status()).toBe(200)
  })

  await test.step('Settings → SMS: the gateway, and a test SMS that arrives', async () => {
    await page.goto(`${base}/#/o/maple/settings`)
    const sms = page.getByRole('region', { name: 'SMS' })
    await expect(sms.getByLabel('Gateway')).toBeVisible()
    await sms.getByLabel('Send SMS').check()
    await sms.getByLabel('Gateway').selectOption('kannel')
    await sms.getByLabel('sendsms address').fill(`http://127.0.0.1:${sinkPort}/cgi-bin/sendsms`)
    await sms.getByLabel('Username').fill('rollcall')
    await sms.getByLabel('Password').fill('kannel-send-pw')
    await sms.getByLabel('Sender').fill('Maple')
    await sms.getByRole('button', { name: 'Save SMS settings' }).click()
    await expect(page.getByText('SMS settings saved.')).toBeVisible()
    await expect(sms.getByText('One is saved; type a new one to replace it.')).toBeVisible()
    await sms.getByLabel('Phone number to send to').fill('+358 40 111 2222')
    await sms.getByRole('button', { name: 'Send test SMS' }).click()
    await expect(sms.getByText('The gateway accepted the test SMS for +358401112222.')).toBeVisible()
    expect((await smsTo('+358401112222')).text).toContain('Rollcall test message')
    await shot(page, '01-settings')
  })

  const code = (await (await page.request.get(`${base}/api/organizations/maple/invite-code`)).json()).code as string

  const tablet = await browser.newContext({ viewport: { width: 820, height: 1180 }, hasTouch: true, isMobile: true })
  const pupil = await tablet.newPage()
  const pupilErrors = watchErrors(pupil)

  await test.step('the pupil signs up with a username and a phone number, no email', async () => {
    await pupil.goto(`${base}/join/${code}`)
    await expect(pupil.getByRole('heading', { name: 'Join Maple Primary' })).toBeVisible()
    await expect(pupil.getByLabel('Email')).toHaveCount(0)
    await pupil.getByLabel('First name').fill('Noor')
    await pupil.getByLabel('Username').fill('noor.h')
    await pupil.getByLabel('Mobile phone').fill('+358 40 765 4321')
    await pupil.getByLabel('Password', { exact: true }).fill('tablet-pass-42')
    await shot(pupil, '02-form')
    await pupil.getByRole('button', { name: 'Sign up' }).click()
    await expect(pupil.getByRole('heading', { name: 'Check your phone' })).toBeVisible()
    await expect(pupil.getByText('ending …4321')).toBeVisible()
    await shot(pupil, '03-check-phone')
  })

  await test.step('no account before the code: signing in fails', async () => {
    const r = await page.request.post(`${base}/api/public/signin`, { data: { login: 'noor.h', password: 'tablet-pass-42' } })
    expect(r.status()).toBe(401)
  })

  const sms = await smsTo('+358407654321')
  const typed = sms.text.match(/code is ([0-9]{6})/)?.[1]
  expect(typed, sms.text).toBeTruthy()

  await test.step('a wrong code is refused, the right one makes the account', async () => {
    await pupil.getByLabel('Code from the SMS').fill(typed === '000000' ? '111111' : '000000')
    await pupil.getByRole('button', { name: 'Confirm' }).click()
    await expect(pupil.getByText(/That is not the code in the SMS\. 4 tries left\./)).toBeVisible()
    await pupil.getByLabel('Code from the SMS').fill(typed!)
    await pupil.getByRole('button', { name: 'Confirm' }).click()
    await expect(pupil.getByRole('heading', { name: 'You’re in!' })).toBeVisible()
    await expect(pupil.getByText('noor.h')).toBeVisible()
    await shot(pupil, '04-done')
  })

  await test.step('the pupil signs in', async () => {
    await pupil.getByRole('link', { name: 'Sign in' }).click()
    await expect(pupil.getByLabel('Username or email')).toHaveValue('noor.h')
    await pupil.getByLabel('Password').fill('tablet-pass-42')
    await pupil.getByRole('button', { name: 'Sign in' }).click()
    await expect(pupil).toHaveURL(/\/account$/)
    await expect(pupil.getByText('Maple Primary').first()).toBeVisible()
    await shot(pupil, '05-signed-in')
  })

  await test.step('the outbox shows both SMS as sent', async () => {
    await page.goto(`${base}/#/o/maple/outbox`)
    await expect(page.locator('tr[data-message="+358407654321"]').getByText('SMS')).toBeVisible()
  })

  expect(errors).toEqual([])
  expect(pupilErrors).toEqual([])
  await tablet.close()
})

test('a person without email types the code of the activation SMS on /signin', async ({ page, browser }) => {
  const errors = watchErrors(page)
  expect((await page.request.post(`${base}/api/session`, { data: admin })).status()).toBe(200)
  expect((await page.request.patch(`${base}/api/organizations/maple`, { data: { public_url: base } })).status()).toBe(200)
  const r = await page.request.post(`${base}/api/organizations/maple/users`, {
    data: { first_name: 'Sam', username: 'sam.k', phone: '+358 40 555 0101', send_activation: true },
  })
  expect(r.status(), await r.text()).toBe(201)
  const sms = await smsTo('+358405550101')
  const code = sms.text.match(/or code ([0-9]{6}) at sign-in/)?.[1]
  expect(code, sms.text).toBeTruthy()
  expect(sms.text).toContain(`${base}/reset/`)

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true })
  const sam = await phone.newPage()
  const samErrors = watchErrors(sam)
  await sam.goto(`${base}/signin`)
  await sam.getByLabel('Username or email').fill('sam.k')
  await sam.getByRole('button', { name: 'Got a code by SMS?' }).click()
  await sam.getByLabel('Code from the SMS').fill(code!)
  await sam.screenshot({ path: `${test.info().project.testDir}/artifacts/sms-06-code-on-signin.png`, fullPage: true })
  await sam.getByRole('button', { name: 'Set my password' }).click()
  await expect(sam.getByRole('heading', { name: 'Set your password' })).toBeVisible()
  await sam.getByLabel('New password', { exact: true }).fill('phone password 77')
  await sam.getByLabel('The same password again').fill('phone password 77')
  await sam.getByRole('button', { name: 'Save my password' }).click()
  await expect(sam.getByRole('heading', { name: 'Your password is set' })).toBeVisible()
  await sam.getByRole('link', { name: 'Sign in' }).click()
  await sam.getByLabel('Password').fill('phone password 77')
  await sam.getByRole('button', { name: 'Sign in' }).click()
  await expect(sam).toHaveURL(/\/account$/)

  // The code worked once: typed again it is refused.
  await sam.goto(`${base}/signin`)
  await sam.getByLabel('Username or email').fill('sam.k')
  await sam.getByRole('button', { name: 'Got a code by SMS?' }).click()
  await sam.getByLabel('Code from the SMS').fill(code!)
  await sam.getByRole('button', { name: 'Set my password' }).click()
  await expect(sam.getByText(/That code does not work with this username/)).toBeVisible()
  expect(errors).toEqual([])
  expect(samErrors).toEqual([])
  await phone.close()
})
