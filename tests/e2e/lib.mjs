// Helpers shared by the e2e scenario files.
import assert from 'node:assert/strict'
import { deflateSync } from 'node:zlib'

const PASSWORD = 'cityloop-demo'

export async function apiLogin(base, username) {
  const r = await fetch(`${base}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password: PASSWORD }),
  })
  assert.equal(r.status, 200, `login ${username}`)
  return (await r.json()).access_token
}

export async function apiGet(base, token, path) {
  const r = await fetch(`${base}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } })
  assert.ok(r.ok, `${path} → ${r.status}`)
  return r.json()
}

export async function apiPost(base, token, path, body) {
  const r = await fetch(`${base}/api/v1${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  const data = await r.json()
  assert.ok(r.ok, `${path} → ${r.status} ${JSON.stringify(data).slice(0, 300)}`)
  return data
}

/** A real PNG (solid colour with a darker band), so that the server's type sniffing accepts it
 *  and the thumbnail shows something. */
export function png(width, height, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (buf) => {
    let c = 0xffffffff
    for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const c = Buffer.alloc(4)
    c.writeUInt32BE(crc(td))
    return Buffer.concat([len, td, c])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    const band = y > height * 0.4 && y < height * 0.6 ? 0.5 : 1
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3
      raw[o] = r * band
      raw[o + 1] = g * band
      raw[o + 2] = b * band
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** A located order in the supervisor's street, led by the handler's department and accepted by
 *  it (through the API: the scenarios below start from there). */
export async function handlerOrder(base, { phone, content, accept = true }) {
  const [op, leader, handler] = await Promise.all(['operator', 'leader', 'handler'].map((u) => apiLogin(base, u)))
  const sup = await apiGet(base, await apiLogin(base, 'supervisor'), '/auth/me')
  const me = await apiGet(base, handler, '/auth/me')
  const inStreet = await apiGet(base, leader, `/work-orders?region=${sup.region_code}&page_size=20`)
  let at = null
  for (const o of inStreet.items) {
    const d = await apiGet(base, leader, `/work-orders/${o.id}`)
    if (d.lat !== null && d.grid_code?.startsWith(sup.region_code)) { at = d; break }
  }
  assert.ok(at, 'a located order in the supervisor street')
  const rules = (await apiGet(base, leader, '/linkage-rules')).rules
  const rule = rules.find((r) => r.lead_department === me.department_code && !r.region_code)
  const res = await apiPost(base, op, '/appeals', {
    channel: 'hotline', content, reporter_name: '李女士', reporter_phone: phone, lon: at.lon, lat: at.lat,
    address: '幸福路12号', ...(rule ? { category_code: rule.category_code } : {}),
  })
  const id = res.work_order_id
  let order = await apiGet(base, leader, `/work-orders/${id}`)
  if (order.status !== 'dispatched' || order.lead_department !== me.department_code) {
    const dispatcher = await apiLogin(base, 'dispatcher')
    if (order.status === 'dispatched') throw new Error(`routed to ${order.lead_department}`)
    await apiPost(base, dispatcher, `/work-orders/${id}/actions/dispatch`, { lead_department: me.department_code, co_departments: [], note: '' })
  }
  if (accept) await apiPost(base, handler, `/work-orders/${id}/actions/accept`, { note: '' })
  return { id, ticket: res.ticket_no, department: me.department_code }
}

/**
 * What runs past the right edge of the window where no one can reach it: elements beyond the
 * edge that are not inside a box scrolling sideways (a table, a tab bar) that itself fits, nor on
 * a map, nor shortened with an ellipsis the reader sees. A page can keep its scrollWidth and
 * still hide them under an overflow: hidden parent.
 */
export async function cutOff(page) {
  return page.evaluate(() => {
    const edge = window.innerWidth + 1
    const reachable = (el) => {
      for (let a = el.parentElement; a; a = a.parentElement) {
        if (a.classList.contains('leaflet-container')) return true
        if (getComputedStyle(a).textOverflow === 'ellipsis' && a.getBoundingClientRect().right <= edge) return true
        const sideways = /(auto|scroll)/.test(getComputedStyle(a).overflowX) || a.classList.contains('el-table') || a.classList.contains('el-tabs__nav-wrap')
        if (sideways && a.getBoundingClientRect().right <= edge) return true
      }
      return false
    }
    const cut = []
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect()
      if (r.width && r.height && r.right > edge && getComputedStyle(el).visibility !== 'hidden' && !reachable(el)) {
        cut.push(`${el.tagName.toLowerCase()}.${String(el.className).split(' ')[0]} ends at ${Math.round(r.right)} px`)
      }
    }
    return cut.slice(0, 3)
  })
}

export async function login(page, username) {
  await page.goto('/login')
  await page.getByTestId('username').fill(username)
  await page.getByTestId('password').fill(PASSWORD)
  await page.getByTestId('login-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
}

/** Choose an option of an Element Plus select by its visible text. */
export async function choose(page, selectLocator, text) {
  await selectLocator.click()
  const input = selectLocator.locator('input')
  if (await input.count()) await input.first().fill(text).catch(() => {})
  await page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: text }).first().click()
}

export async function pickOnMap(page) {
  const map = page.getByTestId('map').first()
  await map.waitFor()
  await page.waitForFunction(() => document.querySelector('[data-testid=map]')?.dataset.ready === '1')
  await map.scrollIntoViewIfNeeded()
  const box = await map.boundingBox()
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5)
  await page.getByTestId('picked').filter({ hasText: /\d+\.\d+/ }).waitFor()
}

