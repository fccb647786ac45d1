// Dates in the city's time (Asia/Shanghai), durations in plain words.
const TZ = 'Asia/Shanghai'

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (isNaN(d.getTime())) return iso
  const parts = new Intl.DateTimeFormat('zh-CN', {
    timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(d)
  const g = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  return `${g('year')}-${g('month')}-${g('day')} ${g('hour')}:${g('minute')}`
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
