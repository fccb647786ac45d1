// The desks of a working day (issue 16): the operator registers a call with the keyboard only and
// sees suggestions, the caller's history and a similar order to merge into; a consultation is
// answered from the knowledge base and closed on the call; the dispatcher's tabs with counts,
// batch dispatch and merge from a list; the handler's extension in 工作日 and structured reply
// on a phone.
import assert from 'node:assert/strict'
import { apiLogin, apiGet, apiPost, handlerOrder, login, choose, png } from '../lib.mjs'

const LAPTOP = { viewport: { width: 1366, height: 768 } }
const PHONE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true }

async function fits(page, width, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(w <= width, `${what} fits ${width} px (scrollWidth ${w})`)
}

/** A gazetteer place and the category the model gives a text about it. */
async function placeAndCategory(base, op, text) {
  const g = await apiGet(base, op, '/gazetteer?page_size=50')
  const place = g.items.find((x) => x.name.length >= 3 && x.grid_code) ?? g.items[0]
  assert.ok(place, 'the demo city has a gazetteer')
  const a = await apiPost(base, op, '/understanding/analyse', { content: `${place.name}${text}`, address: place.name })
  const category = a.suggestions?.[0]?.category_code ?? a.route?.category_code
  assert.ok(category, 'the model suggests a category')
  return { place, category, analysis: a }
}

export const scenarios = [
  {
    name: 'desk: the operator registers a call keyboard-only, sees suggestions and history, merges into a similar order',
    async run({ base, newPage, shot }) {
      const op = await apiLogin(base, 'operator')
      const text = '门口的路灯坏了好几天，晚上很黑，行人容易摔倒，请尽快修复。'
      const { place, category } = await placeAndCategory(base, op, text)
      // An earlier call from the same number, about the same lamp: the open order to merge into.
      const phone = '13566667777'
      const first = await apiPost(base, op, '/appeals', { channel: 'hotline', content: `${place.name}${text}`, address: place.name, reporter_phone: phone, reporter_name: '周先生', category_code: category })

      const page = await newPage(LAPTOP)
      await login(page, 'operator')
      await page.getByTestId('shortcuts').getByText('Ctrl+Enter').waitFor()
      // The content box has the focus; everything below is typed.
      await page.waitForFunction(() => document.activeElement?.closest('[data-testid=content]'))
      await page.keyboard.type(`市民来电：${place.name}那边路灯坏了好几天，晚上很黑，希望尽快修。`)
      await page.keyboard.press('Tab')
      await page.keyboard.type(place.name)
      await page.keyboard.press('Tab')
      await page.keyboard.type('周先生')
      await page.keyboard.press('Tab')
      await page.keyboard.type(phone)
      const suggest = page.getByTestId('suggest-panel')
      await suggest.getByTestId('take-category').waitFor()
      await suggest.getByTestId('suggest-route').getByText('联动清单').waitFor()
      await suggest.getByTestId('suggest-place').getByText(place.name).first().waitFor()
      assert.ok((await suggest.getByTestId('suggest-category').innerText()).includes('依据词'), 'the category says why')
      await page.keyboard.press('Alt+1') // take the suggested category
      await page.waitForFunction(() => [...document.querySelectorAll('.appeal-form .el-cascader input')].some((i) => i.value.includes('/')))
      await page.keyboard.press('Alt+3') // and the place read from the text
      await page.getByTestId('picked').filter({ hasText: /\d+\.\d+/ }).waitFor()
      const history = page.getByTestId('history-panel')
      await history.getByTestId('history-item').getByText(first.ticket_no).waitFor()
      const similar = page.getByTestId('similar-panel').getByTestId('similar-item').filter({ hasText: first.ticket_no })
      await similar.waitFor()
      await shot(page, 'desk-operator-suggestions-1366')
      await fits(page, 1366, 'the intake desk')
      // 并入 the similar order: Alt+4, confirmed with Enter.
      const target = (await page.getByTestId('similar-item').first().innerText()).includes(first.ticket_no)
      assert.ok(target, 'the earlier order is the first similar one')
      await page.keyboard.press('Alt+4')
      await page.locator('.el-message-box').getByText('并入工单').waitFor()
      await shot(page, 'desk-operator-merge-confirm-1366')
      await page.keyboard.press('Enter')
      await page.getByTestId('intake-result').waitFor()
      await page.getByTestId('merged-note').waitFor()
      const merged = (await page.getByTestId('ticket-no').innerText()).trim()
      assert.notEqual(merged, first.ticket_no, 'the caller keeps a number of their own')
      const order = await apiGet(base, op, `/work-orders/${first.work_order_id}`)
      assert.ok(order.appeals.some((a) => a.ticket_no === merged), 'the call joined the earlier order')
      await shot(page, 'desk-operator-merged-1366')

      // Ctrl+Enter: the next call, registered with Ctrl+Enter too.
      await page.keyboard.press('Control+Enter')
      await page.getByTestId('appeal-form').waitFor()
      await page.waitForFunction(() => document.activeElement?.closest('[data-testid=content]'))
      await page.keyboard.type('市民来电：解放路菜市场门口下水道堵塞，污水漫到路面，气味很大。')
      await page.keyboard.press('Tab')
      await page.keyboard.type('解放路菜市场门口')
      await page.keyboard.press('Control+Enter')
      await page.getByTestId('intake-result').waitFor()
      assert.match(await page.getByTestId('ticket-no').innerText(), /^\d{8}-\d+$/)
    },
  },
  {
    name: 'desk: a consultation is answered from the knowledge base and closed on the call (直接办结)',
    async run({ base, newPage, shot }) {
      // The administrator keeps the knowledge base.
      const adminPage = await newPage(LAPTOP)
      await login(adminPage, 'admin')
      await adminPage.goto('/admin/knowledge')
      await adminPage.getByTestId('kb-new').click()
      await adminPage.getByTestId('kb-question').fill('居住证怎么办理？需要带什么材料？')
      await adminPage.getByTestId('kb-answer-text').fill('居住证可在居住地派出所或政务服务中心办理：带身份证、租房合同或房产证明，连续居住满半年即可申领，一般 15 个工作日内发证。')
      await adminPage.getByTestId('kb-save').click()
      await adminPage.getByTestId('kb-table').getByText('居住证怎么办理').waitFor()
      await shot(adminPage, 'desk-admin-knowledge-1366')
      const admin = await apiLogin(base, 'admin')
      const entry = (await apiGet(base, admin, '/knowledge?q=' + encodeURIComponent('居住证'))).items.find((x) => x.question.startsWith('居住证怎么办理'))
      assert.ok(entry, 'the entry is stored')
      const op = await apiLogin(base, 'operator')
      const before = (await apiGet(base, op, '/knowledge/stats')).answered_on_call
      const page = await newPage(LAPTOP)
      await login(page, 'operator')
      await page.getByTestId('content').fill('市民来电咨询：刚来本市工作，想问居住证怎么办理，需要带哪些材料？')
      await page.getByTestId('reporter-phone').fill('13611112222')
      const item = page.getByTestId('kb-panel').getByTestId('kb-item').filter({ hasText: '居住证怎么办理' })
      await item.waitFor()
      await shot(page, 'desk-operator-knowledge-1366')
      await item.getByTestId('kb-answer').click()
      const dialog = page.getByTestId('answer-dialog')
      assert.ok((await dialog.getByTestId('answer-text').inputValue()).includes('派出所'), 'the answer is prefilled')
      await dialog.getByTestId('answer-confirm').click()
      await page.getByTestId('intake-result').getByText('已直接办结').waitFor()
      await page.getByTestId('result-status').getByText('已办结').waitFor()
      await shot(page, 'desk-operator-closed-on-call-1366')
      const stats = await apiGet(base, op, '/knowledge/stats')
      assert.equal(stats.answered_on_call, before + 1, 'counted as closed on the call')
      assert.ok(stats.top.some((t) => t.id === entry.id), 'the entry counts its use')
    },
  },
  {
    name: 'desk: the dispatcher works the queue by tabs with counts, dispatches a batch, merges from a list',
    async run({ base, newPage, shot }) {
      const op = await apiLogin(base, 'operator')
      // Two calls nobody could route (no category, no pin), about one hydrant at one place.
      const g = await apiGet(base, op, '/gazetteer?page_size=50')
      const place = g.items.find((x) => x.name.length >= 3 && x.grid_code) ?? g.items[0]
      const body = { channel: 'hotline', content: `${place.name}旁边的消防栓一直在漏水，水流到路面上。`, reporter_phone: '13600003333', address: place.name }
      const a = await apiPost(base, op, '/appeals', body)
      const b = await apiPost(base, op, '/appeals', { ...body, content: `${place.name}旁边的消防栓一直漏水，水都流到路面上了。`, reporter_phone: '13600004444' })
      const page = await newPage(LAPTOP)
      await login(page, 'dispatcher')
      const tabs = page.getByTestId('dispatch-tabs')
      for (const k of ['pending_dispatch', 'returned', 'dispatch_overdue', 'life_safety']) await tabs.getByTestId(`tab-${k}`).waitFor()
      const count = Number((await tabs.getByTestId('count-pending_dispatch').innerText()).replace(/\D/g, ''))
      assert.ok(count > 0, `待派单 shows its count (${count})`)
      // Real tabs: one at a time.
      await tabs.getByTestId('tab-returned').click()
      assert.equal(await page.locator('.el-tabs__item.is-active').count(), 1)
      await tabs.getByTestId('tab-pending_dispatch').click()
      await page.getByTestId('order-table').locator('.el-table__row').first().waitFor()
      await shot(page, 'desk-dispatch-tabs-1366')
      await fits(page, 1366, 'the dispatch queue')

      // Merge b into a from the similar orders, compared side by side.
      await page.goto(`/orders/${b.work_order_id}`)
      await page.getByTestId('action-merge').click()
      const dialog = page.getByTestId('action-dialog')
      await dialog.getByTestId('similar-order').filter({ hasText: a.ticket_no }).click()
      await dialog.getByTestId('merge-compare').getByText(a.ticket_no).waitFor()
      await shot(page, 'desk-dispatch-merge-compare-1366')
      await dialog.getByTestId('action-submit').getByText('确认合并').click()
      await page.getByTestId('detail-status').getByText('已合并').waitFor()
      assert.ok(!(await page.getByTestId('routing-reason').innerText()).match(/（(none|operator|model)）/), 'no raw values in the routing line')

      // Batch: the two oldest waiting orders to one department, each with its result.
      await page.goto('/dispatch')
      const rows = page.getByTestId('order-table').locator('.el-table__row')
      await rows.first().waitFor()
      const tickets = []
      for (const i of [0, 1]) {
        tickets.push((await rows.nth(i).locator('.ticket').innerText()).trim())
        await rows.nth(i).locator('.el-checkbox').click()
      }
      await page.getByTestId('batch-dispatch').getByText('（2）').waitFor()
      await page.getByTestId('batch-dispatch').click()
      const batch = page.getByTestId('batch-dialog')
      const handler = await apiLogin(base, 'handler')
      const me = await apiGet(base, handler, '/auth/me')
      const dept = (await apiGet(base, handler, '/departments')).find((d) => d.code === me.department_code).name
      await choose(page, batch.getByTestId('batch-lead'), dept)
      await shot(page, 'desk-dispatch-batch-1366')
      await batch.getByTestId('batch-confirm').click()
      await batch.getByTestId('batch-results').waitFor()
      assert.equal(await batch.getByTestId('batch-ok').count(), 2, 'both dispatched')
      await shot(page, 'desk-dispatch-batch-results-1366')
      for (const t of tickets) {
        const found = await apiGet(base, handler, `/work-orders?q=${t}`)
        assert.equal(found.items[0]?.status, 'dispatched', `${t} is with the department`)
      }
    },
  },
  {
    name: 'desk: on a phone the handler asks for 2 工作日 more and replies with outcome, measures and photos',
    async run({ base, newPage, shot }) {
      const o = await handlerOrder(base, { phone: '13700005555', content: '幸福路30号门前的人行道地砖大面积松动翘起，老人经过容易绊倒。' })
      const page = await newPage(PHONE)
      await login(page, 'handler')
      await page.goto(`/orders/${o.id}`)
      await page.getByTestId('detail-status').getByText('已签收').waitFor()
      const sla = await page.getByTestId('detail-sla').innerText()
      assert.match(sla, /个工作日|工作时间|自然/, `time left says its clock (${sla})`)
      await page.getByTestId('action-request_extension').click()
      let dialog = page.getByTestId('action-dialog')
      await dialog.getByTestId('extension').fill('2')
      await dialog.getByTestId('extension-unit').getByText('工作日').click()
      await dialog.getByTestId('action-note').fill('地砖需整体翻铺，需等待材料。')
      await shot(page, 'desk-handler-extension-375')
      await dialog.getByTestId('action-submit').click()
      await page.getByTestId('pending-extension').getByText('2个工作日').waitFor()
      await fits(page, 375, 'the order on a phone')
      const sup = await apiLogin(base, 'supervisor')
      await apiPost(base, sup, `/work-orders/${o.id}/actions/approve_extension`, { note: '同意' })
      await page.reload()
      await page.getByTestId('action-reply').click()
      dialog = page.getByTestId('action-dialog')
      await dialog.getByTestId('reply-result').getByText('部分解决').click()
      await dialog.getByTestId('reply-measures').fill('已翻铺松动地砖 12 块，剩余路段排入下周计划')
      await dialog.getByTestId('photos-before').setInputFiles({ name: 'before.png', mimeType: 'image/png', buffer: png(160, 120, [150, 120, 90]) })
      await dialog.getByTestId('photo-before-thumb').waitFor()
      await dialog.getByTestId('photos-after').setInputFiles({ name: 'after.png', mimeType: 'image/png', buffer: png(160, 120, [90, 140, 100]) })
      await dialog.getByTestId('photo-after-thumb').waitFor()
      await dialog.getByTestId('action-note').fill('已对松动地砖进行翻铺，其余路段下周完成。')
      await shot(page, 'desk-handler-reply-375')
      await dialog.getByTestId('action-submit').click()
      await page.getByTestId('detail-status').getByText('已答复').waitFor()
      await page.getByTestId('reply-result-tag').getByText('部分解决').waitFor()
      await page.getByTestId('reply-photo-before').waitFor()
      await page.getByTestId('reply-photo-after').waitFor()
      await fits(page, 375, 'the replied order on a phone')
      await shot(page, 'desk-handler-replied-375', { fullPage: true })
    },
  },
]
