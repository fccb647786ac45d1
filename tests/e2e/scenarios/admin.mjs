// Administration: the users page (search, edit, disable, enable, reset, bulk import), import
// problems in the chosen language with 1-based rows, the device and alarm page. (The walk of
// every role's pages in both languages is scenarios/language.mjs.)
import assert from 'node:assert/strict'
import { apiLogin, apiGet, login } from '../lib.mjs'
import { SERVER_ENGLISH, chineseInChrome } from '../i18n.mjs'

const DESK = { width: 1366, height: 768 }

async function confirmBox(page) {
  await page.locator('.el-message-box__btns .el-button--primary').click()
}

function importFile(page, name, text, mimeType = 'text/csv') {
  const buffer = Buffer.isBuffer(text) ? text : Buffer.from(text)
  return page.getByTestId('import-file').setInputFiles({ name, mimeType, buffer })
}

/** The users table's row of one account (its username cell matches exactly). */
function userRow(page, username) {
  return page.locator('[data-testid=users-table] .el-table__body .el-table__row').filter({ has: page.getByText(username, { exact: true }) }).first()
}

const bowTie = (code, parent) => ({
  type: 'Feature',
  properties: { code, name: '自相交网格', level: 'grid', parent_code: parent },
  geometry: { type: 'Polygon', coordinates: [[[120.0, 30.0], [120.1, 30.1], [120.1, 30.0], [120.0, 30.1], [120.0, 30.0]]] },
})

export const scenarios = [
  {
    name: 'admin users: search, edit, disable ends the sessions, enable, reset password, bulk import with problems in Chinese and English',
    async run({ base, newPage, shot }) {
      const page = await newPage({ viewport: DESK })
      await login(page, 'admin')
      await page.goto('/admin/users')
      await page.getByTestId('users-table').waitFor()

      // Search by the role's Chinese word and by department.
      await page.getByTestId('users-search').fill('督办')
      await page.getByTestId('users-search').press('Enter')
      await page.locator('[data-testid=users-table] .el-table__row', { hasText: 'supervisor' }).first().waitFor()
      const rows = await page.locator('[data-testid=users-table] .el-table__body .el-table__row').allInnerTexts()
      assert.ok(rows.length >= 1 && rows.every((r) => r.includes('督办')), `every row is a supervisor: ${rows.join(' | ')}`)

      // A bad bulk import: each problem named by line and column, in Chinese, with what to do; nothing imported.
      const before = (await apiGet(base, await apiLogin(base, 'admin'), '/users?q=e2e_')).total
      await importFile(page, 'users-bad.csv', 'username,display_name,role\ne2e_a,测试甲,坐席\ne2e_a,测试乙,operator\n')
      const table = page.getByTestId('import-error-table')
      await table.waitFor()
      const text = await table.innerText()
      assert.ok(text.includes('“坐席”不是有效的角色') && /\b2\b/.test(text) && text.includes('与第 2 行重复'), text)
      assert.ok(text.includes('处理办法') && text.includes('改为'), `what to do: ${text}`)
      assert.ok(!SERVER_ENGLISH.test(text) && !(await page.getByTestId('import-errors').innerText()).match(SERVER_ENGLISH), 'no English server words')
      await shot(page, 'admin-users-import-rejected')
      assert.equal((await apiGet(base, await apiLogin(base, 'admin'), '/users?q=e2e_')).total, before, 'nothing imported')

      // A good one: the temporary password is shown once.
      await importFile(page, 'users.csv', 'username,display_name,role\ne2e_a,测试甲,operator\n')
      await page.getByTestId('temporary-passwords').getByText('e2e_a').waitFor()

      // Edit: name and role.
      await page.getByTestId('users-search').fill('e2e_a')
      await page.getByTestId('users-search').press('Enter')
      const row = userRow(page, 'e2e_a')
      await row.waitFor()
      await row.getByTestId('user-edit').click()
      await page.getByTestId('edit-display-name').fill('测试甲改')
      await page.getByTestId('edit-save').click()
      await page.locator('[data-testid=users-table] .el-table__row', { hasText: '测试甲改' }).first().waitFor()

      // Reset password: a new temporary password.
      await userRow(page, 'e2e_a').getByTestId('user-reset').click()
      await confirmBox(page)
      await page.getByTestId('temporary-passwords').getByText('e2e_a').waitFor()

      // Disable the demo handler: its open session is refused at once; enable it again.
      const handler = await apiLogin(base, 'handler')
      assert.equal((await fetch(`${base}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${handler}` } })).status, 200)
      await page.getByTestId('users-search').fill('handler')
      await page.getByTestId('users-search').press('Enter')
      const target = userRow(page, 'handler')
      await target.waitFor()
      await target.getByTestId('user-disable').click()
      await confirmBox(page)
      await userRow(page, 'handler').getByTestId('user-enable').waitFor()
      const refused = await fetch(`${base}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${handler}` } })
      assert.equal(refused.status, 401, 'a disabled account loses its session at once')
      await shot(page, 'admin-users-disabled')
      await userRow(page, 'handler').getByTestId('user-enable').click()
      await userRow(page, 'handler').getByTestId('user-disable').waitFor()
      await apiLogin(base, 'handler') // can sign in again

      // The same page in English: English headers and buttons, the import problems in English.
      const en = await newPage({ viewport: DESK })
      await en.addInitScript(() => localStorage.setItem('cityloop.lang', 'en'))
      await login(en, 'admin')
      await en.goto('/admin/users')
      await en.getByTestId('users-table').waitFor()
      await importFile(en, 'users-bad.csv', 'username,display_name,role\ne2e_b,Test B,clerk\n')
      const enText = await en.getByTestId('import-error-table').innerText()
      assert.ok(enText.includes("'clerk' is not a valid role") && enText.includes('What to do'), enText)
      const chinese = await chineseInChrome(en)
      assert.deepEqual(chinese, [], `Chinese in the English users page: ${chinese.join(' | ')}`)
      await shot(en, 'admin-users-en')
    },
  },
  {
    name: 'admin imports: regions and departments name the feature and the line from 1, in the chosen language',
    async run({ base, newPage, shot }) {
      const token = await apiLogin(base, 'admin')
      const communities = await apiGet(base, token, '/regions?level=community')
      const parent = communities.features[0].properties.code
      const bad = { type: 'FeatureCollection', features: [{ ...bowTie(`${parent}901`, parent), properties: { code: `${parent}902`, name: '层级错', level: '区级', parent_code: parent } }, bowTie(`${parent}901`, parent)] }
      for (const lang of ['zh-CN', 'en']) {
        const page = await newPage({ viewport: DESK })
        if (lang === 'en') await page.addInitScript(() => localStorage.setItem('cityloop.lang', 'en'))
        await login(page, 'admin')
        await page.goto('/admin/regions')
        await importFile(page, 'bad.geojson', JSON.stringify(bad), 'application/geo+json')
        const text = await page.getByTestId('import-error-table').innerText()
        const lines = text.split('\n')
        if (lang === 'zh-CN') {
          assert.ok(text.includes('“区级”不是有效的层级') && text.includes('边界无效：边界自相交'), text)
          assert.ok(text.includes('是否应为'), `a guess for 区级: ${text}`)
          assert.ok(!SERVER_ENGLISH.test(text), `no English: ${text}`)
        } else {
          assert.ok(text.includes("'区级' is not a valid level") && text.includes('crosses itself'), text)
          assert.deepEqual(await chineseInChrome(page), [], 'no Chinese in the English regions page chrome')
        }
        assert.ok(lines.some((l) => /^\s*1\b/.test(l)) && lines.some((l) => /^\s*2\b/.test(l)) && !lines.some((l) => /^\s*0\b/.test(l)), `features counted from 1: ${text}`)
        await shot(page, `admin-regions-import-rejected-${lang === 'en' ? 'en' : 'zh'}`)
        await page.goto('/admin/departments')
        await importFile(page, 'bad.csv', 'code,name,level\nD-E2E,测试局,区级\n')
        const d = await page.getByTestId('import-error-table').innerText()
        assert.ok(lang === 'en' ? d.includes("Did you mean district") : d.includes('是否应为 district（区）'), d)
        await importFile(page, 'bad.csv', Buffer.concat([Buffer.from('code,name,level\n'), Buffer.from([0xff, 0xfe, 0xff, 0x0a])]))
        await page.getByTestId('import-error-table').getByText(lang === 'en' ? 'whole file' : '整个文件').waitFor()
        const enc = await page.getByTestId('import-error-table').innerText()
        assert.ok(lang === 'en' ? enc.includes('neither UTF-8') : enc.includes('UTF-8') && enc.includes('另存为'), enc)
      }
    },
  },
  {
    name: 'admin device and alarm page: status, last seen, open alarms, invalid messages',
    async run({ base, newPage, shot }) {
      const page = await newPage({ viewport: DESK })
      await login(page, 'admin')
      await page.goto('/admin/sensing')
      await page.getByTestId('sensing-summary').waitFor()
      await page.getByTestId('alarms-table').waitFor()
      const token = await apiLogin(base, 'admin')
      const summary = await apiGet(base, token, '/sensing/summary')
      assert.equal(Number(await page.getByTestId('count-online').innerText()), summary.status.online)
      await page.getByTestId('sensing-tabs').getByText(/设备 \(/).click()
      await page.getByTestId('devices-table').waitFor()
      // Register two devices in a unit grid through the page's import (a bad type first: refused, in Chinese).
      const grid = (await apiGet(base, token, '/regions?level=grid')).features[0]
      const ring = grid.geometry.type === 'Polygon' ? grid.geometry.coordinates[0] : grid.geometry.coordinates[0][0]
      const [lon, lat] = [0, 1].map((k) => ring.slice(0, -1).reduce((a, p) => a + p[k], 0) / (ring.length - 1))
      await importFile(page, 'devices-bad.csv', `device_id,type,lon,lat,name\ne2e-smoke-1,烟感,${lon},${lat},一号烟感\n`)
      const bad = await page.getByTestId('import-error-table').innerText()
      assert.ok(bad.includes('“烟感”不是有效的设备类型') && /\b2\b/.test(bad), bad)
      await importFile(page, 'devices.csv', `device_id,type,lon,lat,name,address\ne2e-smoke-1,smoke_detector,${lon},${lat},一号烟感,一号楼\ne2e-gas-1,gas_detector,${lon},${lat},一号燃气,一号楼厨房\n`)
      await page.getByTestId('import-ok').waitFor()
      const row = page.locator('[data-testid=devices-table] .el-table__row', { hasText: 'e2e-smoke-1' })
      await row.waitFor()
      assert.equal((await row.getByTestId('device-state').innerText()).trim(), '未上报')
      assert.ok((await row.innerText()).includes('独立式烟感报警器'), await row.innerText())
      assert.equal(Number(await page.getByTestId('count-online').innerText()) + Number(await page.locator('.figure').first().locator('.n').innerText()) >= 2, true)
      await shot(page, 'admin-sensing-devices')
      await page.getByTestId('sensing-tabs').getByText(/无效消息 \(/).click()
      await page.getByTestId('invalid-table').waitFor()
      const sup = await newPage({ viewport: DESK })
      await login(sup, 'supervisor')
      await sup.goto('/admin/sensing')
      await sup.getByTestId('alarms-table').waitFor()
      await shot(sup, 'admin-sensing-supervisor')
    },
  },
]
