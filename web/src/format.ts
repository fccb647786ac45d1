// Dates in the city's time (Asia/Shanghai), durations in plain words.

// The city's clock is UTC+8 all year (China has kept no daylight saving since 1991), so the
// wall time is the UTC fields of the instant moved by eight hours: no Intl formatter, whose
// time-zone data costs tens of milliseconds to load on the 大屏's first paint.
const CITY_OFFSET_MS = 8 * 3600 * 1000
const two = (n: number) => String(n).padStart(2, '0')

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (isNaN(d.getTime())) return iso
  const c = new Date(d.getTime() + CITY_OFFSET_MS)
  return `${c.getUTCFullYear()}-${two(c.getUTCMonth() + 1)}-${two(c.getUTCDate())} ${two(c.getUTCHours())}:${two(c.getUTCMinutes())}`
}

export function fmtDuration(seconds: number, en = false): string {
  const s = Math.abs(Math.round(seconds))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (en) return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m`
  return d ? `${d}天${h}小时` : h ? `${h}小时${m}分` : `${m}分钟`
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`
}

/** Local calendar day → the UTC ISO instant of its midnight in the city (for API date filters). */
export function dayStartIso(day: string): string {
  return new Date(`${day}T00:00:00+08:00`).toISOString()
}
export function dayEndIso(day: string): string {
  return new Date(new Date(`${day}T00:00:00+08:00`).getTime() + 86400000).toISOString()
}
