import { readFileSync } from 'node:fs'
import { expect, test, type Page } from '@playwright/test'

// Deletion dates, per-person export and "Erase now": the banner counts who
// will be erased and when, Review filters the list to them, the dialog
// downloads everything about a person, and erasing needs their username
// typed. Runs on its own organization, alone or after rollcall.spec.ts
// (which needs the fresh server first) on the same server.

const admin = { username: 'it.admin', password: 'correct horse 42' }

async function signIn(page: Page) {
  await page.goto('/')
  const setup = page.getByRole('heading', { name: 'Create the first admin' })
  const signin = page.getByRole('heading', { name: 'Sign in', exact: true })
  await expect(setup.or(signin)).toBeVisible()
  if (await setup.isVisible()) {
    await page.getByLabel('Username').fill(admin.username)
    await page.getByLabel('Password', { exact: true }).fill(admin.password)
    await page.getByLabel('Password again').fill(admin.password)
    await page.getByRole('button', { name: 'Create admin and sign in' }).click()
  } else {
    await page.getByLabel('Username').fill(admin.username)
    await page.getByLabel('Password').fill(admin.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }
  await expect(page.getByText(`Signed in as ${admin.username}`)).toBeVisible()
}

/** call sends an API request from the page (its session cookie, same origin). */
async function call(page: Page, method: string, path: string, body?: unknown): Promise<any> {
  return page.evaluate(
    async ([method, path, body]) => {
      const r = await fetch(path as string, { method: method as string, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
      const text = await r.text()
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
      return text ? JSON.parse(text) : null
    },
    [method, path, body] as const,
  )
}

function isoDay(offset: number): string {
  const d = new Date()
  d.setDate(d.getDate() + offset)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

test('deletion banner, review filter, export and erase now', async ({ page }) => {
  await signIn(page)
  const slug = 'life-' + Date.now().toString(36)
  await call(page, 'POST', '/api/organizations', { name: 'Lifecycle Primary', slug })
  await call(page, 'PATCH', `/api/organizations/${slug}`, { purge_grace_days: 3 })
  const tobias = await call(page, 'POST', `/api/organizations/${slug}/users`, { first_name: 'Tobias', last_name: 'Quince', username: 'tobias.quince', delete_on: isoDay(1) })
  await call(page, 'POST', `/api/organizations/${slug}/users`, { first_name: 'Mira', last_name: 'Stays', username: 'mira.stays' })
  await call(page, 'POST', `/api/organizations/${slug}/users`, { first_name: 'Later', last_name: 'Leaver', username: 'later.leaver', delete_on: isoDay(200) })

  await page.goto(`/#/o/${slug}/users`)
  await page.reload() // the organization list was read before this organization existed
  await page.getByLabel('Organization', { exact: true }).selectOption(slug) // as a person would, should a redirect have landed after the goto
  await expect(page).toHaveURL(new RegExp(`#/o/${slug}/users`))
  const banner = page.getByTestId('deletion-banner')
  await expect(banner).toContainText('1 person will be erased on')
  await page.screenshot({ path: '/tmp/life-banner.png' })

  await banner.getByRole('link', { name: 'Review' }).click()
  await expect(page).toHaveURL(/due=30/)
  await expect(page.locator('#filter-due')).toHaveValue('30')
  const rows = page.locator('tbody tr')
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText('Tobias Quince')

  // The settings show the grace period the banner counted with.
  await page.goto(`/#/o/${slug}/settings`)
  await expect(page.getByLabel('Days before erasing')).toHaveValue('3')

  await page.goto(`/#/o/${slug}/users?due=30`)
  await page.getByRole('button', { name: 'Edit Tobias Quince' }).click()
  const dialog = page.getByRole('dialog', { name: 'Edit Tobias Quince' })
  await expect(dialog.getByRole('heading', { name: 'Everything about this person' })).toBeVisible()
  await page.screenshot({ path: '/tmp/life-dialog.png' })
  const [json] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Download JSON' }).click()])
  expect(json.suggestedFilename()).toBe('person-tobias.quince.json')
  const exported = JSON.parse(readFileSync(await json.path(), 'utf8'))
  expect(exported.user.id).toBe(tobias.id)
  expect(exported.user.last_name).toBe('Quince')
  const [pdf] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Download PDF' }).click()])
  expect(pdf.suggestedFilename()).toBe('person-tobias.quince.pdf')
  expect(readFileSync(await pdf.path()).subarray(0, 5).toString()).toBe('%PDF-')

  await dialog.getByRole('button', { name: 'Erase now…' }).click()
  const erase = page.getByRole('dialog', { name: 'Erase Tobias Quince now?' })
  await erase.getByLabel('Type tobias.quince to confirm').fill('tobias')
  await erase.getByRole('button', { name: 'Erase Tobias Quince' }).click()
  await expect(erase.getByText('That is not the username')).toBeVisible()
  await page.screenshot({ path: '/tmp/life-erase.png' })
  await erase.getByLabel('Type tobias.quince to confirm').fill('tobias.quince')
  await erase.getByRole('button', { name: 'Erase Tobias Quince' }).click()
  await expect(page.getByText('Tobias Quince was erased')).toBeVisible()
  await expect(erase).toBeHidden()
  await expect(page.getByRole('heading', { name: 'Nobody matches' })).toBeVisible()
  await expect(banner).toBeHidden()

  const all = await call(page, 'GET', `/api/organizations/${slug}/users`)
  expect(all.users.map((u: { username: string }) => u.username).sort()).toEqual(['later.leaver', 'mira.stays'])
})
