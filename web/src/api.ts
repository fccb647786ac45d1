// A small fetch wrapper: bearer token, JSON, and RFC 9457 problem+json errors field by field.
import { session, logout } from './session'
import { fieldErrorText, fieldsText, localText, problemText } from './i18n'

export interface FieldError {
  field: string
  message: string
  row?: number
  /** a stable code and its params (every error of a 422 invalid_input carries them: request
   * validation's and refused commands') */
  code?: string
  params?: Record<string, unknown>
}

const RESTRICTIONS = ['password_change_required', 'totp_enrolment_required']

export class ApiError extends Error {
  status: number
  title: string
  detail: string
  errors: FieldError[]
  body: unknown
  /** the server's stable code (problem+json `code`) and its params */
  code: string
  params: Record<string, unknown>

  constructor(status: number, body: any) {
    const title = (body && (body.title || body.detail)) || `HTTP ${status}`
    super(title)
    this.status = status
    this.code = body && typeof body.code === 'string' ? body.code : ''
    this.params = body && typeof body.params === 'object' && body.params ? body.params : {}
    // Server titles are "中文 English": show the chosen language's half (or the code's words).
    this.title = problemText(this.code, this.params, String(title))
    this.detail = localText(body && typeof body.detail === 'string' ? body.detail : '')
    this.errors = body && Array.isArray(body.errors) ? body.errors : []
    // The field errors of a 422 invalid_input (request validation, or a command the server
    // refused) in the chosen language (an import's problems carry their own texts in both
    // languages, ImportPanel picks one).
    if (this.code === 'invalid_input') {
      this.errors = this.errors.map((e) => ({ ...e, message: fieldErrorText(e.code, e.params, String(e.message ?? '')) }))
      // The server's detail ("invalid field(s): a, b") in the chosen language.
      this.detail = fieldsText([...new Set(this.errors.map((e) => e.field))])
    }
    this.body = body
  }

  /** Field errors keyed by field name (the first message of each). */
  get fields(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const e of this.errors) {
      const key = e.row !== undefined ? `${e.row}.${e.field}` : e.field
      if (!(key in out)) out[key] = e.message
    }
    return out
  }
}

export type Query = Record<string, string | number | boolean | null | undefined | (string | number)[]>

export function qs(query?: Query): string {
  if (!query) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) v.forEach((x) => p.append(k, String(x)))
    else p.append(k, String(v))
  }
  const s = p.toString()
  return s ? `?${s}` : ''
}

interface Options {
  method?: string
  body?: unknown
  form?: Record<string, string>
  /** multipart/form-data (file uploads); the browser sets the boundary */
  formData?: FormData
  query?: Query
  auth?: boolean
  signal?: AbortSignal
}

export async function api<T = any>(path: string, opts: Options = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  let body: BodyInit | undefined
  if (opts.formData) {
    body = opts.formData
  } else if (opts.form) {
    body = new URLSearchParams(opts.form)
    headers['Content-Type'] = 'application/x-www-form-urlencoded'
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['Content-Type'] = 'application/json'
  }
  if (opts.auth !== false && session.token) headers.Authorization = `Bearer ${session.token}`
  let res: Response
  try {
    res = await fetch(`/api/v1${path}${qs(opts.query)}`, {
      method: opts.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      signal: opts.signal,
    })
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e
    throw new ApiError(0, { title: '网络错误，无法连接服务器 Network error' })
  }
  const text = await res.text()
  let data: any = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = { title: text.slice(0, 200) }
    }
  }
  if (!res.ok) {
    if (res.status === 401 && opts.auth !== false && session.token) logout(true)
    // A session that must first change its password or enrol 2FA is sent to do that.
    if (res.status === 403 && RESTRICTIONS.includes(data?.code) && !location.pathname.startsWith('/account')) {
      location.assign(`/account?required=${data.code}`)
    }
    throw new ApiError(res.status, data)
  }
  return data as T
}

/** Upload one file as multipart `file` (attachments, admin imports). */
export function upload<T = any>(path: string, file: Blob, name?: string, query?: Query): Promise<T> {
  const fd = new FormData()
  fd.append('file', file, name ?? (file as File).name ?? 'file')
  return api<T>(path, { formData: fd, query, method: 'POST' })
}

/** Read a server-sent-events stream with the bearer token (EventSource cannot send headers). */
export function streamEvents(
  path: string,
  query: Query,
  onEvent: (event: string, data: any) => void,
  onError: (e: unknown) => void,
): () => void {
  const ctrl = new AbortController()
  let stopped = false
  const run = async (delay: number) => {
    while (!stopped) {
      try {
        const res = await fetch(`/api/v1${path}${qs(query)}`, {
          headers: { Accept: 'text/event-stream', Authorization: `Bearer ${session.token}` },
          signal: ctrl.signal,
        })
        if (!res.ok || !res.body) throw new ApiError(res.status, null)
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        let buf = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buf += value
          let i: number
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i)
            buf = buf.slice(i + 2)
            let ev = 'message'
            const data: string[] = []
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) ev = line.slice(6).trim()
              else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
            }
            if (data.length) {
              try {
                onEvent(ev, JSON.parse(data.join('\n')))
              } catch (e) {
                onError(e)
              }
            }
          }
        }
      } catch (e) {
        if (stopped) return
        onError(e)
      }
      if (stopped) return
      await new Promise((r) => setTimeout(r, delay))
    }
  }
  void run(5000)
  return () => {
    stopped = true
    ctrl.abort()
  }
}
