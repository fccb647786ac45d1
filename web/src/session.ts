// The signed-in user, kept in localStorage so that a reload keeps the session.
import { reactive } from 'vue'

export interface User {
  id: number
  username: string
  display_name: string
  role: string
  region_code: string | null
  department_code: string | null
}

const KEY = 'cityloop.session'

function load(): { token: string; user: User | null } {
  try {
    const raw = localStorage.getItem(KEY)
    if (raw) return JSON.parse(raw)
  } catch {
    /* a broken entry is ignored */
  }
  return { token: '', user: null }
}

export const session = reactive(load())

export function signIn(token: string, user: User): void {
  session.token = token
  session.user = user
  localStorage.setItem(KEY, JSON.stringify({ token, user }))
}

export function logout(expired = false): void {
  // End the session on the server too (every worker refuses the token from then on); an
  // expired one is already over there.
  if (session.token && !expired) {
    void fetch('/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${session.token}` }, keepalive: true }).catch(() => undefined)
  }
  session.token = ''
  session.user = null
  localStorage.removeItem(KEY)
  if (expired && !location.pathname.startsWith('/login')) {
    location.assign(`/login?expired=1&next=${encodeURIComponent(location.pathname + location.search)}`)
  }
}

/** Where each role lands after signing in (its workbench). */
export const HOME_BY_ROLE: Record<string, string> = {
  admin: '/admin/regions',
  operator: '/intake',
  dispatcher: '/dispatch',
  department_handler: '/inbox',
  grid_worker: '/grid',
  supervisor: '/orders',
  leader: '/screen',
  resident: '/portal',
  security_admin: '/admin/users',
  auditor: '/admin/audit',
}

export function homeFor(role: string | undefined): string {
  return (role && HOME_BY_ROLE[role]) || '/orders'
}

export function hasRole(...roles: string[]): boolean {
  return !!session.user && roles.includes(session.user.role)
}
