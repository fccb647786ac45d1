// The command-centre screen (大屏): its layout at three sizes, the live alarms, the note on
// orders without a location, the league by score, and a supervisor's screen of their street.
import assert from 'node:assert/strict'
import { apiGet, apiLogin, apiPost, login } from '../lib.mjs'

const SIZES = [[1366, 768], [1920, 1080], [3840, 2160]]

async function screenReady(page) {
  await page.waitForFunction(() => document.querySelector('[data-testid=map]')?.dataset.ready === '1')
  await page.getByTestId('kpi-open').filter({ hasText: /^\d+$/ }).waitFor()
  for (const id of ['chart-trend', 'chart-category']) await page.getByTestId(id).locator('canvas').first().waitFor()
  // The two ranked lists are HTML bars.
  for (const id of ['chart-channel', 'chart-grids']) await page.getByTestId(id).getByTestId('bar-row').first().waitFor()
  await page.getByTestId('league-row').first().waitFor()
}

/** The boxes of the screen's blocks: header, alert strip, KPI cards and panels. */
async function boxes(page) {
  return page.evaluate(() => {
    const els = [
      ...document.querySelectorAll('[data-testid=screen-header], [data-testid=screen-alerts], .screen .panel-box'),
    ]
    return els.map((el) => {
      const r = el.getBoundingClientRect()
      const h3 = el.querySelector('h3')
      return {
        name: (h3?.textContent ?? el.getAttribute('data-testid') ?? el.className).trim().slice(0, 30),
        panel: el.classList.contains('panel'),
        x: r.left, y: r.top, w: r.width, h: r.height,
      }
    }).filter((b) => b.w > 0 && b.h > 0)
  })
}

function intersects(a, b) {
  return a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5
}

/** No two blocks intersect, none leaves the viewport, no panel is squeezed. */
async function assertLaidOut(page, width, height) {
  const all = await boxes(page)
  assert.ok(all.length >= 13, `${width}×${height}: header, alerts, 5 KPIs, 8 panels (${all.length})`)
  for (const b of all) {
    assert.ok(b.x >= 0 && b.x + b.w <= width + 0.5, `${width}×${height}: ${b.name} leaves the viewport horizontally (${b.x}+${b.w})`)
    assert.ok(b.y + b.h <= height + 0.5, `${width}×${height}: ${b.name} leaves the viewport at the bottom (${b.y}+${b.h})`)
    if (b.panel) assert.ok(b.h >= 120, `${width}×${height}: ${b.name} squeezed to ${b.h}px`)
  }
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      assert.ok(!intersects(all[i], all[j]), `${width}×${height}: ${all[i].name} overlaps ${all[j].name}`)
    }
  }
}

export const scenarios = [
  {
    name: 'screen: the 大屏 at 1366×768, 1920×1080 and 3840×2160 has no overlapping panels',
    async run({ newPage, shot }) {
      for (const [width, height] of SIZES) {
        const page = await newPage({ viewport: { width, height } })
        await login(page, 'leader')
        assert.equal(new URL(page.url()).pathname, '/screen')
        await screenReady(page)
        await page.waitForTimeout(600) // charts settle
        await assertLaidOut(page, width, height)
        // The page itself does not scroll: everything fits the screen.
        const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight])
        assert.ok(scroll[0] <= width && scroll[1] <= height, `${width}×${height}: page scrolls (${scroll})`)
        // Text grows with the screen: a 4K wall is read from across the room.
        const font = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('[data-testid=screen]')).fontSize))
        if (width === 3840) assert.ok(font >= 24, `4K font ${font}px`)
        if (width === 1366) assert.ok(font >= 10.5 && font <= 12, `laptop font ${font}px`)
        await shot(page, `screen-${width}x${height}`)
      }
    },
  },
  {
    name: 'screen: the league ranks by score and the map says how many open orders have no location',
    async run({ base, newPage, shot }) {
      const leader = await apiLogin(base, 'leader')
      const sum = await apiGet(base, leader, '/dashboard/summary')
      const mapData = await apiGet(base, leader, '/dashboard/map-orders?limit=3000')
      // An order without a location, so that the note has something to say however the demo fell.
      const op = await apiLogin(base, 'operator')
      await apiPost(base, op, '/appeals', { channel: 'hotline', content: '市民来电咨询：社保卡补办需要带哪些材料，在哪里办理？', reporter_name: '王先生', reporter_phone: '13900007777' })
      // The map's points are shared by the jurisdiction's screens until an order changes.
      let after = await apiGet(base, leader, '/dashboard/map-orders?limit=3000')
      for (let i = 0; i < 40 && after.unlocated === mapData.unlocated; i++) {
        await new Promise((r) => setTimeout(r, 250))
        after = await apiGet(base, leader, '/dashboard/map-orders?limit=3000')
      }
      assert.equal(after.unlocated, mapData.unlocated + 1, 'the new order without a place is counted')
      assert.equal(after.open_total - after.unlocated, after.total)
      const ranked = sum.department_league.filter((d) => d.ranked)
      for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i - 1].score >= ranked[i].score, 'ranked by score')
      for (const d of sum.department_league) if (d.ranked) assert.ok(d.replied >= sum.league_rule.min_replied)

      const page = await newPage({ viewport: { width: 1920, height: 1080 } })
      await login(page, 'leader')
      await screenReady(page)
      const note = page.getByTestId('map-unlocated')
      await note.waitFor()
      assert.equal(await note.innerText(), `在办 ${after.open_total} 张，其中 ${after.unlocated} 张无位置信息，未在地图显示`)
      const first = (await page.getByTestId('league-score').first().innerText()).trim()
      const top = sum.department_league[0]
      assert.equal(first, top.score === null ? '—' : top.score.toFixed(1))
      assert.match(await page.getByTestId('league-rule').innerText(), /答复少于 \d+ 件不参与排名/)
      await shot(page, 'screen-league-and-note', { clip: { x: 0, y: 0, width: 1920, height: 1080 } })
      // Every figure and heading of the league reads whole (only a long name may end in "…"), on
      // the smallest wall, on a phone and in English, whose headings are longer.
      for (const [width, height, lang] of [[1366, 768, 'zh'], [1366, 768, 'en'], [375, 812, 'en']]) {
        const view = await newPage({ viewport: { width, height } })
        if (lang === 'en') await view.addInitScript(() => localStorage.setItem('cityloop.lang', 'en'))
        await login(view, 'leader')
        await screenReady(view)
        await view.getByTestId('league-row').first().waitFor()
        const cut = await view.getByTestId('league').evaluate((el) => [...el.querySelectorAll('th, td:not(.name)')].filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.innerText))
        assert.deepEqual(cut, [], `league cells cut at ${width} px in ${lang}`)
        await view.close()
      }
    },
  },
  {
    name: 'screen: a life-safety appeal pops up on the open screen without a reload',
    async run({ base, newPage, shot }) {
      const page = await newPage({ viewport: { width: 1366, height: 768 } })
      await login(page, 'leader')
      await screenReady(page)
      await page.getByTestId('alarm-ticker').waitFor()
      const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length)
      const op = await apiLogin(base, 'operator')
      const res = await apiPost(base, op, '/appeals', {
        channel: 'hotline', content: '幸福路小区3栋楼道里燃气泄漏，味道很浓，有老人被困，情况紧急请马上来人！',
        reporter_name: '赵女士', reporter_phone: '13900008888',
      })
      const popup = page.getByTestId('alarm-popup').filter({ hasText: res.ticket_no })
      await popup.waitFor({ timeout: 20000 })
      assert.match(await popup.innerText(), /生命安全|紧急诉求/)
      await page.getByTestId('alarm-ticker').filter({ hasText: res.ticket_no }).waitFor()
      assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), loads, 'no reload')
      assert.equal(new URL(page.url()).pathname, '/screen')
      // The life-safety banner and the ticker both take a line now: still no overlap.
      await page.getByTestId('life-safety-alarm').waitFor({ timeout: 20000 })
      await assertLaidOut(page, 1366, 768)
      await shot(page, 'screen-live-alarm-1366')
      await popup.getByText('知道了').click()
      await popup.waitFor({ state: 'detached' })
    },
  },
  {
    name: "screen: a supervisor's screen is their street: counts and map bounds",
    async run({ base, newPage, shot }) {
      const supToken = await apiLogin(base, 'supervisor')
      const me = await apiGet(base, supToken, '/auth/me')
      assert.ok(me.region_code, 'the supervisor has a street')
      const mine = await apiGet(base, supToken, '/dashboard/summary')
      const city = await apiGet(base, await apiLogin(base, 'leader'), '/dashboard/summary')
      assert.equal(mine.scope.region_code, me.region_code)
      assert.ok(mine.kpi.open < city.kpi.open, `street ${mine.kpi.open} < city ${city.kpi.open}`)
      const street = await apiGet(base, supToken, `/regions?level=street`)
      const feature = street.features.find((f) => f.properties.code === me.region_code)
      assert.ok(feature, 'the street has a boundary')
      const polys = feature.geometry.type === 'Polygon' ? [feature.geometry.coordinates] : feature.geometry.coordinates
      const pts = polys.flatMap((poly) => poly[0])
      const lons = pts.map((p) => p[0]); const lats = pts.map((p) => p[1])
      const box = { w: Math.min(...lons), e: Math.max(...lons), s: Math.min(...lats), n: Math.max(...lats) }
      // Every point on the supervisor's map lies in the street.
      const located = await apiGet(base, supToken, '/dashboard/map-orders?limit=3000')
      assert.ok(located.items.length > 0, 'the street has open located orders')
      for (const o of located.items) {
        assert.ok(o.lon >= box.w - 1e-6 && o.lon <= box.e + 1e-6 && o.lat >= box.s - 1e-6 && o.lat <= box.n + 1e-6, `${o.ticket_no} outside the street`)
      }
      assert.equal(located.open_total, mine.kpi.open, 'the map counts the same open orders as the KPI')

      const page = await newPage({ viewport: { width: 1920, height: 1080 } })
      await login(page, 'supervisor')
      await page.goto('/screen')
      await screenReady(page)
      assert.equal(await page.getByTestId('kpi-open').innerText(), String(mine.kpi.open))
      assert.match(await page.getByTestId('screen-scope').innerText(), new RegExp(mine.scope.name))
      const map = page.getByTestId('map').first()
      assert.equal(await map.getAttribute('data-within'), me.region_code)
      // The view is the street's: its bounds hold the street and are far smaller than the city's.
      const [w, s, e, n] = (await map.evaluate((el) => el.viewBounds())).split(',').map(Number)
      assert.ok(w <= box.w && e >= box.e && s <= box.s && n >= box.n, 'the street is in view')
      const cfg = await apiGet(base, supToken, '/meta/console-config')
      const cityArea = (cfg.bounds[1][0] - cfg.bounds[0][0]) * (cfg.bounds[1][1] - cfg.bounds[0][1])
      assert.ok((e - w) * (n - s) < cityArea, 'zoomed to the street, not the city')
      await shot(page, 'screen-supervisor-street')
    },
  },
]

scenarios.push({
  name: 'screen: the map draws the city base map, finds an address and names the place under a click',
  async run({ base, newPage, shot }) {
    const bm = await (await fetch(`${base}/api/v1/geo/basemap`)).json()
    const roads = bm.features.filter((f) => f.properties.kind === 'road')
    assert.ok(roads.length > 10 && bm.features.some((f) => f.properties.kind === 'river'), 'roads and a river')
    const page = await newPage({ viewport: { width: 1920, height: 1080 } })
    // Nothing is fetched from outside the server: no tiles, no CDN.
    const outside = []
    page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url()) })
    await login(page, 'leader')
    await screenReady(page)
    const map = page.getByTestId('map').first()
    await page.waitForFunction(() => document.querySelector('[data-testid=map]')?.dataset.basemap === '1')
    // Address search: a short form finds the estate, and the map says where it is.
    const gaz = await (await fetch(`${base}/api/v1/geo/search?q=${encodeURIComponent(roads[0].properties.name)}`)).json()
    assert.equal(gaz.items[0].name, roads[0].properties.name)
    await page.getByTestId('map-search').fill(roads[0].properties.name)
    await page.getByTestId('map-search-results').locator('li').first().waitFor()
    await page.getByTestId('map-search-results').locator('li').first().click()
    const where = page.getByTestId('map-where')
    await where.waitFor()
    const street = gaz.items[0].regions.find((r) => r.level === 'street').name
    assert.match(await where.innerText(), new RegExp(street))
    // Zoomed in, the roads are labelled.
    await page.locator('.bm-label.bm-road').first().waitFor()
    await page.waitForTimeout(500)
    await shot(page, 'screen-map-search-1920')
    // A click on the map names grid, community and street (reverse geocoding).
    await page.keyboard.press('Escape')
    const box = await map.boundingBox()
    const at = { x: box.x + box.width * 0.5, y: box.y + box.height * 0.62 }
    await page.mouse.click(at.x, at.y)
    // (the search's popup may still be fading out: the click's is the last)
    const clicked = page.getByTestId('map-where').filter({ hasText: /（\d+ m）|不在任何网格内/ }).last()
    await clicked.waitFor()
    const text = await clicked.innerText()
    assert.match(text, /街道/)
    assert.match(text, /社区/)
    await shot(page, 'screen-map-click-1920')
    assert.deepEqual(outside, [], 'requests outside the server')
  },
})
