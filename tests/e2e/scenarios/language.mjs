// The language walk: every page of every role (the side menu's pages, read from the menu
// itself, and the pages reached from them: a work order, the watch lists, the patrol tab, the
// notifications), in English (no Chinese in the interface's own words) and in Chinese (no
// English server messages). Phone roles are walked at 375×812 as well.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { apiGet, apiLogin, cutOff, login } from '../lib.mjs'
import { chineseInChrome, serverEnglish, settle } from '../i18n.mjs'

const DESK = { viewport: { width: 1366, height: 768 } }
const PHONE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true }
const ADMIN_PAGES = ['/admin/regions', '/admin/departments', '/admin/taxonomy', '/admin/linkage', '/admin/users', '/admin/holidays', '/admin/knowledge', '/admin/jobs', '/admin/sensing']

// Pages not in the side menu, per demo account: reached from a menu page or a link.
const EXTRA = {
  admin: ['/grid?tab=report', '/notifications', '/watch/overdue', '/watch/life_safety', 'ORDER'],
  operator: ['/notifications', 'ORDER'],
  dispatcher: ['/notifications', '/watch/dispatch_overdue', '/watch/awaiting_visit', 'ORDER'],
  handler: ['/notifications', 'ORDER'],
  grid: ['/grid?tab=report', '/notifications', 'ORDER'],
  supervisor: ['/notifications', '/watch/warning', '/watch/extension_pending', '/watch/urged', 'ORDER'],
  leader: ['/notifications', '/watch/rework', 'ORDER'],
  resident: [],
}
// Who works on a phone: walked at 375×812 too.
const PHONE_USERS = ['grid', 'resident']

/** The side menu's pages of the signed-in account (each menu item names its path). */
async function menuPages(page) {
  await page.goto('/account')
  await page.locator('.aside [data-path]').first().waitFor()
  return page.locator('.aside [data-path]').evaluateAll((els) => els.map((e) => e.dataset.path))
}

/** A work order the account may open, or null. */
async function anOrder(base, user) {
  if (user === 'resident') return null
  const list = await apiGet(base, await apiLogin(base, user), '/work-orders?page_size=1')
  return list.items[0] ? `/orders/${list.items[0].id}` : null
}

async function visit(page, path) {
  // Inside the console the router navigates (history + popstate, as the back button does):
  // a full page load per visit made the walk's 230 visits take over five minutes.
  const inApp = await page.evaluate(() => !!document.querySelector('#app .aside, #app .bottom-nav, #app [data-testid=screen]')).catch(() => false)
  let moved = false
  if (inApp && !path.startsWith('/screen') && !page.url().includes('/screen')) {
    const before = await page.locator('.el-main, main').first().innerText().catch(() => '')
    await page.evaluate((p) => { history.pushState(history.state, '', p); dispatchEvent(new PopStateEvent('popstate', { state: history.state })) }, path)
    // The router has drawn the new page once the main area says something else; if it has
    // not within 5 s, the page is loaded in full, so no page is ever checked unrendered.
    moved = await page.waitForFunction((b) => (document.querySelector('.el-main, main')?.innerText ?? '') !== b, before, { timeout: 5000 }).then(() => true, () => false)
  }
  if (!moved) await page.goto(path)
  await settle(page)
  await page.waitForTimeout(150)
  // A page that failed to render shows nothing to check: that is a failure too.
  const titled = await page.locator('.page-title, h1, h2, .bar-title, [data-testid=screen], [data-testid=watch-title], [data-testid=detail-ticket]').first().isVisible().catch(() => false)
  return titled ? [] : ['(no page title: the page did not render)']
}

export const scenarios = [
  {
    name: 'language walk: every role\'s pages in English hold no Chinese in their own words, in Chinese no English server messages',
    async run({ base, newPage, shot, out }) {
      const en = {}
      const zh = {}
      const cut = {} // on the phone: what runs past the screen's edge, unreachable
      const walked = {}
      async function walk(user) {
        const enPage = await newPage(DESK)
        await enPage.addInitScript(() => localStorage.setItem('cityloop.lang', 'en'))
        await login(enPage, user)
        const menu = await menuPages(enPage)
        const order = await anOrder(base, user)
        const pages = [...new Set([...menu, ...EXTRA[user]])].map((p) => (p === 'ORDER' ? order : p)).filter(Boolean)
        walked[user] = pages
        for (const path of pages) {
          const found = [...(await visit(enPage, path)), ...(await chineseInChrome(enPage))]
          if (found.length) en[`${user} ${path}`] = found
          if (user === 'admin' && ADMIN_PAGES.includes(path)) await shot(enPage, `lang-en${path.replace(/\//g, '-')}`)
        }
        const zhPage = await newPage(DESK)
        await login(zhPage, user)
        for (const path of pages) {
          const found = [...(await visit(zhPage, path)), ...(await serverEnglish(zhPage))]
          if (found.length) zh[`${user} ${path}`] = found
          if (user === 'admin' && ADMIN_PAGES.includes(path)) await shot(zhPage, `admin-1366${path.replace(/\//g, '-')}`)
        }
        if (PHONE_USERS.includes(user) || user === 'admin') {
          const phone = await newPage(PHONE)
          await phone.addInitScript(() => localStorage.setItem('cityloop.lang', 'en'))
          await login(phone, user)
          for (const path of user === 'admin' ? ADMIN_PAGES : pages) {
            const found = [...(await visit(phone, path)), ...(await chineseInChrome(phone))]
            if (found.length) en[`${user} 375 ${path}`] = found
            const lost = await cutOff(phone)
            if (lost.length) cut[`${user} 375 ${path}`] = lost
            if (user === 'admin') await shot(phone, `admin-375${path.replace(/\//g, '-')}`)
          }
        }
      }
      // Two accounts at a time: a visit mostly waits on the server and the renderer, and the
      // walk's ~230 visits one after another were the longest part of `make test`.
      const users = Object.keys(EXTRA)
      const lanes = [users.filter((_, i) => i % 2 === 0), users.filter((_, i) => i % 2 === 1)]
      await Promise.all(lanes.map(async (lane) => { for (const user of lane) await walk(user) }))
      writeFileSync(join(out, 'i18n-walk-en.json'), JSON.stringify(en, null, 2))
      writeFileSync(join(out, 'i18n-walk-zh.json'), JSON.stringify(zh, null, 2))
      writeFileSync(join(out, 'i18n-walk-pages.json'), JSON.stringify(walked, null, 2))
      // The walk covers the whole console: every page of router.ts that a demo account can open.
      const all = new Set(Object.values(walked).flat().map((p) => p.replace(/\?.*$/, '').replace(/^\/orders\/\d+$/, '/orders/:id').replace(/^\/watch\/\w+$/, '/watch/:list')))
      for (const p of [...ADMIN_PAGES, '/intake', '/dispatch', '/orders', '/orders/:id', '/inbox', '/grid', '/screen', '/portal', '/account', '/notifications', '/watch/:list', '/flash-reports', '/community/registry', '/community/wishes', '/community/snaps', '/community/points', '/community/mediation', '/community/trust', '/community/groups']) {
        assert.ok(all.has(p), `the walk visits ${p}`)
      }
      assert.deepEqual(en, {}, `Chinese in the English UI: ${JSON.stringify(en, null, 1)}`)
      assert.deepEqual(zh, {}, `English server words in the Chinese UI: ${JSON.stringify(zh, null, 1)}`)
      assert.deepEqual(cut, {}, `cut off at 375 px in English: ${JSON.stringify(cut, null, 1)}`)
    },
  },
]
