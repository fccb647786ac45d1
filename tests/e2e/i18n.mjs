// What the language checks of the e2e scenarios share: which elements are the interface's own
// words (not data), and the English a server used to send inside Chinese screens.

export const CJK = /[\u3400-\u9fff\uff00-\uffef“”]/
// Headers, buttons, labels, menus, tabs, titles, messages, dialogs, descriptions, placeholders;
// within them, an element marked data-value holds data (a name), not the interface's words.
export const CHROME = ['.el-table__header th', '.el-button', '.el-form-item__label', '.el-menu-item', '.el-sub-menu__title', '.el-tabs__item', '.page-title', '[data-i18n]', '.el-alert__title', '.el-message', '.el-pagination', '.el-empty__description', '.el-table__empty-text', 'input[placeholder]', 'textarea[placeholder]', '.el-descriptions__label', '.el-radio-button__inner', '.el-dialog__title', '.bottom-nav .lbl']
// The switch back to Chinese is written in Chinese, as language switches are.
const ALLOWED = ['中文']
// English a server used to send inside Chinese screens.
export const SERVER_ENGLISH = /is not one of|problem\(s\)|Import rejected|is required|not UTF-8|Self-intersection|Invalid input|Forbidden|Not found|Field required|should be|at least \d+ character|at most \d+ character|valid (integer|number|string)|Input should|Value error|Action not allowed|Changed meanwhile/

/** Texts of the interface's own words that hold Chinese, on the current page. */
export async function chineseInChrome(page) {
  return page.evaluate(([sels, re, allowed]) => {
    const cjk = new RegExp(re)
    const out = new Set()
    for (const sel of sels) {
      for (const el of document.querySelectorAll(sel)) {
        const r = el.getBoundingClientRect()
        if (!r.width && !r.height) continue
        let text = el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' ? el.getAttribute('placeholder') || '' : el.innerText || ''
        // A value inside the interface's words (a department's name in a title) is data.
        for (const v of el.querySelectorAll('[data-value]')) text = text.replace(v.innerText, '')
        text = text.trim()
        if (text && cjk.test(text) && !allowed.includes(text)) out.add(`${sel}: ${text.slice(0, 80)}`)
      }
    }
    return [...out]
  }, [CHROME, CJK.source, ALLOWED])
}

/** Lines of the page that hold English a server sent. */
export async function serverEnglish(page) {
  const body = await page.locator('body').innerText()
  return body.split('\n').filter((l) => SERVER_ENGLISH.test(l)).map((l) => l.slice(0, 120))
}

export async function settle(page) {
  // Bounded: the 大屏 holds a live event stream open, so its network is never idle (the
  // unbounded wait cost 30 s per visit of /screen); the loading mask below still waits for
  // the page's data.
  await page.waitForLoadState('networkidle', { timeout: 1500 }).catch(() => {})
  await page.locator('.el-loading-mask').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {})
}
