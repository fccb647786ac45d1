// The browser scenarios; run.mjs starts the server and the browser and calls each in turn.
// They assert what a person sees on the page (labels, ticket numbers, states), not internals.
import assert from 'node:assert/strict'

const PASSWORD = 'cityloop-demo'

async function apiLogin(base, username) {
  const r = await fetch(`${base}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password: PASSWORD }),
  })
  assert.equal(r.status, 200, `login ${username}`)
  return (await r.json()).access_token
}

async function apiGet(base, token, path) {
  const r = await fetch(`${base}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } })
  assert.ok(r.ok, `${path} → ${r.status}`)
  return r.json()
}

async function login(page, username) {
  await page.goto('/login')
  await page.getByTestId('username').fill(username)
  await page.getByTestId('password').fill(PASSWORD)
  await page.getByTestId('login-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
}

/** Choose an option of an Element Plus select by its visible text. */
async function choose(page, selectLocator, text) {
  await selectLocator.click()
  const input = selectLocator.locator('input')
  if (await input.count()) await input.first().fill(text).catch(() => {})
  await page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: text }).first().click()
}

async function pickOnMap(page) {
  const map = page.getByTestId('map').first()
  await map.waitFor()
  await page.waitForFunction(() => document.querySelector('[data-testid=map]')?.dataset.ready === '1')
  const box = await map.boundingBox()
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5)
  await page.getByTestId('picked').filter({ hasText: /\d+\.\d+/ }).waitFor()
}

export const scenarios = [
  {
    name: 'resident submits → dispatcher dispatches → handler accepts and replies → resident rates → closed',
    async run({ base, newPage, shot, shared }) {
      const phone = '13912345678'
      // 1. The resident, on a phone (375 px), reports a problem on the web channel.
      const resident = await newPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true })
      await resident.goto('/portal')
      await resident.getByTestId('content').fill('我家楼下人行道的井盖松动了，走上去会晃，晚上很危险，请尽快处理。')
      await resident.getByTestId('address').fill('滨江路88号楼下')
      await resident.getByTestId('reporter-phone').fill(phone)
      await pickOnMap(resident)
      await resident.getByTestId('photo').setInputFiles({ name: 'manhole.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(2048, 1) })
      await shot(resident, 'portal-form-375')
      const width = await resident.evaluate(() => document.documentElement.scrollWidth)
      assert.ok(width <= 375, `portal fits 375 px (scrollWidth ${width})`)
      await resident.getByTestId('submit-appeal').click()
      const ticket = (await resident.getByTestId('ticket-no').innerText()).trim()
      assert.match(ticket, /^\d{8}-\d+$/)
      await shot(resident, 'portal-accepted-375')

      // 2. The dispatcher finds it in the queue and dispatches it to the handler's department.
      const handlerToken = await apiLogin(base, 'handler')
      const me = await apiGet(base, handlerToken, '/auth/me')
      const depts = await apiGet(base, handlerToken, '/departments')
      const deptName = depts.find((d) => d.code === me.department_code).name
      const dispatcher = await newPage()
      await login(dispatcher, 'dispatcher')
      assert.equal(new URL(dispatcher.url()).pathname, '/dispatch')
      await dispatcher.getByPlaceholder('工单号/标题/内容').fill(ticket)
      const row = dispatcher.locator('.el-table__row', { hasText: ticket })
      await row.click()
      await dispatcher.getByTestId('dispatch-panel').getByText('井盖松动').waitFor()
      await shot(dispatcher, 'dispatch-queue')
      await dispatcher.getByTestId('action-dispatch').click()
      const dialog = dispatcher.getByTestId('action-dialog')
      await choose(dispatcher, dialog.getByTestId('lead-department'), deptName)
      // Remove any co-department the linkage list prefilled.
      const co = dialog.getByTestId('co-departments')
      while (await co.locator('.el-tag__close').count()) await co.locator('.el-tag__close').first().click()
      await dialog.getByTestId('action-note').fill('请尽快处置井盖隐患')
      await dialog.getByTestId('action-submit').click()
      await dispatcher.locator('.el-message--success').waitFor()
      const detail = await (await fetch(`${base}/api/v1/work-orders?q=${ticket}`, { headers: { Authorization: `Bearer ${handlerToken}` } })).json()
      assert.equal(detail.items.length, 1, 'the handler now sees the order')
      const orderId = detail.items[0].id
      shared.orderId = orderId

      // 3. The handler accepts and replies from the inbox.
      const handler = await newPage()
      await login(handler, 'handler')
      assert.equal(new URL(handler.url()).pathname, '/inbox')
      await handler.locator('.el-table__row', { hasText: ticket }).click()
      await handler.waitForURL(`**/orders/${orderId}`)
      await handler.getByTestId('detail-status').getByText('已派单').waitFor()
      await handler.getByTestId('action-accept').click()
      await handler.getByTestId('action-dialog').getByTestId('action-submit').click()
      await handler.getByTestId('detail-status').getByText('已签收').waitFor()
      // A reply without text is refused before it is sent.
      await handler.getByTestId('action-reply').click()
      const rd = handler.getByTestId('action-dialog')
      await rd.getByTestId('action-submit').click()
      await rd.getByText('请填写答复内容').waitFor()
      await rd.getByTestId('action-note').fill('已安排维修人员更换井盖并加固，现场已恢复安全。')
      await rd.getByTestId('action-submit').click()
      await handler.getByTestId('detail-status').getByText('已答复').waitFor()
      await handler.getByTestId('detail-reply').getByText('更换井盖').waitFor()
      const timeline = await handler.getByTestId('timeline').innerText()
      for (const step of ['受理', '派单', '签收', '答复']) assert.ok(timeline.includes(step), `timeline shows ${step}`)
      await shot(handler, 'order-detail-replied', { fullPage: true })

      // 4. The resident tracks the appeal and rates the answer; the order is closed.
      await resident.getByTestId('go-track').click()
      await resident.getByTestId('tracked').waitFor()
      await resident.getByTestId('track-status').getByText('已答复').waitFor()
      await resident.getByTestId('rate-box').waitFor()
      await resident.getByTestId('rate-options').getByText('满意', { exact: true }).click()
      await resident.getByTestId('rate-submit').click()
      await resident.getByTestId('track-status').getByText('已办结').waitFor()
      await resident.getByTestId('track-rating').getByText('满意').waitFor()
      const steps = await resident.getByTestId('tracked').innerText()
      assert.ok(steps.includes('承办单位已答复') && steps.includes('诉求已办结'), 'plain-language steps')
      await shot(resident, 'portal-rated-375', { fullPage: true })
      await handler.reload()
      await handler.getByTestId('detail-status').getByText('已办结').waitFor()
    },
  },
  {
    name: "a supervisor of one street cannot open another street's order",
    async run({ base, newPage, shot }) {
      const supToken = await apiLogin(base, 'supervisor')
      const sup = await apiGet(base, supToken, '/auth/me')
      const leaderToken = await apiLogin(base, 'leader')
      const streets = (await apiGet(base, leaderToken, '/regions?level=street')).features.map((f) => f.properties.code)
      assert.ok(sup.region_code, 'the supervisor has a region')
      const mine = await apiGet(base, leaderToken, `/work-orders?region=${sup.region_code}&page_size=1`)
      let other = null
      for (const s of streets.filter((c) => !c.startsWith(sup.region_code) && !sup.region_code.startsWith(c))) {
        const r = await apiGet(base, leaderToken, `/work-orders?region=${s}&page_size=1`)
        if (r.items.length) { other = r.items[0]; break }
      }
      assert.ok(other && mine.items.length, 'orders exist inside and outside the street')
      const page = await newPage()
      await login(page, 'supervisor')
      assert.equal(new URL(page.url()).pathname, '/orders')
      // Their list holds only their street.
      const total = Number((await page.getByTestId('order-total').innerText()).replace(/\D/g, ''))
      assert.equal(total, mine.total, 'the list counts only the street')
      await page.goto(`/orders/${other.id}`)
      await page.getByTestId('state-error').waitFor()
      assert.match(await page.getByTestId('state-error').innerText(), /不在您的辖区|404/)
      assert.equal(await page.getByTestId('detail-ticket').count(), 0)
      await shot(page, 'supervisor-other-street-refused')
      await page.goto(`/orders/${mine.items[0].id}`)
      await page.getByTestId('detail-ticket').getByText(mine.items[0].ticket_no).waitFor()
      await shot(page, 'supervisor-own-street-order')
    },
  },
  {
    name: 'the command-centre screen renders its map and charts with data',
    async run({ newPage, shot }) {
      const page = await newPage({ viewport: { width: 1920, height: 1080 } })
      await login(page, 'leader')
      assert.equal(new URL(page.url()).pathname, '/screen')
      await page.waitForFunction(() => document.querySelector('[data-testid=map]')?.dataset.ready === '1')
      await page.getByTestId('kpi-open').filter({ hasText: /^\d+$/ }).waitFor()
      const open = Number(await page.getByTestId('kpi-open').innerText())
      assert.ok(open > 0, 'open orders shown')
      assert.match(await page.getByTestId('kpi-ontime').innerText(), /^\d+\.\d%$/)
      assert.match(await page.getByTestId('kpi-satisfaction').innerText(), /^\d+\.\d%$/)
      await page.getByTestId('map-count').filter({ hasText: /^[1-9]/ }).waitFor()
      for (const id of ['chart-trend', 'chart-category', 'chart-channel', 'chart-grids']) {
        await page.getByTestId(id).locator('canvas').first().waitFor()
      }
      const polygons = await page.locator('[data-testid=map] canvas').count()
      assert.ok(polygons >= 1, 'the map drew its layers')
      assert.ok((await page.getByTestId('league').locator('tbody tr').count()) > 0, 'league rows')
      await page.locator('[data-testid=live].on').waitFor({ timeout: 20000 })
      await page.waitForTimeout(800) // let chart animations finish for the screenshot
      await shot(page, 'command-centre-1920')
    },
  },
  {
    name: 'the operator records a call and reads the ticket back',
    async run({ newPage, shot }) {
      const page = await newPage()
      await login(page, 'operator')
      assert.equal(new URL(page.url()).pathname, '/intake')
      // Validation before sending: too short, bad phone.
      await page.getByTestId('content').fill('路灯')
      await page.getByTestId('reporter-phone').fill('12345')
      await page.getByTestId('submit-appeal').click()
      await page.getByText('请至少填写5个字').waitFor()
      await page.getByText('手机号 1XXXXXXXXXX').waitFor()
      await page.getByTestId('content').fill('市民来电：人民路与解放路路口的红绿灯不亮了，车辆通行混乱，请尽快处理。')
      await page.getByTestId('reporter-name').fill('王先生')
      await page.getByTestId('reporter-phone').fill('13700001234')
      await page.getByTestId('address').fill('人民路与解放路路口')
      await pickOnMap(page)
      await shot(page, 'operator-intake-form')
      await page.getByTestId('submit-appeal').click()
      await page.getByTestId('intake-result').waitFor()
      assert.match(await page.getByTestId('ticket-no').innerText(), /^\d{8}-\d+$/)
      assert.ok((await page.getByTestId('next-step').innerText()).length > 8, 'next step told')
      await shot(page, 'operator-intake-accepted')
    },
  },
  {
    name: 'the work-order list filters, saves a preset and exports Excel',
    async run({ newPage, shot }) {
      const page = await newPage()
      await login(page, 'dispatcher')
      await page.goto('/orders')
      await page.getByTestId('order-total').waitFor()
      const all = Number((await page.getByTestId('order-total').innerText()).replace(/\D/g, ''))
      assert.ok(all > 100, `many orders (${all})`)
      await choose(page, page.getByTestId('filter-status'), '已办结')
      await page.keyboard.press('Escape')
      await page.getByTestId('filter-search').click()
      await page.waitForFunction((n) => {
        const t = document.querySelector('[data-testid=order-total]')?.textContent ?? ''
        return Number(t.replace(/\D/g, '')) !== n
      }, all)
      const closed = Number((await page.getByTestId('order-total').innerText()).replace(/\D/g, ''))
      assert.ok(closed > 0 && closed < all, 'the status filter narrows the list')
      const statuses = await page.locator('[data-testid=order-table] [data-status]').evaluateAll((els) => [...new Set(els.map((e) => e.dataset.status))])
      assert.deepEqual(statuses, ['closed'])
      page.once('dialog', () => {})
      await page.getByTestId('save-preset').click()
      await page.locator('.el-message-box input').fill('已办结工单')
      await page.locator('.el-message-box .el-button--primary').click()
      await page.getByTestId('preset').filter({ hasText: '已办结工单' }).waitFor()
      await page.reload()
      await page.getByTestId('preset').filter({ hasText: '已办结工单' }).waitFor()
      await page.getByTestId('preset').filter({ hasText: '已办结工单' }).click()
      await page.getByTestId('order-total').filter({ hasText: String(closed) }).waitFor()
      await shot(page, 'order-list-filtered')
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), page.getByTestId('export').click()])
      assert.match(download.suggestedFilename(), /\.xlsx$/)
      const path = await download.path()
      const { statSync } = await import('node:fs')
      assert.ok(statSync(path).size > 1000, 'a real workbook')
    },
  },
]
