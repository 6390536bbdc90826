import { expect, test, type Page } from '@playwright/test'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { startServe } from './serve'
import { stop } from './stop'

// Single sign-on in Chromium (issue 14, shown 3), against a real OpenID
// Connect provider: app/ssotest's zitadel op provider run as a program
// (ssoprovider, $SSOPROVIDER_BIN) with its own sign-in page. An admin adds
// the provider in Settings → Sign-in and tests it; a pupil clicks "Sign in
// with Maple ID" on /signin, signs in at the provider's page and lands on
// /account, made at that first sign-in in the class 2A; a teacher with an
// admin role signs in to the admin UI the same way; a server admin links
// their admin account in Settings → Your account and signs in with it;
// an email invitation is accepted with "Accept with Maple ID"; signing out
// offers the provider's own sign-out.
// Its own `rollcall serve` on port 18460 ($SSO_E2E_PORT), the provider on
// the next, the mail server (smtpsink, $SMTPSINK_BIN) on any port.

const env = process.env
const bin = env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
const providerBin = resolve(env.SSOPROVIDER_BIN ?? '../build/bin/ssoprovider')
const port = Number(env.SSO_E2E_PORT ?? 18460)
const base = `http://127.0.0.1:${port}`
const providerAddr = `127.0.0.1:${port + 1}`
const admin = { username: 'it.sso', password: 'maple leaf 2026' }
const client = { id: 'rollcall-e2e', secret: 'e2e-client-secret-1618' }
const pupil = { username: 'mia', password: 'mia at the provider', email: 'mia.lind@maple.example' }
const teacher = { username: 'tom', password: 'tom at the provider', email: 'tom.berg@maple.example' }
const itStaff = { username: 'ada', password: 'ada at the provider', email: 'ada.it@maple.example' }
const invited = { username: 'ines', password: 'ines at the provider', email: 'ines.sol@maple.example' }

let dir = ''
let server: ChildProcess | null = null
let provider: ChildProcess | null = null
let issuer = ''
let sink: { proc: ChildProcess; host: string; port: number; http: string } | null = null

function rollcall(args: string[], input = ''): string {
  return execFileSync(bin, [...args, '--db', join(dir, 'sso.db')], {
    encoding: 'utf8',
    input,
    env: { ...env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
}

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

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-sso-'))
  rollcall(['org', 'create', '--name', 'Maple Primary School', '--slug', 'maple'])
  rollcall(['group', 'create', '--org', 'maple', '--name', '2A'])
  rollcall(['admin', 'create', '--username', admin.username], admin.password + '\n')
  provider = spawn(
    providerBin,
    [
      '-addr', providerAddr,
      '-client', client.id,
      '-secret', client.secret,
      '-redirect', base + '/api/public/sso/callback',
      '-user', `${pupil.username}:${pupil.password}:${pupil.email}:Mia:Lind`,
      '-user', `${teacher.username}:${teacher.password}:${teacher.email}:Tom:Berg`,
      '-user', `${itStaff.username}:${itStaff.password}:${itStaff.email}:Ada:Koski`,
      '-user', `${invited.username}:${invited.password}:${invited.email}:Ines:Sol`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  issuer = JSON.parse((await firstLine(provider, /^\{.*\}$/))[0]).issuer
  const sinkProc = spawn(resolve(env.SMTPSINK_BIN ?? '../build/bin/smtpsink'), [], { stdio: ['pipe', 'pipe', 'inherit'] })
  const info = JSON.parse((await firstLine(sinkProc, /^\{.*\}$/))[0])
  sink = { proc: sinkProc, host: info.host, port: info.port, http: 'http://' + info.http }
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', join(dir, 'sso.db')], base, {
    env: { ...env, ROLLCALL_KEY_FILE: join(dir, 'secret.key') },
  })
})

test.afterAll(async () => {
  await stop(server)
  await stop(provider)
  sink?.proc.stdin?.end()
  await stop(sink?.proc)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function signIn(page: Page) {
  await page.goto(base + '/')
  await page.getByLabel('Username').fill(admin.username)
  await page.getByLabel('Password').fill(admin.password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible()
}

/** atProvider signs in on the provider's own page (not Rollcall's). */
async function atProvider(page: Page, who: { username: string; password: string }) {
  await expect(page).toHaveURL(new RegExp('^' + issuer.replace(/[.]/g, '\\.') + '/login/'))
  await expect(page.getByRole('heading', { name: 'Test identity provider' })).toBeVisible()
  await page.getByLabel('Username').fill(who.username)
  await page.getByLabel('Password').fill(who.password)
  await page.getByRole('button', { name: 'Sign in at the provider' }).click()
}

test('an admin adds the provider in Settings → Sign-in and tests it', async ({ page }) => {
  await signIn(page)
  await page.goto(base + '/#/o/maple/settings')
  const section = page.locator('section#sign-in')
  await expect(section.getByRole('heading', { name: 'Sign-in' })).toBeVisible()
  await expect(section.getByText('No sign-in providers yet.')).toBeVisible()
  await section.getByRole('button', { name: 'Add a sign-in provider' }).click()

  const dlg = page.getByRole('dialog', { name: 'Add a sign-in provider' })
  await dlg.getByLabel('Provider', { exact: true }).selectOption('oidc')
  await dlg.getByLabel('Button name').fill('Maple ID')
  // A wrong field first: the form says what is wrong, in plain words.
  await dlg.getByLabel('Issuer URL').fill('ftp://nowhere')
  await dlg.getByLabel('Client ID', { exact: true }).fill(client.id)
  await dlg.getByLabel('Client secret', { exact: true }).fill(client.secret)
  await dlg.getByLabel('Allowed email domains').fill('maple.example')
  await dlg.getByLabel('People new at their first sign-in become').selectOption('student')
  await dlg.getByLabel('Group for new people').selectOption({ label: '2A' })
  await dlg.getByRole('button', { name: 'Add provider' }).click()
  await expect(dlg.getByRole('alert')).toContainText('The issuer must use https://')
  await dlg.getByLabel('Issuer URL').fill(issuer)
  await dlg.getByRole('button', { name: 'Add provider' }).click()
  await expect(dlg).toBeHidden()

  const item = section.getByRole('listitem', { name: 'Maple ID' })
  await expect(item).toContainText(issuer)
  await expect(item).toContainText('Client secret set')
  await expect(item).not.toContainText(client.secret)
  await expect(item).toContainText('Student, 2A')
  await item.getByRole('button', { name: 'Test' }).click()
  await expect(item.getByRole('status')).toContainText('Discovery works: ' + issuer)

  // Editing keeps the secret unless a new one is typed.
  await item.getByRole('button', { name: 'Edit' }).click()
  const edit = page.getByRole('dialog', { name: 'Edit Maple ID' })
  await expect(edit.locator('#sso-secret')).toHaveValue('')
  await expect(edit.getByText('A secret is set.')).toBeVisible()
  await edit.getByRole('button', { name: 'Save changes' }).click()
  await expect(edit).toBeHidden()
  await expect(item).toContainText('Client secret set')

  // The secret is not in what the API answers either.
  const listed = await page.request.get(base + '/api/organizations/maple/sso-providers')
  expect(await listed.text()).not.toContain(client.secret)
  // Password sign-in per account type: teachers use the school account.
  const pw = section.getByRole('group', { name: 'Password sign-in allowed' })
  await pw.getByLabel('Teacher').uncheck()
  await section.getByRole('button', { name: 'Save password sign-in' }).click()
  await expect(page.getByText('Password sign-in is off for: Teacher.')).toBeVisible()
  const org = await (await page.request.get(base + '/api/organizations')).json()
  expect(JSON.stringify(org)).toContain('"sso_only":["teacher"]')
})

test('a pupil signs in with Maple ID at the provider and lands on /account, made in 2A', async ({ page }) => {
  await page.goto(base + '/signin?org=maple')
  await page.getByRole('link', { name: 'Sign in with Maple ID' }).click()
  await atProvider(page, { username: pupil.username, password: 'wrong password' })
  await expect(page.getByRole('alert')).toContainText('The username or password is wrong.')
  await atProvider(page, pupil)
  await expect(page).toHaveURL(base + '/account')
  await expect(page.getByRole('heading', { name: 'Hello, Mia' })).toBeVisible()
  await expect(page.getByText(pupil.email)).toBeVisible()
  await expect(page.locator('.chip', { hasText: '2A' })).toBeVisible()

  // Signing out offers the provider's own sign-out too.
  await page.getByRole('button', { name: 'Sign out' }).click()
  await expect(page.getByRole('heading', { name: 'You are signed out' })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Also sign out of Maple ID' })).toHaveAttribute('href', endSessionHref(issuer))
  await page.getByRole('link', { name: 'Back to the sign-in page' }).click()
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible()
  expect((await page.request.get(base + '/api/public/account')).status()).toBe(401)
})

test('a teacher with an admin role signs in to the admin UI through Maple ID', async ({ page, browser }) => {
  // The admin adds the teacher with the address (an address an admin
  // enters counts as confirmed) and makes them an organization admin.
  await signIn(page)
  const made = await page.request.post(base + '/api/organizations/maple/users', {
    data: { first_name: 'Tom', last_name: 'Berg', email: teacher.email, account_type: 'teacher' },
  })
  expect(made.status()).toBe(201)
  const id = (await made.json()).id as string
  const roles = await page.request.put(base + `/api/organizations/maple/users/${id}/roles`, { data: { org_admin: true, groups: [] } })
  expect(roles.ok()).toBeTruthy()

  const ctx = await browser.newContext()
  const p = await ctx.newPage()
  await p.goto(base + '/')
  await p.getByLabel('Username').fill(teacher.email)
  await p.getByRole('link', { name: 'Sign in with Maple ID' }).click()
  await atProvider(p, teacher)
  await expect(p).toHaveURL(new RegExp('^' + base.replace(/[.]/g, '\\.') + '/(#.*)?$'))
  await expect(p.getByRole('heading', { name: 'Users', exact: true })).toBeVisible()
  await expect(p.locator('.as + strong')).toHaveText('Tom Berg')
  await p.getByRole('button', { name: 'Sign out' }).click()
  await expect(p.getByText('You are signed out.')).toBeVisible()
  await expect(p.getByRole('link', { name: 'Also sign out of Maple ID' })).toHaveAttribute('href', endSessionHref(issuer))
  await ctx.close()
})

test('a server admin links their admin account in Settings → Your account and signs in with it', async ({ page, browser }) => {
  await signIn(page)
  await page.goto(base + '/#/o/maple/settings')
  await page.getByRole('link', { name: 'Link my Maple ID account' }).click()
  await atProvider(page, itStaff)
  await expect(page.getByRole('heading', { name: 'Account linked' })).toBeVisible()
  await expect(page.getByRole('status')).toContainText(`Your admin account ${admin.username} is linked to the Maple ID account ${itStaff.email}`)
  await page.getByRole('link', { name: 'Back to Rollcall' }).click()
  await page.goto(base + '/#/o/maple/settings')
  await expect(page.getByRole('list', { name: 'Linked sign-in accounts' })).toContainText('Linked to Maple ID')

  const ctx = await browser.newContext()
  const p = await ctx.newPage()
  await p.goto(base + '/?org=maple')
  await p.getByRole('link', { name: 'Sign in with Maple ID' }).click()
  await atProvider(p, itStaff)
  await expect(p.getByRole('heading', { name: 'Users', exact: true })).toBeVisible()
  await expect(p.locator('.as + strong')).toHaveText(admin.username)
  await ctx.close()
})

test('an invitation is accepted with Maple ID: the invited address, no password', async ({ page, browser }) => {
  // The organization's public address and relay (the test SMTP server), then an invitation.
  await signIn(page)
  expect((await page.request.patch(base + '/api/organizations/maple', { data: { public_url: base } })).ok()).toBeTruthy()
  const relay = await page.request.put(base + '/api/organizations/maple/smtp', {
    data: { host: sink!.host, port: sink!.port, security: 'none', from: 'Maple Primary <no-reply@maple.example>' },
  })
  expect(relay.ok(), await relay.text()).toBeTruthy()
  const sent = await page.request.post(base + '/api/organizations/maple/invitations', { data: { addresses: 'Ines.Sol@Maple.example', account_type: 'teacher' } })
  expect(sent.ok(), await sent.text()).toBeTruthy()
  let link = ''
  await expect
    .poll(
      async () => {
        const mails = (await (await fetch(sink!.http + '/messages')).json()) as { to: string[]; text: string }[]
        const m = mails.find((x) => x.to.some((t) => t.toLowerCase() === invited.email))?.text.match(/(http:\/\/\S+\/invite\/[A-Za-z0-9_-]+)/)
        link = m ? m[1] : ''
        return link
      },
      { timeout: 20_000, message: 'the invitation mail at the test server' },
    )
    .not.toBe('')

  const ctx = await browser.newContext()
  const p = await ctx.newPage()
  await p.goto(link)
  await expect(p.getByRole('heading', { name: 'Welcome to Maple Primary School' })).toBeVisible()
  // Somebody else of the school signing in at the provider is refused in plain words.
  await p.getByRole('link', { name: 'Accept with Maple ID' }).click()
  await atProvider(p, pupil)
  await expect(p.getByRole('alert')).toContainText(`The invitation is for Ines.Sol@Maple.example, but Maple ID signed you in as ${pupil.email}.`)
  // The invited person (the address compared as logins are: case does not
  // matter): linked, signed in, on /account; the link is used up.
  await p.goto(link)
  await p.getByRole('link', { name: 'Accept with Maple ID' }).click()
  await atProvider(p, invited)
  await expect(p).toHaveURL(base + '/account')
  await expect(p.getByRole('heading', { name: 'Hello, Ines' })).toBeVisible()
  await p.goto(link)
  await expect(p.getByRole('heading', { name: 'This invitation is already accepted' })).toBeVisible()
  await ctx.close()
})

// The provider's end-session address as offered: with the client (and the
// registered redirect URI to come back to, when the organization has a
// public address).
function endSessionHref(issuer: string): RegExp {
  return new RegExp('^' + (issuer + '/end_session').replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\?client_id=')
}
