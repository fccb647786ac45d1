// The phone roles: a grid worker on patrol and a resident, at 375×812 (a phone) and 1366×768.
import assert from 'node:assert/strict'
import { apiLogin, apiGet, cutOff, login, pickOnMap, png } from '../lib.mjs'

const PHONE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true }
const LAPTOP = { viewport: { width: 1366, height: 768 } }

/** A point well inside the grid worker's own grid (the average of its outline, checked). */
async function insideMyGrid(base) {
  const token = await apiLogin(base, 'grid')
  const me = await apiGet(base, token, '/auth/me')
  const fc = await (await fetch(`${base}/api/v1/regions?level=grid`)).json()
  const f = fc.features.find((x) => x.properties.code === me.region_code)
  assert.ok(f, `the grid ${me.region_code} is on the map`)
  const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0]
  const lon = ring.reduce((s, p) => s + p[0], 0) / ring.length
  const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length
  const hit = await (await fetch(`${base}/api/v1/regions/locate?lon=${lon}&lat=${lat}`)).json()
  assert.equal(hit.grid_code, me.region_code, 'the test position lies in the grid worker’s grid')
  return { latitude: +lat.toFixed(6), longitude: +lon.toFixed(6), accuracy: 8 }
}

/** Let a drawer or dialog finish sliding in before a screenshot. */
const settle = (page) => page.waitForTimeout(450)

async function fits(page, width, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(w <= width, `${what} fits ${width} px (scrollWidth ${w})`)
  // A page can fit and still hide what runs past the edge under an overflow: hidden parent.
  assert.deepEqual(await cutOff(page), [], `${what}: nothing cut off at the ${width} px edge`)
}

/** The map has drawn its layers (a blank map has no paths on its canvas/svg panes). */
async function mapDrawn(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid=map]')?.dataset.ready === '1')
  const size = await page.getByTestId('map').first().evaluate((el) => [el.clientWidth, el.clientHeight])
  assert.ok(size[0] > 200 && size[1] > 150, `the map is laid out (${size})`)
}

async function locate(page, position) {
  await page.getByTestId('locate-me').click()
  await page.getByTestId('locate-msg').filter({ hasText: /已定位/ }).waitFor()
  const picked = await page.getByTestId('picked').innerText()
  assert.ok(picked.includes(String(position.longitude).slice(0, 7)), `the point is the device’s position (${picked})`)
}

async function patrolDay(page, shot, position, size) {
  const tag = size === 375 ? '375' : '1366'
  await login(page, 'grid')
  await page.waitForURL(/\/grid/)
  await page.getByTestId('grid-orders').waitFor()
  await shot(page, `mobile-grid-orders-${tag}`)
  await fits(page, size, 'the grid workbench')
  // An order of my grid, read where it happened: its facts and the caller's words on the screen.
  await page.getByTestId('grid-order').first().click()
  await page.getByTestId('detail-content').waitFor()
  await fits(page, size, 'an order of my grid')
  const words = await page.getByTestId('detail-content').boundingBox()
  assert.ok(words && words.x >= 0 && words.x + words.width <= size, `the caller's words lie within ${size} px (${JSON.stringify(words)})`)
  await page.goBack()
  await page.getByTestId('grid-orders').waitFor()
  if (size === 375) {
    // No side menu on a phone: the ☰ drawer and the bottom bar navigate.
    assert.equal(await page.locator('.el-aside').count(), 0, 'no side menu at 375 px')
    await page.getByTestId('nav-toggle').click()
    await page.getByTestId('nav-drawer').waitFor()
    await settle(page)
    await shot(page, 'mobile-grid-drawer-375')
    await page.getByTestId('nav-drawer').getByText('社区数据库').click()
    await page.waitForURL(/\/community\/registry/)
    await page.getByRole('heading', { name: '社区数据库' }).waitFor()
    await fits(page, size, 'the community database')
    await page.getByTestId('bottom-nav').getByText('工作台').click()
    await page.waitForURL(/\/grid/)
    // My grid's open orders on the map.
    await page.getByTestId('grid-view').getByText('地图').click()
    await mapDrawn(page)
    await shot(page, 'mobile-grid-map-375')
    await page.getByTestId('bottom-nav').getByText('上报').click()
  } else {
    await page.getByRole('tab', { name: '巡查上报' }).click()
  }
  await page.waitForURL(/tab=report/)
  const form = page.getByTestId('appeal-form')
  await form.waitFor()
  await mapDrawn(page)
  // A patrol's labels, not a caller's.
  const text = await form.innerText()
  assert.ok(text.includes('上报人（巡查员）') && !text.includes('来电人'), 'patrol labels')
  assert.equal(await page.getByTestId('photo').getAttribute('capture'), 'environment')

  // 1. An ordinary patrol report: category, photo from the camera, 定位到我.
  await page.getByTestId('content').fill('巡查发现滨河路人行道有两块地砖松动翘起，行人容易绊倒。')
  await page.getByTestId('category').click()
  await page.keyboard.type('道路')
  await page.locator('.el-select-dropdown__item:visible', { hasText: '道路' }).first().click()
  await locate(page, position)
  await page.getByTestId('photo').setInputFiles({ name: 'tiles.png', mimeType: 'image/png', buffer: png(160, 120, [150, 140, 120]) })
  await page.locator('[data-testid=photo-thumb][data-state=done]').waitFor()
  await fits(page, size, 'the patrol report')
  await shot(page, `mobile-patrol-form-${tag}`)
  await page.getByTestId('submit-appeal').click()
  await page.getByTestId('patrol-result').waitFor()
  const first = (await page.getByTestId('ticket-no').innerText()).trim()
  assert.match(first, /^\d{8}-\d+$/)
  assert.ok(!(await page.getByTestId('patrol-result').innerText()).includes('已就地处置'))
  await page.getByTestId('report-another').click()

  // 2. 就地处置: the photo and the note are required, then report and close in one step.
  await page.getByTestId('content').fill('巡查发现小区门口共享单车倒伏堵住盲道，已当场扶正挪回停放区。')
  await page.getByTestId('on-spot').click()
  await page.getByTestId('submit-appeal').click()
  await page.getByText('请写明现场处置情况').waitFor()
  await page.getByText('就地处置须附处置后的现场照片').waitFor()
  await page.getByTestId('handling-note').fill('已将倒伏的6辆共享单车扶正，挪回停放区，盲道恢复畅通')
  await locate(page, position)
  await page.getByTestId('photo').setInputFiles({ name: 'after.png', mimeType: 'image/png', buffer: png(160, 120, [60, 160, 90]) })
  await page.locator('[data-testid=photo-thumb][data-state=done]').waitFor()
  await settle(page)
  await shot(page, `mobile-on-spot-form-${tag}`)
  await fits(page, size, 'the 就地处置 form')
  await page.getByTestId('submit-appeal').click()
  const result = page.getByTestId('patrol-result')
  await result.getByText('已就地处置并办结').waitFor()
  await result.locator('[data-status=closed]').waitFor()
  const ticket = (await page.getByTestId('ticket-no').innerText()).trim()
  await shot(page, `mobile-on-spot-done-${tag}`)
  return { first, ticket }
}

async function residentDay(page, shot, position, size) {
  const tag = size === 375 ? '375' : '1366'
  await login(page, 'resident')
  await page.waitForURL(/\/portal/)
  await page.getByTestId('portal-logout').waitFor()
  const body = await page.locator('.portal').innerText()
  assert.ok(!body.includes('提交方式') && !body.includes('微信小程序'), 'no channel choice')
  await page.getByTestId('content').fill(`小区东门外的路灯已经不亮三天了，晚上出行很不方便（${tag}）。`)
  await page.getByTestId('reporter-phone').fill('13700001111')
  await locate(page, position)
  await mapDrawn(page)
  // The privacy notice, linked from the form before submitting.
  await page.getByTestId('privacy-link').click()
  const notice = page.getByTestId('privacy-notice')
  await notice.waitFor()
  for (const words of ['我们收集什么', '保存多久', '您的权利', '个人信息保护法']) await notice.getByText(words).first().waitFor()
  await settle(page)
  await shot(page, `mobile-privacy-${tag}`)
  await fits(page, size, 'the privacy notice')
  await page.getByTestId('privacy-close').click()
  await notice.waitFor({ state: 'hidden' })
  await shot(page, `mobile-portal-form-${tag}`)
  await fits(page, size, 'the portal form')
  await page.getByTestId('submit-appeal').click()
  const ticket = (await page.getByTestId('ticket-no').innerText()).trim()
  assert.match(ticket, /^\d{8}-\d+$/)
  // 我的诉求: the appeal with its status and steps.
  await page.getByTestId('go-track').click()
  const mine = page.getByTestId('my-appeals')
  const item = mine.getByTestId('my-appeal').filter({ hasText: ticket })
  await item.waitFor()
  await item.getByTestId('my-appeal-toggle').click()
  await item.getByTestId('mine-steps').getByText('您的诉求已受理').waitFor()
  await shot(page, `mobile-my-appeals-${tag}`)
  await fits(page, size, 'my appeals')
  // In English the server's own English words: the steps and what happens next (a department's
  // name is data), never the Chinese sentence.
  await page.getByTestId('portal-lang').click()
  await item.getByTestId('mine-steps').getByText('Your appeal was received').waitFor()
  const next = (await item.getByTestId('mine-next').innerText()).trim()
  assert.ok(/^[A-Z]/.test(next) && !/[您，。]/.test(next), `what happens next reads in English (${next})`)
  await fits(page, size, 'my appeals in English')
  await page.getByTestId('portal-lang').click()
  await item.getByTestId('mine-steps').getByText('您的诉求已受理').waitFor()
  // Sign out: back to the anonymous portal.
  await page.getByTestId('portal-logout').click()
  await page.getByTestId('portal-login').waitFor()
  assert.equal(await page.getByTestId('my-appeals').count(), 0, 'no 我的诉求 once signed out')
  assert.equal(await page.evaluate(() => localStorage.getItem('cityloop.session')), null)
  await shot(page, `mobile-portal-signed-out-${tag}`)
  return ticket
}

export const scenarios = [
  {
    name: 'mobile: a grid worker at 375×812 navigates, reports a patrol with 定位到我 and a camera photo, handles one on the spot',
    async run({ base, newPage, shot }) {
      const position = await insideMyGrid(base)
      const page = await newPage({ ...PHONE, geolocation: position, permissions: ['geolocation'] })
      const { first, ticket } = await patrolDay(page, shot, position, 375)
      const token = await apiLogin(base, 'grid')
      const closed = await apiGet(base, token, '/work-orders?status=closed&page_size=50')
      const done = closed.items.find((o) => o.ticket_no === ticket)
      assert.ok(done && done.handled_on_spot, 'the order is closed, handled on the spot')
      const open = await apiGet(base, token, '/work-orders?page_size=50')
      assert.ok(open.items.some((o) => o.ticket_no === first && o.status !== 'closed'), 'the plain report stays open')
      const detail = await apiGet(base, token, `/work-orders/${done.id}`)
      assert.deepEqual(detail.timeline.map((e) => e.action), ['receive', 'handle_on_spot'])
      // The leader's dashboard counts it apart.
      // The summary is shared for 5 s and refreshed behind the scenes: poll past that.
      const leader = await apiLogin(base, 'leader')
      let onSpot = 0
      for (let i = 0; i < 20 && onSpot < 1; i++) {
        onSpot = (await apiGet(base, leader, '/dashboard/summary')).kpi.handled_on_spot
        if (onSpot < 1) await new Promise((r) => setTimeout(r, 1000))
      }
      assert.ok(onSpot >= 1, 'counted as 就地处置')
      // Without the permission, 定位到我 says why and the map still takes a click.
      const denied = await newPage({ ...PHONE })
      await login(denied, 'grid')
      await denied.goto('/grid?tab=report')
      await denied.getByTestId('locate-me').click()
      await denied.getByTestId('locate-msg').filter({ hasText: /定位/ }).waitFor()
      await shot(denied, 'mobile-locate-denied-375')
      await pickOnMap(denied)
    },
  },
  {
    name: 'mobile: a grid worker at 1366×768 reports a patrol and handles one on the spot',
    async run({ base, newPage, shot }) {
      const position = await insideMyGrid(base)
      const page = await newPage({ ...LAPTOP, geolocation: position, permissions: ['geolocation'] })
      await patrolDay(page, shot, position, 1366)
      assert.equal(await page.locator('.el-aside').count(), 1, 'the side menu at 1366 px')
      assert.equal(await page.getByTestId('bottom-nav').count(), 0, 'no bottom bar at 1366 px')
      // The map of the report tab takes a click (it was blank and refused clicks when drawn hidden).
      await page.getByTestId('report-another').click()
      await pickOnMap(page)
    },
  },
  {
    name: 'mobile: a resident at 375×812 submits, sees 我的诉求, reads the privacy notice, signs out',
    async run({ base, newPage, shot }) {
      const position = await insideMyGrid(base)
      const page = await newPage({ ...PHONE, geolocation: position, permissions: ['geolocation'] })
      const ticket = await residentDay(page, shot, position, 375)
      // In the community pages the resident has the bottom bar back to the portal.
      await login(page, 'resident')
      await page.goto('/community/wishes')
      await page.getByTestId('bottom-nav').waitFor()
      await fits(page, 375, 'the wish wall')
      await shot(page, 'mobile-resident-wishes-375')
      await page.getByTestId('bottom-nav').getByText('群众服务').click()
      await page.waitForURL(/\/portal/)
      const token = await apiLogin(base, 'resident')
      const mine = await apiGet(base, token, '/appeals/mine')
      assert.ok(mine.items.some((a) => a.ticket_no === ticket), 'the appeal is the resident’s own')
    },
  },
  {
    name: 'mobile: a resident at 1366×768 submits, sees 我的诉求, reads the privacy notice, signs out',
    async run({ base, newPage, shot }) {
      const position = await insideMyGrid(base)
      const page = await newPage({ ...LAPTOP, geolocation: position, permissions: ['geolocation'] })
      await residentDay(page, shot, position, 1366)
    },
  },
  {
    name: 'mobile: every desk role can open its menu at 375×812, its first page and the next within the screen',
    async run({ newPage, shot }) {
      // The dispatcher twice: English labels are wider and pushed a date range off the screen.
      for (const [user, lang] of [['operator', 'zh'], ['dispatcher', 'zh'], ['dispatcher', 'en'], ['handler', 'zh'], ['supervisor', 'zh'], ['admin', 'zh'], ['auditor', 'zh']]) {
        const page = await newPage({ ...PHONE })
        if (lang === 'en') await page.addInitScript(() => localStorage.setItem('cityloop.lang', 'en'))
        await login(page, user)
        // Its first page (the dispatch queue, the audit log …) once its table has arrived.
        await page.locator('.page').first().waitFor()
        await page.waitForLoadState('networkidle').catch(() => {})
        await fits(page, 375, `${user}'s first page`)
        await page.getByTestId('nav-toggle').click()
        const drawer = page.getByTestId('nav-drawer')
        await drawer.waitFor()
        const items = await drawer.locator('.el-menu-item').count()
        assert.ok(items >= 2, `${user}: the drawer lists their pages (${items})`)
        await drawer.getByText(lang === 'en' ? 'Work orders' : '工单列表').or(drawer.getByText('账号安全')).first().click()
        await drawer.waitFor({ state: 'hidden' })
        await page.locator('.page').first().waitFor()
        await page.waitForLoadState('networkidle').catch(() => {})
        await fits(page, 375, `${user}'s ${new URL(page.url()).pathname}`)
        if (user === 'operator') await shot(page, 'mobile-operator-after-drawer-375')
        await page.close()
      }
    },
  },
]
