import { defineConfig } from '@playwright/test'

// Browser end-to-end tests: Debian's Chromium against `rollcall serve` built
// from this tree (make test-e2e sets ROLLCALL_BIN), on a fresh temporary database.
// The binary is $ROLLCALL_BIN (relative to frontend/), else the one make test-e2e builds.
// E2E_PORT lets several checkouts run their browser tests side by side;
// the sign-up spec runs its own server on the two ports above it, the slips spec on the third.
const port = Number(process.env.E2E_PORT ?? 18397)

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 800 },
    browserName: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
    screenshot: 'only-on-failure',
    trace: 'off',
  },
  webServer: {
    command: `sh -c 'd=$(mktemp -d) && exec "\${ROLLCALL_BIN:-../build/bin/rollcall-e2e}" serve --addr 127.0.0.1:${port} --db "$d/e2e.db"'`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
})
