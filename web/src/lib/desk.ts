// Pure helpers of the desks (operator, dispatcher, handler): time left that says its clock,
// extensions in natural units, reply outcomes, labels for raw values, debouncing.
// No Vue, no DOM; unit-tested in desk.test.ts.

/** Words for an order's time left, as the server writes them (cityloop/domain/remaining.py
 *  order_remaining_words): a working limit counts working days ("剩余 2.6 个工作日"), under a
 *  day hours and minutes of office time; a natural limit says so ("剩余 5小时（自然时）"). */
export function orderRemaining(seconds: number, clock: string, daySeconds: number, en = false): string {
  const over = seconds < 0
  const left = Math.abs(seconds)
  const working = clock !== 'natural'
  const day = working ? daySeconds || 27000 : 86400
  const lead = over ? '超时' : '剩余'
  const tail = over ? 'overdue' : 'left'
  if (left >= day) {
    const d = amount(left / day)
    if (working) return en ? `${d} working days ${tail}` : `${lead} ${d} 个工作日`
    return en ? `${d} days ${tail} (calendar time)` : `${lead} ${d} 天（自然日）`
  }
  const h = Math.floor(left / 3600)
  const m = Math.floor((left % 3600) / 60)
  const zh = (h ? `${h}小时` : '') + (m ? `${m}分` : '') || '不足1分钟'
  const enA = [h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ') || 'under 1 min'
  if (en) return `${enA} ${tail}${working ? ' (office hours)' : ' (calendar time)'}`
  return `${lead} ${zh}${working ? '（工作时间）' : '（自然时）'}`
}

function amount(v: number): string {
  const s = v.toFixed(1)
  return s.endsWith('.0') ? s.slice(0, -2) : s
}

/** Extension units the handler picks from (the server's EXTENSION_UNITS), with their limits. */
export const EXTENSION_UNITS = [
  { value: 'working_days', zh: '工作日', en: 'working days', max: 60 },
  { value: 'hours', zh: '小时', en: 'hours', max: 720 },
  { value: 'natural_days', zh: '自然日', en: 'calendar days', max: 90 },
] as const

/** A problem with an extension's number and unit, or null when it is fine. */
export function extensionProblem(amountText: string | number | null | undefined, unit: string): string | null {
  const u = EXTENSION_UNITS.find((x) => x.value === unit)
  if (!u) return '请选择单位'
  const s = String(amountText ?? '').trim()
  if (!/^\d+$/.test(s)) return `请填写 1 到 ${u.max} 之间的整数`
  const n = Number(s)
  if (n < 1 || n > u.max) return `请填写 1 到 ${u.max} 之间的整数`
  return null
}

/** A stored limit in words: "3d" → 3个工作日, "8h@natural" → 8小时（自然时）. */
export function limitWords(text: string | null | undefined, en = false): string {
  if (!text) return ''
  const m = /^(\d+)([mhd])(?:@(working|natural))?$/.exec(text.trim())
  if (!m) return text
  const n = m[1]
  const natural = m[3] === 'natural'
  if (en) {
    const unit = { m: 'min', h: 'h', d: 'days' }[m[2] as 'm' | 'h' | 'd']
    return `${n} ${natural ? '' : 'working '}${unit}${natural ? ' (calendar time)' : ''}`.replace('  ', ' ')
  }
  if (m[2] === 'd') return natural ? `${n}个自然日` : `${n}个工作日`
  if (m[2] === 'h') return natural ? `${n}小时（自然时）` : `${n}个工作小时`
  return `${n}分钟`
}

export const REPLY_RESULTS = [
  { value: 'resolved', zh: '已解决', en: 'Resolved' },
  { value: 'partial', zh: '部分解决', en: 'Partly resolved' },
  { value: 'unresolved', zh: '无法解决', en: 'Cannot be resolved' },
] as const

export function replyResultLabel(value: string | null | undefined, en = false): string {
  const r = REPLY_RESULTS.find((x) => x.value === value)
  return r ? (en ? r.en : r.zh) : ''
}

/** Where the category of an order came from (routing.category_source), in words. */
const SOURCES: Record<string, [string, string]> = {
  operator: ['话务员选择', 'chosen by the operator'],
  model: ['模型识别', 'suggested by the model'],
  keyword: ['关键词识别', 'matched by keywords'],
  rule: ['规则识别', 'by rule'],
  none: ['未识别', 'not recognised'],
  dispatcher: ['派单员选择', 'chosen by the dispatcher'],
}
export function categorySourceLabel(value: string | null | undefined, en = false): string {
  if (!value) return ''
  const s = SOURCES[value]
  return s ? (en ? s[1] : s[0]) : en ? value : '其他方式'
}

const ASSIGN: Record<string, [string, string]> = {
  pending: ['待签收', 'to accept'],
  accepted: ['已签收', 'accepted'],
  done: ['已完成', 'done'],
  returned: ['已退回', 'returned'],
  withdrawn: ['已撤回', 'withdrawn'],
}
export function assignmentStateLabel(value: string | null | undefined, en = false): string {
  if (!value) return ''
  const s = ASSIGN[value]
  return s ? (en ? s[1] : s[0]) : value
}

/** The placeholder a time-limit box shows: what the linkage rule gives for this urgency. */
export function ruleLimit(limits: Record<string, string> | null | undefined, urgent: boolean): string {
  if (!limits) return ''
  return (urgent ? limits.urgent ?? limits.normal : limits.normal) ?? ''
}

/** Call `fn` once typing has paused for `ms`; `cancel` drops a pending call. */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): ((...a: A) => void) & { cancel: () => void } {
  let t: ReturnType<typeof setTimeout> | null = null
  const f = ((...a: A) => {
    if (t) clearTimeout(t)
    t = setTimeout(() => { t = null; fn(...a) }, ms)
  }) as ((...a: A) => void) & { cancel: () => void }
  f.cancel = () => { if (t) clearTimeout(t); t = null }
  return f
}

/** A complete mainland mobile or landline number (then the caller's history is looked up). */
export function completePhone(v: string | null | undefined): string | null {
  const s = (v ?? '').replace(/\s/g, '')
  return /^1[3-9]\d{9}$/.test(s) || /^0\d{2,3}-?\d{7,8}$/.test(s) ? s : null
}
