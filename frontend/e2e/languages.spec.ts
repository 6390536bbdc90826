/// <reference types="node" />
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServe } from './serve'
import { stop } from './stop'

// The UI in English, Finnish, Swedish and German: every public page (and
// the classroom display and the admin shell) in each language, at a laptop's
// 1280×800 and a phone's 390×844, screenshot into e2e/artifacts/languages/;
// each screenshot first waits for a text of that language's catalogue. Then
// an organization whose language is Finnish shows its public page in
// Finnish and dates as Finns write them, and a Swedish one lists Åsa after Zoe.
// Every admin page (a11y.spec.ts's list, with the rollover wizard and the
// dialogs of a user and of a group's code) is shot at 1280×800 in each
// language too, after seeding what they list through the API.
//
// This spec runs its own `rollcall serve` (fresh database) on port 18571, with
// the sign-up listener (what the classroom display shows) on 18572.

const port = 18571
const base = `http://127.0.0.1:${port}`
const admin = { username: 'it.admin', password: 'correct horse 42' }
const langs = ['en', 'fi', 'sv', 'de'] as const
const catalogues: Record<string, Record<string, string>> = Object.fromEntries(
  langs.map((l) => [l, JSON.parse(readFileSync(new URL(`../src/locales/${l}.json`, import.meta.url), 'utf8'))]),
)
const sizes = [
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
]

let server: ChildProcess

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-languages-'))
  const bin = process.env.ROLLCALL_BIN ?? '../build/bin/rollcall-e2e'
  server = await startServe(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--public-addr', '127.0.0.1:18572', '--db', join(dir, 'e2e.db')], base, { keepOutput: true })
})

test.afterAll(async () => {
  await stop(server)
})

/** msg is a catalogue's message with {name} placeholders filled (no plurals needed here). */
function msg(lang: string, key: string, values: Record<string, string> = {}): string {
  const m = catalogues[lang][key]
  if (m === undefined) throw new Error(`no message ${key} in ${lang}`)
  return m.replace(/\{(\w+)\}/g, (_, k: string) => values[k] ?? `{${k}}`)
}

/** inLanguage opens a browser context whose person chose lang (the language menu's choice). */
async function inLanguage(browser: Browser, lang: string, size: { width: number; height: number }): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: size, locale: 'en-US' })
  await ctx.addInitScript((l) => localStorage.setItem('rollcall.language', l), lang)
  return ctx
}

test('every public page in four languages; Finnish dates; Swedish order', async ({ page, browser }) => {
  test.setTimeout(14 * 60_000) // 8 contexts × 13 pages, then 4 × 17 admin pages and dialogs, screenshot each
  const errors: string[] = []
  const dir = join(test.info().project.testDir, 'artifacts', 'languages')
  mkdirSync(dir, { recursive: true })
  const shot = (p: Page, name: string) => p.screenshot({ path: join(dir, `${name}.png`), fullPage: true })

  let code = ''
  let linkToken = ''
  await test.step('an admin, an organization with sign-up open, a class, two pupils, an invite link', async () => {
    expect((await page.request.post(`${base}/api/setup`, { data: admin })).status()).toBe(201)
    expect((await page.request.post(`${base}/api/organizations`, { data: { name: 'Maple Primary', slug: 'maple' } })).status()).toBe(201)
    const org = await (await page.request.get(`${base}/api/organizations/maple`)).json()
    expect((await page.request.patch(`${base}/api/organizations/maple`, { data: { signup: { ...org.signup, enabled: true } } })).status()).toBe(200)
    expect((await page.request.post(`${base}/api/organizations/maple/groups`, { data: { name: '3B' } })).status()).toBe(201)
    code = (await (await page.request.get(`${base}/api/organizations/maple/groups/3B/invite-code`)).json()).code
    expect(code).toMatch(/^[0-9A-Z]{8}$/)
    for (const u of [
      { first_name: 'Ada', last_name: 'Park', username: 'ada.park', password: 'tablet-pass-42' },
      { first_name: 'Max', last_name: 'Moss', username: 'max.moss', password: 'slip-pass-43', must_change_password: true },
    ]) {
      expect((await page.request.post(`${base}/api/organizations/maple/users`, { data: u })).status()).toBe(201)
    }
    const link = await page.request.post(`${base}/api/organizations/maple/invite-links`, { data: { name: 'Parents evening', auto_accept: true } })
    expect(link.status()).toBe(201)
    linkToken = (await link.json()).token
    expect(linkToken).not.toBe('')
  })

  for (const size of sizes) {
    for (const l of langs) {
      await test.step(`public pages in ${l} at ${size.width}×${size.height}`, async () => {
        const ctx = await inLanguage(browser, l, size)
        const p = await ctx.newPage()
        p.on('pageerror', (e) => errors.push(`${l} ${size.name}: ${e.message}`))
        const at = (name: string) => `${l}-${size.name}-${name}`

        await p.goto(`${base}/signin`)
        await expect(p.getByRole('heading', { name: msg(l, 'signin.title') })).toBeVisible()
        await expect(p.getByText(msg(l, 'signin.intro'))).toBeVisible()
        await expect(p.locator('html')).toHaveAttribute('lang', l)
        await shot(p, at('signin'))

        await p.goto(`${base}/signin?org=maple`)
        await expect(p.getByText(msg(l, 'signin.noAccount', { org: 'Maple Primary' }))).toBeVisible()
        await p.getByRole('button', { name: msg(l, 'signin.forgot') }).click()
        await expect(p.getByLabel(msg(l, 'signin.yourEmail'))).toBeVisible()
        await shot(p, at('signin-org-forgot'))

        await p.goto(`${base}/signin?badge`)
        await expect(p.getByLabel(msg(l, 'badge.scanner'))).toBeVisible()
        await shot(p, at('signin-badge'))

        await p.goto(`${base}/join`)
        await expect(p.getByRole('heading', { name: msg(l, 'join.signUp') })).toBeVisible()
        await p.getByRole('button', { name: msg(l, 'join.continue') }).click()
        await expect(p.getByText(msg(l, 'join.needCode'))).toBeVisible()
        await shot(p, at('join-box'))

        await p.goto(`${base}/join/${code}`)
        await expect(p.getByRole('heading', { name: msg(l, 'invite.join', { org: '3B' }) })).toBeVisible()
        await expect(p.getByLabel(msg(l, 'common.firstName'))).toBeVisible()
        await shot(p, at('join-code'))

        await p.goto(`${base}/link/${linkToken}`)
        await expect(p.getByRole('heading', { name: msg(l, 'invite.join', { org: 'Maple Primary' }) })).toBeVisible()
        await shot(p, at('join-link'))

        await p.goto(`${base}/link/not-a-token`)
        await expect(p.getByRole('heading', { name: msg(l, 'common.linkDoesNotWork') })).toBeVisible()
        await shot(p, at('join-link-bad'))

        await p.goto(`${base}/invite/not-a-token`)
        await expect(p.getByRole('heading', { name: msg(l, 'common.linkDoesNotWork') })).toBeVisible()
        await shot(p, at('invite-bad'))

        await p.goto(`${base}/reset/not-a-token`)
        await expect(p.getByRole('heading', { name: msg(l, 'common.linkDoesNotWork') })).toBeVisible()
        await expect(p.getByRole('link', { name: msg(l, 'common.goToSignIn') })).toBeVisible()
        await shot(p, at('reset-bad'))

        await p.goto(`${base}/verify/not-a-token`)
        await expect(p.getByRole('heading', { name: msg(l, 'verify.title') })).toBeVisible()
        await shot(p, at('verify'))

        // A pupil's own page, signed in.
        await p.goto(`${base}/signin?username=ada.park`)
        await p.getByLabel(msg(l, 'common.password'), { exact: true }).fill('tablet-pass-42')
        await p.getByRole('button', { name: msg(l, 'signin.title'), exact: true }).click()
        await expect(p.getByRole('heading', { name: msg(l, 'account.hello', { name: 'Ada' }) })).toBeVisible()
        await expect(p.getByRole('heading', { name: msg(l, 'account.section.password') })).toBeVisible()
        await shot(p, at('account'))
        await p.getByRole('button', { name: msg(l, 'common.signOut') }).click()
        await expect(p.getByRole('heading', { name: msg(l, 'signin.title') })).toBeVisible()

        // A pupil who must choose a new password first (not chosen here: the page is shown only).
        await p.goto(`${base}/signin?username=max.moss`)
        await p.getByLabel(msg(l, 'common.password'), { exact: true }).fill('slip-pass-43')
        await p.getByRole('button', { name: msg(l, 'signin.title'), exact: true }).click()
        await expect(p.getByRole('heading', { name: msg(l, 'newpw.title') })).toBeVisible()
        await expect(p.getByText(msg(l, 'newpw.suggestion'))).toBeVisible()
        await shot(p, at('new-password'))

        // The admin's sign-in page.
        await p.goto(`${base}/`)
        await expect(p.getByText(msg(l, 'admin.intro'))).toBeVisible()
        await shot(p, at('admin-signin'))
        await ctx.close()
      })
    }
  }

  await test.step('the classroom display and the admin shell in each language', async () => {
    for (const size of sizes) {
      await page.setViewportSize(size)
      for (const l of langs) {
        await page.goto(`${base}/#/o/maple/groups`)
        await page.evaluate((lang) => localStorage.setItem('rollcall.language', lang), l)
        await page.reload()
        await expect(page.getByRole('link', { name: msg(l, 'nav.users'), exact: true })).toBeVisible()
        await shot(page, `${l}-${size.name}-admin-groups`)
        await page.goto(`${base}/#/o/maple/groups`)
        await page.getByRole('link', { name: msg(l, 'groups.showOnScreen', { name: '3B' }) }).click()
        const display = page.getByTestId('classroom-display')
        await expect(display.getByText(msg(l, 'display.scan'))).toBeVisible()
        await expect(display.getByRole('button', { name: msg(l, 'display.fullScreen') })).toBeVisible()
        await shot(page, `${l}-${size.name}-display`)
        await page.keyboard.press('Escape')
      }
    }
    // Back to no choice of one's own: the organization's language decides.
    await page.evaluate(() => localStorage.removeItem('rollcall.language'))
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  await test.step('every admin page and the main dialogs in each language at 1280×800', async () => {
    // More to show, seeded as a11y.spec.ts does: a department, a sign-up
    // waiting for approval, a finished job of new accounts.
    const api = page.request
    const post = async (path: string, data: unknown) => {
      const r = await api.post(base + path, { data })
      expect(r.ok(), `${path}: ${r.status()} ${await r.text()}`).toBe(true)
      return r.json()
    }
    const g3b = (await (await api.get(`${base}/api/organizations/maple/groups`)).json()).groups.find((g: { name: string }) => g.name === '3B')
    await post('/api/organizations/maple/groups', { name: 'Staff', kind: 'department' })
    await api.patch(`${base}/api/organizations/maple/groups/${g3b.id}/invite-code`, { data: { require_approval: true } })
    const signup = await api.post(`http://127.0.0.1:18572/api/public/codes/${code}/signup`, {
      data: { first_name: 'Omar', last_name: 'Benali', username: 'omar.b', password: 'tablet-pass-42' },
    })
    expect(signup.status()).toBe(201)
    const job = await post('/api/organizations/maple/accounts', { people: [{ first_name: 'Liam', last_name: 'Jones' }], groups: [g3b.id] })
    await expect.poll(async () => (await (await api.get(`${base}/api/jobs/${job.id}`)).json()).state).toBe('done')

    await page.setViewportSize({ width: 1280, height: 800 })
    const heading = (l: string, key: string) => page.getByRole('heading', { name: msg(l, key), exact: true })
    // Each page, and what of its language to wait for.
    const adminPages: [string, string, (l: string) => ReturnType<Page['getByRole']>][] = [
      ['users', '#/o/maple/users', (l) => heading(l, 'nav.users')],
      ['groups', '#/o/maple/groups', (l) => heading(l, 'nav.groups')],
      ['group', `#/o/maple/groups/${g3b.id}`, (l) => page.getByRole('link', { name: msg(l, 'group.showOnScreen'), exact: true })],
      ['settings', '#/o/maple/settings', (l) => heading(l, 'settings.title')],
      ['add-invite', '#/o/maple/add?tab=invite', (l) => heading(l, 'nav.add')],
      ['add-manual', '#/o/maple/add?tab=manual', (l) => heading(l, 'nav.add')],
      ['add-import', '#/o/maple/add?tab=import', (l) => heading(l, 'nav.add')],
      ['invitations', '#/o/maple/invitations', (l) => heading(l, 'nav.invitations')],
      ['outbox', '#/o/maple/outbox', (l) => heading(l, 'outbox.empty')],
      ['links', '#/o/maple/links', (l) => heading(l, 'nav.links')],
      ['approvals', '#/o/maple/approvals', (l) => page.getByRole('table', { name: msg(l, 'approvals.caption') })],
      ['audit', '#/o/maple/audit', (l) => page.getByRole('table', { name: msg(l, 'audit.log') })],
      ['apps', '#/o/maple/apps', (l) => heading(l, 'apps.empty')],
      ['display', `#/o/maple/display/${g3b.id}`, (l) => page.getByTestId('classroom-display').getByText(msg(l, 'display.scan'))],
    ]
    for (const l of langs) {
      await page.goto(`${base}/#/o/maple/users`)
      await page.evaluate((lang) => localStorage.setItem('rollcall.language', lang), l)
      for (const [name, hash, ready] of adminPages) {
        await page.goto(`${base}/?page=${name}${hash}`) // a fresh load: lists and badges as they are now
        await expect(ready(l)).toBeVisible()
        await expect(page.locator('html')).toHaveAttribute('lang', l)
        await page.waitForLoadState('networkidle')
        // Nothing is wider than the window (the top bar with its "Passwords to download" badge was).
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${l} ${name}`).toBeLessThanOrEqual(1280)
        await shot(page, `${l}-laptop-page-${name}`)
      }

      // The dialogs: a user's, a group's code, the year-end rollover.
      await page.goto(`${base}/?dialogs#/o/maple/users`)
      await page.getByRole('button', { name: /Ada Park/ }).first().click()
      const user = page.getByRole('dialog')
      await expect(user.getByLabel(msg(l, 'common.firstName'))).toBeVisible()
      await shot(page, `${l}-laptop-dialog-user`)
      await page.keyboard.press('Escape')

      await page.goto(`${base}/?dialogs#/o/maple/groups`)
      const codeOf = msg(l, 'groups.codeOf', { name: '3B' }).split('{code}')[0]
      await page.getByRole('button', { name: new RegExp('^' + codeOf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).click()
      await expect(page.getByRole('dialog', { name: msg(l, 'codeDialog.title', { name: '3B' }) })).toBeVisible()
      await shot(page, `${l}-laptop-dialog-code`)
      await page.keyboard.press('Escape')

      await page.getByRole('button', { name: msg(l, 'groups.rollover'), exact: true }).click()
      const rollover = page.getByRole('dialog', { name: msg(l, 'rollover.title') })
      await expect(rollover.getByRole('columnheader', { name: msg(l, 'rollover.nextClass') })).toBeVisible()
      await shot(page, `${l}-laptop-dialog-rollover`)
      await rollover.getByRole('button', { name: msg(l, 'common.cancel'), exact: true }).click()
      await expect(rollover).toBeHidden()
    }
    await page.evaluate(() => localStorage.removeItem('rollcall.language'))
  })

  await test.step('a Finnish organization: its sign-up page in Finnish, dates as Finns write them', async () => {
    expect((await page.request.post(`${base}/api/organizations`, { data: { name: 'Koivukylän koulu', slug: 'koivu', language: 'fi' } })).status()).toBe(201)
    const link = await page.request.post(`${base}/api/organizations/koivu/invite-links`, { data: { name: 'Vanhempainilta', auto_accept: false } })
    expect(link.status()).toBe(201)
    const token = (await link.json()).token
    // A tablet whose browser speaks English, with no choice made: the organization's language.
    const tablet = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' })
    const pupil = await tablet.newPage()
    pupil.on('pageerror', (e) => errors.push(`fi pupil: ${e.message}`))
    await pupil.goto(`${base}/link/${token}`)
    await expect(pupil.getByRole('heading', { name: 'Liity: Koivukylän koulu' })).toBeVisible()
    await pupil.getByLabel('Etunimi').fill('Aino')
    await pupil.getByLabel('Käyttäjätunnus').fill('aino.k')
    await pupil.getByLabel('Salasana', { exact: true }).fill('koivu-salasana-42')
    await pupil.getByRole('button', { name: 'Rekisteröidy' }).click()
    await expect(pupil.getByRole('heading', { name: 'Melkein valmista' })).toBeVisible()
    await shot(pupil, 'fi-phone-join-link-done')
    await tablet.close()

    const now = new Date()
    const finnishDay = `${now.getDate()}.${now.getMonth() + 1}.${now.getFullYear()}` // e.g. 3.12.2026
    await page.goto(`${base}/#/o/koivu/approvals`)
    await page.reload() // the organization is new: the shell loads the list again
    await expect(page.locator('html')).toHaveAttribute('lang', 'fi')
    await expect(page.getByRole('link', { name: /^Hyväksynnät/ })).toBeVisible()
    const row = page.getByRole('row', { name: /Aino/ })
    await expect(row).toContainText(finnishDay)
    await shot(page, 'fi-laptop-approvals-date')
  })

  await test.step('a Swedish organization lists Åsa after Zoe', async () => {
    expect((await page.request.post(`${base}/api/organizations`, { data: { name: 'Björkskolan', slug: 'bjork', language: 'sv' } })).status()).toBe(201)
    for (const [first, last] of [
      ['Zoe', 'Zander'],
      ['Åsa', 'Åberg'],
      ['Anna', 'Andersson'],
      ['Örjan', 'Öst'],
    ]) {
      const r = await page.request.post(`${base}/api/organizations/bjork/users`, { data: { first_name: first, last_name: last, username: (first + '.' + last).toLowerCase() } })
      expect(r.status()).toBe(201)
    }
    await page.goto(`${base}/#/o/bjork/users`)
    await page.reload() // the organization is new: the shell loads the list again
    await expect(page.getByRole('link', { name: 'Användare', exact: true })).toBeVisible()
    await expect(page.locator('.person')).toHaveCount(4)
    expect(await page.locator('.person').allTextContents()).toEqual(['Anna Andersson', 'Zoe Zander', 'Åsa Åberg', 'Örjan Öst'])
    await shot(page, 'sv-laptop-users-order')
  })

  expect(errors).toEqual([])
})
