// Step timers (环节时限) and watch lists (督办视图): labels, time-left words, live state between
// server readings, which lists each role acts on. Pure: no Vue, no DOM (steps.test.ts).

export type Clock = 'natural' | 'working'
export type StepState = 'running' | 'warning' | 'overdue' | 'done' | 'done_late' | 'cancelled'

export interface StepTimer {
  step: string
  department_code?: string | null
  limit: string
  limit_label?: { zh: string; en: string } | null
  clock: Clock
  started_at: string
  due_at: string
  warn_at: string
  finished_at?: string | null
  state: StepState
  remaining_seconds?: number | null
  remaining_text?: { zh: string; en: string } | null
}

type Pair = readonly [zh: string, en: string]
const pick = (p: Pair | undefined, en: boolean, fallback: string) => (p ? p[en ? 1 : 0] : fallback)

export const STEP_LABELS: Record<string, Pair> = {
  dispatch: ['派单时限', 'Dispatch'],
  respond: ['响应时限（签收）', 'Response (acceptance)'],
  complete: ['办结时限', 'Completion'],
  co_feedback: ['协办反馈时限', 'Co-handler feedback'],
}
export const CLOCK_LABELS: Record<Clock, Pair> = {
  natural: ['自然时', 'natural time'],
  working: ['工作日', 'working time'],
}
export const STATE_LABELS: Record<StepState, Pair> = {
  running: ['计时中', 'running'],
  warning: ['预警', 'warning'],
  overdue: ['超时', 'overdue'],
  done: ['按时完成', 'done in time'],
  done_late: ['超时完成', 'done late'],
  cancelled: ['已取消', 'cancelled'],
}
export const STATE_COLORS: Record<StepState, string> = {
  running: '#67c23a',
  warning: '#e6a23c',
  overdue: '#f56c6c',
  done: '#909399',
  done_late: '#c45656',
  cancelled: '#c0c4cc',
}

export const stepLabel = (step: string, en = false) => pick(STEP_LABELS[step], en, step)
export const clockLabel = (clock: string, en = false) => pick(CLOCK_LABELS[clock as Clock], en, clock)
export const stateLabel = (state: string, en = false) => pick(STATE_LABELS[state as StepState], en, state)
/** "2个工作小时" / "30分钟（自然时）": the server's words for the limit, else the raw text. */
export const limitLabel = (t: StepTimer, en = false) => (t.limit_label ? (en ? t.limit_label.en : t.limit_label.zh) : t.limit)

/** "1天3小时", "5小时7分钟", "25分钟" (English "1d 3h", "5h 7m", "25m"); under a minute: "不到1分钟". */
export function durationWords(seconds: number, en = false): string {
  const s = Math.floor(Math.abs(seconds))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d) return en ? `${d}d${h ? ` ${h}h` : ''}` : `${d}天${h ? `${h}小时` : ''}`
  if (h) return en ? `${h}h${m ? ` ${m}m` : ''}` : `${h}小时${m ? `${m}分钟` : ''}`
  if (m) return en ? `${m}m` : `${m}分钟`
  return en ? 'under a minute' : '不到1分钟'
}

const running = (t: StepTimer) => t.state === 'running' || t.state === 'warning' || t.state === 'overdue'

/** Seconds left now (negative: overdue by). The natural clock runs with the wall clock, so it
 *  ticks down from the due time; working seconds only come from the server's reading. */
export function secondsLeft(t: StepTimer, nowMs: number): number | null {
  if (!running(t)) return null
  if (t.clock === 'natural') return Math.round((Date.parse(t.due_at) - nowMs) / 1000)
  return t.remaining_seconds ?? null
}

/** The state now: a running natural clock turns warning / overdue as its times pass. */
export function liveState(t: StepTimer, nowMs: number): StepState {
  if (!running(t) || t.clock !== 'natural') return t.state
  if (nowMs > Date.parse(t.due_at)) return 'overdue'
  if (nowMs >= Date.parse(t.warn_at)) return 'warning'
  return 'running'
}

/** "剩余 1天3小时（工作日）" / "超时 25分钟" — the server's words for the working clock, our own
 *  for the natural clock (kept current between readings); done steps say when they finished. */
export function remainingWords(t: StepTimer, nowMs: number, en = false): string {
  if (!running(t)) return t.remaining_text ? (en ? t.remaining_text.en : t.remaining_text.zh) : stateLabel(t.state, en)
  if (t.clock === 'working' && t.remaining_text) return en ? t.remaining_text.en : t.remaining_text.zh
  const left = secondsLeft(t, nowMs)
  if (left === null) return ''
  const words = durationWords(left, en)
  const clock = clockLabel(t.clock, en)
  if (left < 0) return en ? `overdue by ${words}` : `超时 ${words}`
  return en ? `${words} left (${clock})` : `剩余 ${words}（${clock}）`
}

/** Share of the step's time used (0 … 1, above 1 when late) for the progress bar. Piecewise on
 *  wall time so that the bar reaches the warning mark exactly at warn_at and 100 % at due_at —
 *  exact for the natural clock, the same landmarks for the working clock. */
export function usedFraction(t: StepTimer, nowMs: number, warningFraction = 0.8): number {
  const start = Date.parse(t.started_at)
  const warn = Date.parse(t.warn_at)
  const due = Date.parse(t.due_at)
  const end = t.finished_at ? Date.parse(t.finished_at) : nowMs
  if (end <= start) return 0
  if (end <= warn) return (warningFraction * (end - start)) / Math.max(1, warn - start)
  if (end <= due) return warningFraction + ((1 - warningFraction) * (end - warn)) / Math.max(1, due - warn)
  return 1 + (end - due) / Math.max(1, due - start)
}

// -- watch lists ---------------------------------------------------------------------------------
export const WATCH_LISTS = [
  { key: 'warning', zh: '预警', en: 'Warning' },
  { key: 'overdue', zh: '超期', en: 'Overdue' },
  { key: 'extension_pending', zh: '待审批延期', en: 'Extension pending' },
  { key: 'urged', zh: '已督办', en: 'Urged' },
  { key: 'rework', zh: '重办', en: 'Rework' },
  { key: 'awaiting_visit', zh: '待回访', en: 'Awaiting return visit' },
  { key: 'dispatch_overdue', zh: '待派单超时', en: 'Dispatch overdue' },
  { key: 'life_safety', zh: '生命安全', en: 'Life safety' },
] as const
export type WatchKey = (typeof WATCH_LISTS)[number]['key']

// The lists each role acts on (jurisdiction.py): dispatchers route and chase, supervisors
// approve extensions, urge and judge replies in their area, leaders oversee everything.
const BY_ROLE: Record<string, readonly WatchKey[]> = {
  dispatcher: ['life_safety', 'dispatch_overdue', 'warning', 'overdue', 'extension_pending', 'rework', 'awaiting_visit'],
  supervisor: ['life_safety', 'warning', 'overdue', 'extension_pending', 'urged', 'rework'],
  leader: ['life_safety', 'overdue', 'warning', 'urged', 'rework', 'dispatch_overdue', 'extension_pending', 'awaiting_visit'],
  admin: WATCH_LISTS.map((w) => w.key),
}

export function watchListsFor(role: string | null | undefined): WatchKey[] {
  return [...(BY_ROLE[role ?? ''] ?? [])]
}

export function watchLabel(key: string, en = false): string {
  const w = WATCH_LISTS.find((x) => x.key === key)
  return w ? (en ? w.en : w.zh) : key
}

/** The menu's badge: nothing for 0, "99+" past 99. */
export function badge(count: number | null | undefined): string {
  if (!count || count < 0) return ''
  return count > 99 ? '99+' : String(count)
}

/** Life-safety orders not yet seen on this screen (the alarm sounds for these). */
export function newArrivals(ids: number[], seen: ReadonlySet<number>): number[] {
  return ids.filter((id) => !seen.has(id))
}
