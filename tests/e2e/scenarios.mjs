// The browser scenarios; run.mjs starts the server and the browser and calls each in turn.
// They assert what a person sees on the page (labels, ticket numbers, states), not internals.
import assert from 'node:assert/strict'
import { apiLogin, apiGet, apiPost, handlerOrder, login, choose, pickOnMap, png } from './lib.mjs'

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
      await resident.getByTestId('photo').setInputFiles({ name: 'manhole.png', mimeType: 'image/png', buffer: png(160, 120, [90, 110, 130]) })
      await resident.locator('[data-testid=photo-thumb][data-state=done]').waitFor()
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
      await rd.getByText('请选择办理结果').waitFor()
      await rd.getByTestId('reply-result').getByText('已解决').click()
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
    name: "a grid worker sees the community database masked; a resident sees the wish wall",
    async run({ newPage, shot }) {
      const grid = await newPage()
      await login(grid, 'grid')
      await grid.goto('/community/registry')
      await grid.getByRole('heading', { name: '社区数据库' }).waitFor()
      const row = grid.locator('.el-table__body tr').first()
      await row.waitFor()
      // ID numbers and phones are masked for a grid worker until they ask to see one.
      const cells = await row.locator('td').allInnerTexts()
      assert.ok(cells.some((c) => /\*{4}/.test(c)), `masked personal data expected, got ${cells}`)
      await shot(grid, 'community-registry-grid')
      const resident = await newPage()
      await login(resident, 'resident')
      await resident.goto('/community/wishes')
      await resident.getByRole('heading', { name: '心愿墙' }).waitFor()
      await resident.getByTestId('wish').first().waitFor()
      assert.ok((await resident.getByTestId('wish').count()) > 0, 'the demo community has wishes')
      await shot(resident, 'community-wish-wall')
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
      // The region filter is the street's own tree, picked by name: a community of it.
      const tree = await apiGet(base, supToken, '/regions/tree')
      assert.deepEqual(tree.map((n) => n.value), [sup.region_code], 'the tree is rooted at the street')
      const community = tree[0].children.find((c) => c.level === 'community')
      const inCommunity = await apiGet(base, supToken, `/work-orders?region=${community.value}&page_size=1`)
      await page.locator('.el-select[data-testid=filter-region]').click()
      await page.keyboard.type(community.label)
      await page.locator('.el-tree-select__popper .el-tree-node__content:visible', { hasText: community.label }).first().click()
      await page.getByTestId('filter-search').click()
      await page.waitForFunction((n) => Number((document.querySelector('[data-testid=order-total]')?.textContent ?? '').replace(/\D/g, '')) === n, inCommunity.total)
      await shot(page, 'supervisor-region-filter')
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
      for (const id of ['chart-trend', 'chart-category']) await page.getByTestId(id).locator('canvas').first().waitFor()
      // 渠道分布 and 高发网格 are bars in HTML: one row per channel, counts that add up.
      const token = await page.evaluate(() => JSON.parse(localStorage.getItem('cityloop.session')).token)
      const summary = await (await page.request.get('/api/v1/dashboard/summary', { headers: { Authorization: `Bearer ${token}` } })).json()
      const channelRows = page.getByTestId('chart-channel').getByTestId('bar-row')
      await channelRows.first().waitFor()
      assert.equal(await channelRows.count(), summary.channel_mix.length)
      const shown = (await channelRows.locator('.value').allInnerTexts()).map(Number)
      assert.deepEqual(shown, summary.channel_mix.map((c) => c.count))
      const gridRows = page.getByTestId('chart-grids').getByTestId('bar-row')
      assert.equal(await gridRows.count(), summary.busiest_grids.length)
      assert.equal(await gridRows.first().locator('.label').innerText(), summary.busiest_grids[0].name)
      const polygons = await page.locator('[data-testid=map] canvas').count()
      assert.ok(polygons >= 1, 'the map drew its layers')
      // Orders are dots on one canvas: hovering one names it, clicking it opens the order.
      const map = page.getByTestId('map').first()
      const dot = await map.evaluate((el) => el.dotPoint(0))
      assert.ok(dot, 'a marker is drawn')
      const box = await map.boundingBox()
      await page.mouse.move(box.x + dot.x, box.y + dot.y)
      await page.locator('.leaflet-tooltip').filter({ hasText: /\d{8}-\d{6}/ }).waitFor()
      assert.ok((await page.getByTestId('league').locator('tbody tr').count()) > 0, 'league rows')
      await page.locator('[data-testid=live].on').waitFor({ timeout: 20000 })
      await page.waitForTimeout(800) // let chart animations finish for the screenshot
      // Hot issues (热点) sit beside the league table; the demo history has some.
      await page.getByTestId('hot-issues').locator('li').first().waitFor()
      assert.ok((await page.getByTestId('hot-issues').locator('li').count()) > 0, 'hot issues listed')
      await shot(page, 'command-centre-1920')
      await page.mouse.click(box.x + dot.x, box.y + dot.y)
      await page.waitForURL(/\/orders\/\d+$/)
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
      await page.getByText('手机号为 1 开头的 11 位数字').waitFor()
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
  {
    name: 'a resident attaches photos; the dispatcher sees the thumbnail and the larger view',
    async run({ base, newPage, shot }) {
      const resident = await newPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true })
      await resident.goto('/portal')
      await resident.getByTestId('content').fill('小区门口的垃圾桶满了好几天没人清运，气味很大，请安排清理。')
      await resident.getByTestId('address').fill('滨江花园南门')
      await resident.getByTestId('reporter-phone').fill('13912340000')
      await pickOnMap(resident)
      // Two photos, then one removed: only the other goes with the appeal.
      await resident.getByTestId('photo').setInputFiles([
        { name: 'bins.png', mimeType: 'image/png', buffer: png(240, 180, [46, 139, 87]) },
        { name: 'wrong.png', mimeType: 'image/png', buffer: png(120, 90, [200, 60, 60]) },
      ])
      await resident.locator('[data-testid=photo-thumb][data-state=done]').nth(1).waitFor()
      const thumbs = resident.getByTestId('photo-thumb')
      assert.equal(await thumbs.count(), 2)
      assert.ok(await thumbs.first().locator('img').evaluate((img) => img.complete && img.naturalWidth > 0), 'a thumbnail before sending')
      await thumbs.filter({ has: resident.locator('img[alt="wrong.png"]') }).getByTestId('photo-remove').click()
      assert.equal(await thumbs.count(), 1)
      // A file that is not an image or PDF is refused before it is sent.
      await resident.getByTestId('photo').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') })
      await resident.getByTestId('form-error').getByText('仅支持').waitFor()
      assert.equal(await thumbs.count(), 1)
      await shot(resident, 'portal-photo-375')
      const width = await resident.evaluate(() => document.documentElement.scrollWidth)
      assert.ok(width <= 375, `portal fits 375 px with photos (scrollWidth ${width})`)
      await resident.getByTestId('submit-appeal').click()
      const ticket = (await resident.getByTestId('ticket-no').innerText()).trim()

      const token = await apiLogin(base, 'dispatcher')
      const found = await apiGet(base, token, `/work-orders?q=${ticket}`)
      const detail = await apiGet(base, token, `/work-orders/${found.items[0].id}`)
      const atts = detail.appeals.flatMap((a) => a.attachments)
      assert.deepEqual(atts.map((a) => [a.name, a.content_type]), [['bins.png', 'image/png']])
      const dispatcher = await newPage()
      await login(dispatcher, 'dispatcher')
      await dispatcher.goto(`/orders/${detail.id}`)
      await dispatcher.getByTestId('detail-ticket').getByText(ticket).waitFor()
      const thumb = dispatcher.getByTestId('attachment-thumb').locator('img')
      await thumb.waitFor()
      await dispatcher.waitForFunction(() => {
        const img = document.querySelector('[data-testid=attachment-thumb] img')
        return img && img.complete && img.naturalWidth === 240
      })
      await shot(dispatcher, 'order-detail-photo')
      await thumb.click()
      const viewer = dispatcher.locator('.el-image-viewer__wrapper')
      await viewer.waitFor()
      const big = await viewer.locator('img.el-image-viewer__img').first().boundingBox()
      assert.ok(big && big.width > 200, `the larger view (${big?.width} px)`)
      await shot(dispatcher, 'order-detail-photo-preview')
      await dispatcher.keyboard.press('Escape')
      await viewer.waitFor({ state: 'detached' })
    },
  },
  {
    name: 'the dispatcher merges two orders about the same problem',
    async run({ base, newPage, shot }) {
      const op = await apiLogin(base, 'operator')
      const body = { channel: 'hotline', content: '新华路公交站旁的消防栓漏水，水流到路面上结冰了。', reporter_phone: '13600001111', address: '新华路公交站' }
      const a = await apiPost(base, op, '/appeals', body)
      const b = await apiPost(base, op, '/appeals', { ...body, content: '新华路公交站那里消防栓一直在漏水，路面很滑。', reporter_phone: '13600002222' })
      const page = await newPage()
      await login(page, 'dispatcher')
      await page.goto(`/orders/${b.work_order_id}`)
      await page.getByTestId('detail-ticket').getByText(b.ticket_no).waitFor()
      await page.getByTestId('action-merge').click()
      const dialog = page.getByTestId('action-dialog')
      // A ticket that does not exist is refused, naming the field.
      await dialog.getByTestId('merge-into').fill('19990101-999999')
      await dialog.getByTestId('action-submit').click()
      await dialog.getByText('未找到该工单').waitFor()
      await dialog.getByTestId('merge-into').fill(a.ticket_no)
      await dialog.getByTestId('action-submit').click()
      // The two orders side by side, then the merge is confirmed.
      await dialog.getByTestId('merge-compare').getByText(a.ticket_no).waitFor()
      await dialog.getByTestId('action-submit').getByText('确认合并').click()
      await page.getByTestId('detail-status').getByText('已合并').waitFor()
      await dialog.waitFor({ state: 'hidden' })
      await page.getByTestId('merged-into').getByText(`#${a.work_order_id}`).waitFor()
      await shot(page, 'order-merged')
      await page.getByTestId('merged-into').click()
      await page.getByTestId('detail-ticket').getByText(a.ticket_no).waitFor()
      // Both callers are now followed on the surviving order.
      const callers = await page.getByTestId('callers').innerText()
      assert.ok(callers.includes(a.ticket_no) && callers.includes(b.ticket_no), 'both appeals on the surviving order')
      assert.ok((await page.getByTestId('timeline').innerText()).includes('关联诉求'), 'the merge is on the timeline')
      await shot(page, 'order-merge-target', { fullPage: true })
    },
  },
  {
    name: 'a handler requests an extension and the supervisor approves it (the deadline moves)',
    async run({ base, newPage, shot }) {
      const o = await handlerOrder(base, { phone: '13700003333', content: '幸福路12号门前的雨水井盖缺失，需要更换，材料需采购。' })
      const handler = await newPage()
      await login(handler, 'handler')
      await handler.goto(`/orders/${o.id}`)
      await handler.getByTestId('detail-status').getByText('已签收').waitFor()
      const before = (await handler.getByTestId('detail-due').innerText()).trim()
      assert.match(before, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/)
      await handler.getByTestId('action-request_extension').click()
      const dialog = handler.getByTestId('action-dialog')
      // A number and a unit from the list: "三天" is no number, the unit is 工作日.
      await dialog.getByTestId('extension').fill('三天')
      await dialog.getByTestId('action-note').fill('井盖需定制采购，预计三个工作日到货。')
      await dialog.getByTestId('action-submit').click()
      await dialog.getByText('请填写 1 到 60 之间的整数').waitFor()
      await dialog.getByTestId('extension').fill('3')
      await dialog.getByTestId('extension-unit').getByText('工作日').click()
      await dialog.getByTestId('extension-preview').getByText('将申请延期 3 个工作日').waitFor()
      await dialog.getByTestId('action-submit').click()
      await handler.getByTestId('pending-extension').getByText('3个工作日').waitFor()
      assert.equal(await handler.getByTestId('action-request_extension').count(), 0, 'one request at a time')

      const sup = await newPage()
      await login(sup, 'supervisor')
      await sup.goto(`/orders/${o.id}`)
      await sup.getByTestId('pending-extension').getByText('3个工作日').waitFor()
      await shot(sup, 'extension-pending')
      await sup.getByTestId('action-approve_extension').click()
      await sup.getByTestId('action-dialog').getByTestId('action-note').fill('同意延期三个工作日')
      await sup.getByTestId('action-dialog').getByTestId('action-submit').click()
      await sup.locator('.el-message--success').waitFor()
      await sup.getByTestId('pending-extension').waitFor({ state: 'detached' })
      await sup.getByTestId('action-dialog').waitFor({ state: 'hidden' })
      const after = (await sup.getByTestId('detail-due').innerText()).trim()
      assert.ok(after > before, `the deadline moved later (${before} → ${after})`)
      assert.ok((await sup.getByTestId('timeline').innerText()).includes('同意延期'))
      await shot(sup, 'extension-approved', { fullPage: true })
      await handler.reload()
      await handler.getByTestId('detail-due').getByText(after).waitFor()
    },
  },
  {
    name: "a department handler reveals the caller's phone, giving a reason",
    async run({ base, newPage, shot }) {
      const phone = '13755556666'
      const o = await handlerOrder(base, { phone, content: '幸福路12号楼下的路灯闪烁不停，晚上影响休息。', accept: false })
      const page = await newPage()
      await login(page, 'handler')
      await page.goto(`/orders/${o.id}`)
      const shown = page.getByTestId('caller-phone').first()
      await shown.waitFor()
      assert.equal((await shown.innerText()).trim(), '137****6666', 'masked at first')
      assert.equal((await page.getByTestId('caller-name').first().innerText()).trim(), '李**')
      await page.getByTestId('reveal').click()
      const box = page.locator('.el-message-box')
      await box.locator('.el-button--primary').click()
      await box.getByText('至少2个字').waitFor() // a reason is required
      await box.locator('input').fill('需电话联系诉求人核实路灯位置')
      await box.locator('.el-button--primary').click()
      await page.getByTestId('revealed').waitFor()
      assert.equal((await shown.innerText()).trim(), phone)
      assert.equal((await page.getByTestId('caller-name').first().innerText()).trim(), '李女士')
      await page.waitForTimeout(400) // let the tags' fade finish for the screenshot
      await shot(page, 'handler-revealed-phone')
    },
  },
  {
    name: 'watch lists: counts in the menu for the roles that act on them, scoped; queues and step timers',
    async run({ base, newPage, shot }) {
      const counts = {}
      for (const who of ['dispatcher', 'supervisor', 'leader']) counts[who] = await apiGet(base, await apiLogin(base, who), '/work-orders/watch-counts')
      // A supervisor sees only their street: never more than the city-wide leader.
      for (const [k, n] of Object.entries(counts.supervisor)) assert.ok(n <= counts.leader[k], `supervisor ${k} ${n} ≤ leader ${counts.leader[k]}`)

      const page = await newPage()
      await login(page, 'dispatcher')
      await page.getByTestId('watch-menu').click()
      const busiest = ['overdue', 'warning', 'dispatch_overdue', 'life_safety'].find((k) => counts.dispatcher[k] > 0) ?? 'overdue'
      const item = page.getByTestId(`watch-${busiest}`)
      await item.waitFor()
      if (counts.dispatcher[busiest] > 0) {
        const shown = await page.getByTestId(`watch-count-${busiest}`).innerText()
        assert.equal(shown, counts.dispatcher[busiest] > 99 ? '99+' : String(counts.dispatcher[busiest]), 'menu count = API count')
      }
      await item.click()
      await page.waitForURL((u) => u.pathname === `/watch/${busiest}`)
      await page.getByTestId('watch-total').getByText(String(counts.dispatcher[busiest])).waitFor()
      await shot(page, `watch-${busiest}-dispatcher`)
      if (counts.dispatcher[busiest] > 0) {
        await page.locator('.el-table__row').first().click()
        await page.waitForURL((u) => /^\/orders\/\d+$/.test(u.pathname))
        const timers = page.getByTestId('step-timers')
        await timers.waitFor()
        const words = await timers.getByTestId('step-remaining').allInnerTexts()
        assert.ok(words.length > 0 && words.every((w) => /剩余|超时|按时完成|超时完成|已取消/.test(w)), `time left in words: ${words}`)
        assert.ok((await timers.getByTestId('step-clock').allInnerTexts()).every((c) => /自然时|工作日/.test(c)), 'each limit names its clock')
        await shot(page, 'order-step-timers')
      }

      const handler = await newPage()
      await login(handler, 'handler')
      await handler.getByTestId('who').waitFor()
      assert.equal(await handler.getByTestId('watch-menu').count(), 0, 'no watch lists for a department handler')
    },
  },
  {
    name: 'an admin is warned that next year is missing, and the holiday page edits and imports it',
    async run({ base, newPage, shot }) {
      const token = await apiLogin(base, 'admin')
      const status = await apiGet(base, token, '/holidays/status')
      const year = Number(status.today.slice(0, 4)) + 1
      const page = await newPage()
      await login(page, 'admin')
      if (status.warnings.length) await page.getByTestId('holiday-warning').first().waitFor()
      await page.goto('/admin/holidays')
      await page.getByTestId('holiday-days').or(page.getByText('暂无数据')).first().waitFor()
      await shot(page, 'holidays-admin')
      // A bad file names the line and the column and changes nothing.
      const bad = `日期,类型,名称\n${year}-01-01,休,元旦\n${year}-01-02,放工,元旦\n`
      await page.getByTestId('import-file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) })
      const table = await page.getByTestId('import-error-table').innerText()
      assert.ok(/\b3\b/.test(table) && table.includes('类型'), `line 3, 类型: ${table}`)
      assert.ok((await apiGet(base, token, '/holidays/status')).missing_years.includes(year) === status.missing_years.includes(year), 'nothing written')
      await page.getByTestId('import-file').setInputFiles({ name: 'ok.csv', mimeType: 'text/csv', buffer: Buffer.from(`日期,类型,名称\n${year}-01-01,休,元旦\n`) })
      await page.getByTestId('import-ok').waitFor()
      const after = await apiGet(base, token, '/holidays/status')
      assert.ok(after.arranged_years.includes(year) && after.warnings.every((w) => w.params.year !== year), 'the warning is gone')
      // The page reloads its warning after the import message shows; wait for it to match the server.
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="holiday-warning"] .el-alert').length === n, after.warnings.length, { timeout: 10000 })
      await page.locator(`[data-day="${year}-01-01"]`).waitFor()
      await shot(page, 'holidays-imported')
    },
  },
  {
    // Last: it replaces the active linkage list (with the same rules and one limit changed).
    last: true,
    name: 'an admin imports a linkage list: a bad row changes nothing, a good file becomes the new version',
    async run({ base, newPage, shot }) {
      const token = await apiLogin(base, 'admin')
      const current = await apiGet(base, token, '/linkage-rules')
      const v0 = current.versions.find((v) => v.active).version
      const cell = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
      const line = (r) => [r.category_path ?? r.category_code, r.region_code ?? '', r.lead_department, r.co_departments.join('|'), r.limits.urgent ?? '', r.limits.normal ?? ''].map(cell).join(',')
      const header = 'category,region_code,lead,co,urgent,normal'
      const rows = current.rules.map(line)
      const bad = [header, rows[0], rows[1].replace(`,${current.rules[1].lead_department},`, ',D-NO-SUCH,'), ...rows.slice(2)].join('\n')
      const good = [header, ...rows.slice(0, -1), line({ ...current.rules.at(-1), limits: { ...current.rules.at(-1).limits, normal: '4d' } })].join('\n')

      const page = await newPage()
      await login(page, 'admin')
      await page.goto('/admin/linkage')
      await page.getByTestId('linkage-active').getByText(`v${v0}`).waitFor()
      // The template is a CSV with the columns the server expects.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-template').click()])
      assert.equal(download.suggestedFilename(), 'linkage-template.csv')
      const { readFileSync } = await import('node:fs')
      assert.ok(readFileSync(await download.path(), 'utf8').includes(header), 'template header')

      await page.getByTestId('import-file').setInputFiles({ name: 'linkage-bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) })
      const errors = page.getByTestId('import-errors')
      await errors.waitFor()
      const table = await page.getByTestId('import-error-table').innerText()
      assert.ok(/\b3\b/.test(table) && table.includes('lead') && table.includes('D-NO-SUCH'), `row 3, field lead: ${table}`)
      await page.getByTestId('linkage-active').getByText(`v${v0}`).waitFor()
      const after = await apiGet(base, token, '/linkage-rules')
      assert.equal(after.versions.length, current.versions.length, 'nothing was written')
      await shot(page, 'linkage-import-rejected')

      await page.getByTestId('import-file').setInputFiles({ name: 'linkage-good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) })
      await page.getByTestId('import-ok').getByText(`${v0 + 1}`).waitFor()
      await page.getByTestId('linkage-active').getByText(`v${v0 + 1}`).waitFor()
      assert.equal(await page.getByTestId('import-errors').count(), 0, 'the errors are gone')
      await page.getByTestId('linkage-count').getByText(String(current.rules.length), { exact: true }).waitFor()
      assert.ok((await page.getByTestId('linkage-version').innerText()).includes(`v${v0 + 1}`), 'the new version is shown')
      await shot(page, 'linkage-import-accepted')
    },
  },
]
