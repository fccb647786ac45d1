// Pure helpers of the console (no Vue, no DOM): SLA countdown text, masked personal data,
// CSV templates for the administrator's imports, file sizes. Unit-tested in helpers.test.ts.
import { fmtDuration } from '../format'
import type { Rule } from '../reference' // the type only: no runtime import

export type SlaKind = 'normal' | 'warning' | 'overdue'

/** The colour class of a deadline: the server's reading, or overdue once the countdown passed 0. */
export function slaKind(status: string | null | undefined, remainingSeconds: number): SlaKind {
  if (status === 'overdue' || remainingSeconds < 0) return 'overdue'
  if (status === 'warning') return 'warning'
  return 'normal'
}

/** "剩余 2天3小时" / "已超时 45分钟" (English: "2d 3h left" / "overdue by 45m"). */
export function slaCountdown(remainingSeconds: number, en = false): string {
  const d = fmtDuration(remainingSeconds, en)
  if (remainingSeconds < 0) return en ? `overdue by ${d}` : `已超时 ${d}`
  return en ? `${d} left` : `剩余 ${d}`
}

/** Remaining seconds now: a running clock ticks down by the wall time since the reading. */
export function remainingNow(remainingSeconds: number, running: boolean, elapsedMs: number): number {
  return running ? remainingSeconds - elapsedMs / 1000 : remainingSeconds
}

// -- personal data ------------------------------------------------------------------------------
/** The server's rule (cityloop/domain/privacy.py): 13812341234 → 138****1234; a shorter value
 *  keeps only its last two digits. */
export function maskPhone(phone: string | null | undefined): string {
  const s = (phone ?? '').trim()
  if (!s) return ''
  if (s.length >= 11) return `${s.slice(0, 3)}****${s.slice(-4)}`
  if (s.length > 2) return '*'.repeat(s.length - 2) + s.slice(-2)
  return '*'.repeat(s.length)
}

/** 张三 → 张*, 欧阳娜娜 → 欧***; a Latin name keeps its first letter. */
export function maskName(name: string | null | undefined): string {
  const s = (name ?? '').trim()
  if (!s) return ''
  const chars = Array.from(s)
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1))
}

/** Whether a value as the server sent it is masked (contains a run of *). */
export function isMasked(value: string | null | undefined): boolean {
  return !!value && /\*{1,}/.test(value)
}

/** How a caller's contact shows: the value as the server sent it, or a dash for none. */
export function contactDisplay(value: string | null | undefined): string {
  return value ? value : '—'
}

// -- CSV ------------------------------------------------------------------------------------------
function csvCell(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v)
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** A CSV file (UTF-8 with BOM so that Excel reads Chinese, CRLF lines as RFC 4180 says). */
export function csvText(columns: string[], rows: (string | number | null | undefined)[][] = []): string {
  const lines = [columns, ...rows].map((r) => r.map(csvCell).join(','))
  return '\uFEFF' + lines.join('\r\n') + '\r\n'
}

export interface CsvTemplate {
  filename: string
  columns: string[]
  rows: (string | number | null)[][]
}

/** The import templates: the columns the server requires (see cityloop/importers.py), and a
 *  sample row to overwrite. */
export const TEMPLATES: Record<'departments' | 'taxonomy' | 'linkage', CsvTemplate> = {
  departments: {
    filename: 'departments-template.csv',
    columns: ['code', 'name', 'level', 'region_code', 'phone'],
    rows: [['D-EXAMPLE', '示例区城市管理局', 'district', '', '0871-12345678']],
  },
  taxonomy: {
    filename: 'taxonomy-template.csv',
    columns: ['一级分类', '二级分类', '三级分类'],
    rows: [['城乡建设', '市政设施', '路灯损坏']],
  },
  linkage: {
    filename: 'linkage-template.csv',
    columns: ['category', 'region_code', 'lead', 'co', 'urgent', 'normal'],
    rows: [['城乡建设/市政设施/路灯损坏', '', 'D-CG', '@street|D-GA', '1d', '5d']],
  },
}


/** The linkage list as an importable CSV (edit it and import it back as the next version). */
export function rulesCsv(rules: Rule[]): string {
  const t = TEMPLATES.linkage
  return csvText(
    t.columns,
    rules.map((r) => [r.category_path ?? r.category_code, r.region_code ?? '', r.lead_department, r.co_departments.join('|'), r.limits.urgent ?? '', r.limits.normal ?? '']),
  )
}

export function templateCsv(kind: keyof typeof TEMPLATES): string {
  return csvText(TEMPLATES[kind].columns, TEMPLATES[kind].rows)
}

// -- files ----------------------------------------------------------------------------------------
export function fmtBytes(size: number | null | undefined): string {
  if (size === null || size === undefined) return ''
  if (size < 1024) return `${size} B`
  if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`
  return `${(size / 1024 / 1024).toFixed(1)} MB`
}

export const UPLOAD_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf']
export const UPLOAD_MAX_BYTES = 10 * 1024 * 1024

/** Why a file cannot be uploaded, before sending it (the server checks the bytes again). */
export function uploadProblem(file: { name: string; type: string; size: number }): string | null {
  if (file.size === 0) return `${file.name}：空文件 empty file`
  if (file.size > UPLOAD_MAX_BYTES) return `${file.name}：超过 10 MB larger than 10 MB`
  if (file.type && !UPLOAD_TYPES.includes(file.type)) return `${file.name}：仅支持 JPEG/PNG/WebP/GIF 图片或 PDF`
  return null
}

export function isImage(contentType: string | null | undefined): boolean {
  return !!contentType && contentType.startsWith('image/')
}
