// Labels, departments and categories from the API (GET /meta/choices …), loaded once.
import { reactive, toRaw } from 'vue'
import { api } from './api'
import { i18n } from './i18n'

export interface Choice {
  value: string
  label: string
  color?: string
}
export interface Choices {
  statuses: Choice[]
  actions: Choice[]
  channels: Choice[]
  roles: Choice[]
  ratings: Choice[]
  urgencies: Choice[]
  sla_statuses: Choice[]
  region_levels: Choice[]
}
export interface Department {
  code: string
  name: string
  level: string
  region_code: string | null
}
export interface Category {
  code: string
  name: string
  level: number
  parent_code: string | null
  path: string
}
export interface ConsoleConfig {
  tile_url: string | null
  tile_attribution: string
  /** the tiles' coordinate system: GCJ-02 tiles get the WGS84 layers shifted onto them */
  tile_crs?: 'wgs84' | 'gcj02'
  tile_subdomains?: string | null
  /** the city has its own vector base map (GET /geo/basemap) */
  basemap?: boolean
  city_name: string | null
  center: [number, number] | null
  bounds: [[number, number], [number, number]] | null
}

export const ref_ = reactive({
  choices: null as Choices | null,
  departments: [] as Department[],
  categories: [] as Category[],
  config: null as ConsoleConfig | null,
})

let choicesP: Promise<Choices> | null = null
export function loadChoices(): Promise<Choices> {
  choicesP ??= api<Choices>('/meta/choices', { auth: false }).then((c) => (ref_.choices = c)).catch((e) => {
    choicesP = null
    throw e
  })
  return choicesP
}
let deptP: Promise<Department[]> | null = null
export function loadDepartments(): Promise<Department[]> {
  deptP ??= api<Department[]>('/departments', { auth: false }).then((d) => (ref_.departments = d)).catch((e) => {
    deptP = null
    throw e
  })
  return deptP
}
/** Forget cached reference data after an import, so the next load reads the new rows. */
export function resetReference(...what: ('departments' | 'categories' | 'rules')[]): void {
  if (what.includes('departments')) deptP = null
  if (what.includes('categories')) catP = null
  if (what.includes('rules')) rulesP = null
}
let catP: Promise<Category[]> | null = null
export function loadCategories(): Promise<Category[]> {
  catP ??= api<Category[]>('/categories', { auth: false }).then((c) => (ref_.categories = c)).catch((e) => {
    catP = null
    throw e
  })
  return catP
}
let cfgP: Promise<ConsoleConfig> | null = null
export function loadConfig(): Promise<ConsoleConfig> {
  cfgP ??= api<ConsoleConfig>('/meta/console-config', { auth: false }).then((c) => (ref_.config = c)).catch((e) => {
    cfgP = null
    throw e
  })
  return cfgP
}

/** English fallback for a value: "pending_dispatch" → "Pending dispatch". */
function humanize(v: string): string {
  const s = v.replace(/_/g, ' ')
  return s.charAt(0).toUpperCase() + s.slice(1)
}

// value → choice per kind, built once per loaded choices (the map labels thousands of orders).
const index = new WeakMap<Choices, Map<string, Choice>[]>()
const KINDS: (keyof Choices)[] = ['statuses', 'actions', 'channels', 'roles', 'ratings', 'urgencies', 'sla_statuses', 'region_levels']

function find(kind: keyof Choices, value: string | null | undefined): Choice | undefined {
  const choices = ref_.choices ? toRaw(ref_.choices) : null
  if (!value || !choices) return undefined
  let maps = index.get(choices)
  if (!maps) {
    maps = KINDS.map((k) => new Map((choices[k] ?? []).map((c) => [c.value, c])))
    index.set(choices, maps)
  }
  return maps[KINDS.indexOf(kind)].get(value)
}

/** The label the server gives a value (Chinese); in English mode the console's own English
 *  label (i18n `enum.<kind>.<value>`), else the value made readable. */
export function label(kind: keyof Choices, value: string | null | undefined): string {
  if (!value) return ''
  if (i18n.global.locale.value === 'en') {
    const key = `enum.${kind}.${value}`
    return i18n.global.te(key, 'en') ? i18n.global.t(key) : humanize(value)
  }
  return find(kind, value)?.label ?? value
}

export function color(kind: keyof Choices, value: string | null | undefined): string {
  return find(kind, value)?.color ?? '#909399'
}

export function deptName(code: string | null | undefined): string {
  if (!code) return ''
  return ref_.departments.find((d) => d.code === code)?.name ?? code
}

/** Categories as a cascader tree (一级 → 二级 → 三级). */
export function categoryTree(): any[] {
  const byParent = new Map<string | null, Category[]>()
  for (const c of ref_.categories) {
    const k = c.parent_code ?? null
    if (!byParent.has(k)) byParent.set(k, [])
    byParent.get(k)!.push(c)
  }
  const build = (parent: string | null): any[] =>
    (byParent.get(parent) ?? []).map((c) => {
      const children = build(c.code)
      return { value: c.code, label: c.name, children: children.length ? children : undefined }
    })
  return build(null)
}

export interface Rule {
  category_code: string
  category_path: string | null
  region_code: string | null
  lead_department: string
  co_departments: string[]
  limits: Record<string, string>
}
let rulesP: Promise<Rule[]> | null = null
export function loadRules(): Promise<Rule[]> {
  rulesP ??= api<{ rules: Rule[] }>('/linkage-rules').then((r) => r.rules).catch((e) => {
    rulesP = null
    throw e
  })
  return rulesP
}

/** The linkage rule the server would apply (most specific category, then region), for showing
 *  a dispatcher what a suggested category would mean. The server decides on dispatch. */
export function matchRule(rules: Rule[], category: string | null | undefined, grid: string | null | undefined): Rule | null {
  if (!category) return null
  let best: Rule | null = null
  let score = -1
  for (const r of rules) {
    if (!category.startsWith(r.category_code)) continue
    if (r.region_code && !(grid ?? '').startsWith(r.region_code)) continue
    const s = r.category_code.length * 100 + (r.region_code?.length ?? 0)
    if (s > score) {
      best = r
      score = s
    }
  }
  return best
}

export function categoryPath(code: string | null | undefined): string {
  if (!code) return ''
  return ref_.categories.find((c) => c.code === code)?.path ?? code
}
