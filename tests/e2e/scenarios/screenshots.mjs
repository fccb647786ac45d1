// Each role's main page for docs/CONSOLE.md, at 1366×768 on a desk and 375×812 for the roles who
// work on a phone; small PNGs of the viewport. A test run writes them to test-output/screenshots/
// (to look at); UPDATE_SCREENSHOTS=1 writes the committed ones in docs/screenshots/.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { login } from '../lib.mjs'
import { settle } from '../i18n.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const DOCS = join(ROOT, process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test-output/screenshots')
// A screenshot in 256 colours (Pillow, a dependency of the project) is a third of its size and
// looks the same for a console's flat colours.
const SHRINK = 'import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert("RGB"); im.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(sys.argv[1], optimize=True)'
function shrink(file) {
  const py = [process.env.CITYLOOP_PYTHON, join(ROOT, '.venv/bin/python')].find((p) => p && existsSync(p)) ?? 'python3'
  const r = spawnSync(py, ['-c', SHRINK, file], { encoding: 'utf8' })
  assert.equal(r.status, 0, `shrink ${file}: ${r.stderr}`)
}
const DESK = { viewport: { width: 1366, height: 768 } }
const PHONE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 }
const MAIN = [
  { user: 'operator', path: '/intake', ready: '.page-title' },
  // With the first order open beside the queue, as a dispatcher works.
  { user: 'dispatcher', path: '/dispatch', ready: '.el-table__row', then: (page) => page.locator('.el-table__row td:nth-child(3)').first().click(), after: '[data-testid=suggestions]' },
  // The demo's handler has nothing left to accept: its page shows all the department's orders.
  { user: 'handler', path: '/inbox', ready: '.page-title', then: (page) => page.getByTestId('inbox-tabs').locator('label').nth(2).click(), after: '.el-table__row' },
  // The grid's open orders on the map (the list is the page's first view).
  { user: 'grid', path: '/grid', phone: true, ready: '[data-testid=grid-view]', then: (page) => page.getByTestId('grid-view').locator('label').nth(1).click(), after: '[data-testid=map][data-ready="1"]' },
  { user: 'supervisor', path: '/orders', ready: '.el-table__row' },
  { user: 'leader', path: '/screen', ready: '[data-testid=screen]' },
  { user: 'resident', path: '/portal', phone: true, ready: '.bar-title' },
  { user: 'admin', path: '/admin/regions', ready: '.page-title' },
]
const MAX_BYTES = 300 * 1024

export const scenarios = [
  {
    name: 'screenshots: each role\'s main page for docs/CONSOLE.md',
    async run({ newPage }) {
      mkdirSync(DOCS, { recursive: true })
      for (const m of MAIN) {
        const page = await newPage(m.phone ? PHONE : DESK)
        await login(page, m.user)
        await page.goto(m.path)
        await page.locator(m.ready).first().waitFor()
        if (m.then) await m.then(page)
        if (m.after) await page.locator(m.after).first().waitFor()
        await settle(page)
        await page.waitForTimeout(m.user === 'leader' ? 2500 : 800) // charts and map tiles drawn
        const file = join(DOCS, `${m.user}${m.phone ? '-375' : '-1366'}.png`)
        await page.screenshot({ path: file, type: 'png' })
        shrink(file)
        const size = statSync(file).size
        assert.ok(size < MAX_BYTES, `${file}: ${size} bytes (at most ${MAX_BYTES})`)
      }
    },
  },
]
