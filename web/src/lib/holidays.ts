// The holiday calendar page's logic (节假日与调休): weekday names, what may be entered, the CSV
// template, and a year's days grouped by month. Pure: unit-tested in holidays.test.ts.

export type DayKind = 'holiday' | 'workday'
export interface HolidayDay { day: string; weekday: number; kind: DayKind; name: string; source: string; updated_by?: string | null }

const WEEKDAYS_ZH = ['一', '二', '三', '四', '五', '六', '日']
const WEEKDAYS_EN = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

/** ISO weekday (1 = Monday … 7 = Sunday) of a YYYY-MM-DD date, independent of the time zone. */
export function isoWeekday(day: string): number {
  const [y, m, d] = day.split('-').map(Number)
  const js = new Date(Date.UTC(y, m - 1, d)).getUTCDay()
  return js === 0 ? 7 : js
}

export function weekdayLabel(weekday: number, en = false): string {
  return en ? WEEKDAYS_EN[weekday - 1] ?? '' : `周${WEEKDAYS_ZH[weekday - 1] ?? ''}`
}

export const KIND_LABELS: Record<DayKind, [string, string]> = {
  holiday: ['休', 'day off'],
  workday: ['班（调休上班）', 'make-up working day'],
}

/** Why a day cannot be entered (zh, en), or null — the server checks the same. */
export function entryProblem(day: string, kind: DayKind, name: string): [string, string] | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return ['请选择日期', 'choose a date']
  if (!name.trim()) return ['请填写名称，如“春节”“国庆节调休”', 'enter a name, e.g. Spring Festival']
  if (name.trim().length > 40) return ['名称最多 40 个字', 'name is longer than 40 characters']
  if (kind === 'workday' && isoWeekday(day) <= 5) return ['调休上班只能是周六或周日', 'a make-up working day must be a Saturday or Sunday']
  return null
}

export const CSV_TEMPLATE = '日期,类型,名称\n2027-01-01,休,元旦\n'

export function csvOf(days: HolidayDay[]): string {
  const esc = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
  return ['日期,类型,名称', ...days.map((d) => [d.day, d.kind === 'holiday' ? '休' : '班', esc(d.name)].join(','))].join('\n') + '\n'
}

/** The year's days by month (1–12), in date order, months without days left out. */
export function byMonth(days: HolidayDay[]): { month: number; days: HolidayDay[] }[] {
  const out = new Map<number, HolidayDay[]>()
  for (const d of [...days].sort((a, b) => a.day.localeCompare(b.day))) {
    const m = Number(d.day.slice(5, 7))
    out.set(m, [...(out.get(m) ?? []), d])
  }
  return [...out.entries()].map(([month, list]) => ({ month, days: list }))
}

/** The years an administrator is offered: the arranged ones plus this and next year. */
export function yearChoices(arranged: number[], thisYear: number): number[] {
  return [...new Set([...arranged, thisYear, thisYear + 1])].sort((a, b) => b - a)
}
