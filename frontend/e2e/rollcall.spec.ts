import { expect, test, type Page } from '@playwright/test'

// One story, in order, as an IT person would live it: first admin, sign out
// and in, an organization, a group, a person whose name is an HTML injection
// attempt, search, edit, deactivate, and a duplicate username.

const admin = { username: 'it.admin', password: 'correct horse 42' }
const xssFirst = '<img src=x onerror=alert(1)>'

test.describe.configure({ mode: 'serial' })

test('an admin sets up Rollcall and manages people', async ({ page }) => {
  const dialogs: string[] = []
  const pageErrors: string[] = []
  page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`)
    await d.dismiss()
  })
  page.on('pageerror', (e) => pageErrors.push(e.message))

  let n = 0
  const shot = async (name: string) => {
    n++
    await page.screenshot({ path: `${test.info().project.testDir}/artifacts/${String(n).padStart(2, '0')}-${name}.png` })
  }
  const noInjection = async () => {
    expect(dialogs, 'no alert/confirm/prompt may ever open').toEqual([])
    expect(await page.evaluate(() => document.querySelectorAll('img').length), 'no <img> element may be injected').toBe(0)
  }
  const row = (p: Page, username: string) => p.locator('tbody tr', { has: p.getByText(username, { exact: true }) })

  await test.step('first run: create the first admin', async () => {
    await page.goto('/')
    await expect(page.getByRole('heading', { name: 'Create the first admin' })).toBeVisible()
    await shot('setup')
    await page.getByLabel('Username').fill(admin.username)
    await page.getByLabel('Password', { exact: true }).fill(admin.password)
    await page.getByLabel('Password again').fill(admin.password)
    await page.getByRole('button', { name: 'Create admin and sign in' }).click()
    await expect(page.getByRole('heading', { name: 'Welcome to Rollcall' })).toBeVisible()
    await expect(page.getByText(`Signed in as ${admin.username}`)).toBeVisible()
    await shot('welcome-no-organization')
  })

  await test.step('sign out, a wrong password, sign back in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await expect(page.getByRole('heading', { name: 'Sign in', exact: true })).toBeVisible()
    await expect(page.getByText('You are signed out.')).toBeVisible()
    await shot('signed-out')
    await page.getByLabel('Username').fill(admin.username)
    await page.getByLabel('Password').fill('not the password 1')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect(page.getByRole('alert')).toHaveText('The username or password is wrong.')
    await shot('sign-in-wrong-password')
    await page.getByLabel('Password').fill(admin.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect(page.getByRole('heading', { name: 'Welcome to Rollcall' })).toBeVisible()
  })

  await test.step('create an organization', async () => {
    await page.getByRole('button', { name: 'Create the first organization' }).click()
    const dlg = page.getByRole('dialog', { name: 'New organization' })
    await expect(dlg).toBeVisible()
    await expect(dlg.getByLabel('Name', { exact: true })).toBeFocused()
    await dlg.getByLabel('Name', { exact: true }).fill('Maple Primary School')
    await dlg.getByLabel('Kind').selectOption('school')
    await dlg.getByLabel(/^Short name/).fill('maple')
    await shot('new-organization')
    await dlg.getByRole('button', { name: 'Create organization' }).click()
    await expect(dlg).toBeHidden()
    await expect(page).toHaveURL(/#\/o\/maple\/users$/)
    await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible()
    await expect(page.getByLabel('Organization')).toHaveValue('maple')
    await expect(page.getByRole('heading', { name: 'No one here yet' })).toBeVisible()
    await shot('users-empty')
  })

  await test.step('create a group', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Groups' }).click()
    await expect(page).toHaveURL(/#\/o\/maple\/groups$/)
    await page.getByRole('button', { name: 'New group' }).click()
    const dlg = page.getByRole('dialog', { name: 'New group' })
    await dlg.getByLabel('Name', { exact: true }).fill('3B')
    await dlg.getByRole('button', { name: 'Create group' }).click()
    await expect(dlg).toBeHidden()
    await expect(page.getByRole('cell', { name: '3B', exact: true })).toBeVisible()
    await expect(page.getByRole('status').filter({ hasText: 'Group 3B was created.' })).toBeVisible()
    await shot('group-created')
  })

  await test.step('add a person whose first name is markup', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users', exact: true }).click()
    await page.getByRole('button', { name: 'Add the first person' }).click()
    const dlg = page.getByRole('dialog', { name: 'Add a person' })
    await expect(dlg.getByLabel('First name')).toBeFocused()
    await dlg.getByLabel('First name').fill(xssFirst)
    await dlg.getByLabel('Last name').fill('Berg')
    await dlg.getByLabel('Username').fill('anna.b')
    await dlg.getByLabel('3B').check()
    await shot('add-person')
    await dlg.getByRole('button', { name: 'Add person' }).click()
    await expect(dlg).toBeHidden()
    const r = row(page, 'anna.b')
    await expect(r).toHaveCount(1)
    // Shown literally, as text.
    expect(await r.locator('.person').textContent()).toBe(`${xssFirst} Berg`)
    await expect(r.getByText('3B', { exact: true })).toBeVisible()
    await expect(r.locator('[data-status]')).toHaveAttribute('data-status', 'active')
    await noInjection()
    await shot('person-added')
  })

  await test.step('a duplicate username is shown next to the username field', async () => {
    await page.getByRole('button', { name: 'Add person' }).click()
    const dlg = page.getByRole('dialog', { name: 'Add a person' })
    await dlg.getByLabel('First name').fill('Another')
    await dlg.getByLabel('Last name').fill('Anna')
    await dlg.getByLabel('Username').fill('anna.b')
    await dlg.getByRole('button', { name: 'Add person' }).click()
    const input = dlg.getByLabel('Username')
    const err = dlg.locator('#user-username-error')
    await expect(err).toHaveText('The username "anna.b" is already taken; choose another.')
    await expect(input).toHaveAttribute('aria-invalid', 'true')
    await expect(input).toHaveAttribute('aria-describedby', /\buser-username-error\b/)
    await expect(input).toBeFocused()
    await shot('duplicate-username')
    await page.keyboard.press('Escape')
    await expect(dlg).toBeHidden()
  })

  await test.step('search finds the person; the search survives a reload', async () => {
    await page.getByRole('button', { name: 'Add person' }).click()
    const dlg = page.getByRole('dialog', { name: 'Add a person' })
    await dlg.getByLabel('First name').fill('Chidi')
    await dlg.getByLabel('Last name').fill('Okafor')
    await dlg.getByLabel('Username').fill('c.okafor')
    await dlg.getByLabel('Account type').selectOption('teacher')
    await dlg.getByRole('button', { name: 'Add person' }).click()
    await expect(dlg).toBeHidden()
    await expect(page.locator('tbody tr')).toHaveCount(2)
    await expect(page.locator('.pager-bottom .range')).toHaveText('1–2 of 2')

    await page.getByLabel('Search').fill('berg')
    await expect(page).toHaveURL(/\?q=berg$/)
    await expect(page.locator('tbody tr')).toHaveCount(1)
    await expect(row(page, 'anna.b')).toHaveCount(1)
    await expect(page.locator('.pager-bottom .range')).toHaveText('1–1 of 1')
    await shot('search')

    await page.reload()
    await expect(page.getByLabel('Search')).toHaveValue('berg')
    await expect(page.locator('tbody tr')).toHaveCount(1)
    await expect(row(page, 'anna.b')).toHaveCount(1)
    await noInjection()
  })

  await test.step('edit the person: change the last name', async () => {
    await page.getByRole('button', { name: `Edit ${xssFirst} Berg` }).click()
    const dlg = page.getByRole('dialog', { name: `Edit ${xssFirst} Berg` })
    await expect(dlg.getByLabel('First name')).toHaveValue(xssFirst)
    await expect(dlg.getByRole('group', { name: /^Groups/ }).getByLabel('3B')).toBeChecked()
    await dlg.getByLabel('Last name').fill('Bergström')
    await shot('edit-person')
    await dlg.getByRole('button', { name: 'Save changes' }).click()
    await expect(dlg).toBeHidden()
    const r = row(page, 'anna.b')
    await expect(r.locator('.person')).toHaveText(`${xssFirst} Bergström`)
    await expect(page.getByRole('status').filter({ hasText: `Changes to ${xssFirst} Bergström were saved.` })).toBeVisible()
    await noInjection()
    await shot('person-edited')
  })

  await test.step('deactivate the person', async () => {
    await page.getByRole('button', { name: `Deactivate ${xssFirst} Bergström` }).click()
    await page.getByRole('dialog', { name: /^Deactivate/ }).getByRole('button', { name: 'Deactivate' }).click()
    const badge = row(page, 'anna.b').locator('[data-status]')
    await expect(badge).toHaveAttribute('data-status', 'deactivated')
    await expect(badge).toHaveText(/deactivated/i)
    await expect(page.getByRole('button', { name: `Reactivate ${xssFirst} Bergström` })).toBeVisible()
    await page.getByLabel('Status').selectOption('deactivated')
    await expect(page).toHaveURL(/status=deactivated/)
    await expect(page.locator('tbody tr')).toHaveCount(1)
    await shot('person-deactivated')
  })

  await test.step('the group shows its member and leads to them', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Groups' }).click()
    const link = page.getByRole('link', { name: 'Show the 1 member of 3B' })
    await expect(link).toHaveText('1 member')
    await link.click()
    await expect(page).toHaveURL(/#\/o\/maple\/users\?group=/)
    await expect(page.getByLabel('Group')).toHaveValue(/.+/)
    await expect(page.locator('tbody tr')).toHaveCount(1)
    await expect(row(page, 'anna.b')).toHaveCount(1)
    await shot('users-of-group')
  })

  await test.step('nothing was injected, nothing crashed', async () => {
    await noInjection()
    expect(pageErrors).toEqual([])
  })
})
