// Same-incident linking (issue 17): the dispatcher sees why a repeat call joined an order, and a
// look-alike at the neighbouring house number opens its own.
import assert from 'node:assert/strict'
import { apiGet, apiLogin, apiPost, login } from '../lib.mjs'

export const scenarios = [
  {
    name: 'linking: a repeat call joins the order with its reason; the neighbour at another number does not',
    async run({ base, newPage, shot }) {
      const token = await apiLogin(base, 'operator')
      const cats = await (await fetch(`${base}/api/v1/categories`)).json()
      const lamp = cats.find((c) => c.path === '城市管理/市政设施/路灯不亮')
      assert.ok(lamp, 'the demo taxonomy has 路灯不亮')
      const at = { channel: 'hotline', category_code: lamp.code, lon: 104.0702, lat: 30.6601 }
      const first = await apiPost(base, token, '/appeals', {
        ...at, content: '黄河路921号门口的路灯坏了好几天，晚上出门黑漆漆的，请尽快维修', address: '黄河路921号', reporter_phone: '13911112222',
      })
      const neighbour = await apiPost(base, token, '/appeals', {
        ...at, content: '黄河路925号门口的路灯坏了好几天，晚上出门黑漆漆的，请尽快维修', address: '黄河路925号', reporter_phone: '13911113333',
      })
      assert.notEqual(neighbour.work_order_id, first.work_order_id, 'another house number is another order')
      const again = await apiPost(base, token, '/appeals', {
        channel: 'hotline', category_code: lamp.code, content: '门口那盏路灯一直不亮，晚上黑乎乎的，都好几天了', address: '黄河路921号楼下', reporter_phone: '13911114444',
      })
      assert.equal(again.work_order_id, first.work_order_id, 'the same address joins the order')
      const detail = await apiGet(base, await apiLogin(base, 'dispatcher'), `/work-orders/${first.work_order_id}`)
      assert.equal(detail.appeals[1].understanding.duplicate.evidence.same_address, '黄河路921号')

      const page = await newPage()
      await login(page, 'dispatcher')
      await page.goto(`/orders/${first.work_order_id}`)
      await page.getByTestId('detail-ticket').getByText(first.ticket_no).waitFor()
      const why = page.getByTestId('link-reason').filter({ hasText: '地址相同' })
      await why.waitFor()
      assert.match(await why.innerText(), /关联依据：地址相同（黄河路921号）.*同类 城市管理\/市政设施\/路灯不亮.*文本相似度/)
      assert.ok(await why.isVisible(), 'the reason is on screen, not behind a scroll')
      await page.getByTestId('callers').scrollIntoViewIfNeeded()
      await shot(page, 'order-detail-link-reason')
    },
  },
]
