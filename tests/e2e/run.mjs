#!/usr/bin/env node
// End-to-end tests of the web console in headless Chromium (playwright-core, /usr/bin/chromium).
//
//   npm --prefix web run e2e            (or: node tests/e2e/run.mjs)
//
// Builds a fresh demo city (`cityloop demo --no-serve --appeals 300`) in a throwaway data dir,
// starts CityLoop on a free port, runs the scenarios, saves screenshots under
// test-output/e2e/, and stops the server. Exit status 1 when a scenario fails.
// Environment: CHROMIUM (default /usr/bin/chromium), CITYLOOP_BIN, E2E_APPEALS, E2E_ONLY.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { scenarios as core } from './scenarios.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const require = createRequire(join(ROOT, 'web/package.json'))
const { chromium } = require('playwright-core')
const OUT = join(ROOT, 'test-output/e2e')
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
// Each area's scenarios live in scenarios/<area>.mjs (export const scenarios = [...]); they run
// after the core ones, and a scenario marked `last: true` (it replaces shared data) runs at the end.
async function allScenarios() {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'scenarios')
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort() : []
  const extra = []
  for (const f of files) extra.push(...(await import(join(dir, f))).scenarios)
  const all = [...core, ...extra]
  return [...all.filter((s) => !s.last), ...all.filter((s) => s.last)]
}

export const CHROME_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-dev-shm-usage']

function python() {
  for (const p of [process.env.CITYLOOP_PYTHON, join(ROOT, '.venv/bin/python')]) if (p && existsSync(p)) return p
  return 'python3'
}

// Ports 8100–8149 are for this project's development servers; take the first free one.
function tryPort(port) {
  return new Promise((res) => {
    const s = createServer()
    s.once('error', () => res(false))
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)))
  })
}
async function freePort() {
  const start = 8120 + Math.floor(Math.random() * 20)
  for (let i = 0; i < 30; i++) {
    const port = 8120 + ((start - 8120 + i) % 30)
    if (await tryPort(port)) return port
  }
  throw new Error('no free port in 8120–8149')
}

async function waitHealthy(base, proc, ms = 60000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`)
    try {
      const r = await fetch(`${base}/api/v1/health`)
      if (r.ok) return
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 300))
  }
  throw new Error('server did not become healthy')
}

async function main() {
  mkdirSync(OUT, { recursive: true })
  if (!existsSync(CHROMIUM)) {
    console.error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`)
    process.exit(2)
  }
  if (!existsSync(join(ROOT, 'cityloop/web_dist/index.html'))) {
    console.log('· building the console (vite build) …')
    const b = spawnSync('npm', ['--prefix', join(ROOT, 'web'), 'run', 'build:fast'], { stdio: 'inherit' })
    if (b.status !== 0) process.exit(b.status ?? 1)
  }
  const data = mkdtempSync(join(tmpdir(), 'cityloop-e2e-'))
  // Every scenario's users log in from 127.0.0.1 within a few minutes: the per-address limits
  // a city runs with (30 logins a minute) would answer 429 to a fast run.
  const limits = { login: '1000/60', track: '1000/60', track_ticket: '1000/3600', anonymous_appeal: '1000/600', upload: '1000/600' }
  const env = { ...process.env, CITYLOOP_DATA_DIR: data, CITYLOOP_LOG_LEVEL: 'WARNING', CITYLOOP_RATE_LIMITS: JSON.stringify(limits) }
  delete env.CITYLOOP_DATABASE_URL
  const py = python()
  const appeals = process.env.E2E_APPEALS ?? '300'
  let t0 = Date.now()
  console.log(`· demo city in ${data} (${appeals} appeals) …`)
  const demo = spawnSync(py, ['-c', 'from cityloop.cli import app; app()', 'demo', '--no-serve', '--appeals', appeals], { env, encoding: 'utf8' })
  if (demo.status !== 0) {
    console.error(demo.stdout, demo.stderr)
    process.exit(1)
  }
  console.log(`  ${demo.stdout.split('\n').find((l) => l.includes('ready')) ?? 'ready'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const server = spawn(py, ['-c', 'from cityloop.cli import app; app()', 'serve', '--port', String(port)], { env, stdio: ['ignore', 'inherit', 'inherit'] })
  const stop = () => {
    if (server.exitCode === null) server.kill('SIGTERM')
  }
  process.on('exit', stop)
  process.on('SIGINT', () => { stop(); process.exit(130) })
  let failed = 0
  let passed = 0
  let browser
  try {
    await waitHealthy(base, server)
    console.log(`· CityLoop on ${base}`)
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROME_ARGS })
    const only = process.env.E2E_ONLY
    const shared = {}
    for (const s of await allScenarios()) {
      if (only && !s.name.includes(only)) continue
      t0 = Date.now()
      const ctxs = []
      const pageErrors = []
      const newPage = async (opts = {}) => {
        const c = await browser.newContext({ baseURL: base, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1440, height: 900 }, acceptDownloads: true, ...opts })
        ctxs.push(c)
        const p = await c.newPage()
        p.setDefaultTimeout(15000)
        // An uncaught error in the console fails the scenario, after it has run to the end.
        p.on('pageerror', (e) => pageErrors.push(`${p.url()}: ${e.message}`))
        return p
      }
      try {
        await s.run({ base, newPage, shot: (page, name, opts) => page.screenshot({ path: join(OUT, `${name}.png`), ...opts }), shared, out: OUT })
        if (pageErrors.length) throw new Error(`page errors:\n${pageErrors.join('\n')}`)
        passed++
        console.log(`  ✓ ${s.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
      } catch (e) {
        failed++
        console.log(`  ✗ ${s.name}\n    ${String(e.stack ?? e).split('\n').slice(0, 6).join('\n    ')}`)
        for (const [i, c] of ctxs.entries()) for (const p of c.pages()) await p.screenshot({ path: join(OUT, `FAILED-${s.name.replace(/\W+/g, '_')}-${i}.png`) }).catch(() => {})
      } finally {
        for (const c of ctxs) await c.close().catch(() => {})
      }
    }
  } catch (e) {
    failed++
    console.error(e)
  } finally {
    await browser?.close().catch(() => {})
    stop()
    rmSync(data, { recursive: true, force: true })
  }
  console.log(failed ? `${failed} scenario(s) failed` : 'all scenarios passed', `· screenshots in ${OUT}`)
  // The plain closing line CI reads in any language.
  console.log(`e2e: ${passed} passed, ${failed} failed`)
  process.exit(failed ? 1 : 0)
}

main()
