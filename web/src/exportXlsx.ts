// Excel export of the work-order list for the current filter, built in the browser.
import writeXlsxFile from 'write-excel-file/browser'
import { api, type Query } from './api'
import { fmtTime } from './format'
import { label } from './reference'

export const EXPORT_MAX = 10000

export async function exportOrders(filters: Query, onProgress?: (done: number, total: number) => void): Promise<number> {
  const rows: any[] = []
  let page = 1
  let total = 0
  do {
    const res = await api('/work-orders', { query: { ...filters, page, page_size: 200 } })
    total = Math.min(res.total, EXPORT_MAX)
    rows.push(...res.items)
    onProgress?.(rows.length, total)
    page++
    if (!res.items.length) break
  } while (rows.length < total)
  const header = ['工单号', '状态', '标题', '分类', '紧急程度', '区域', '网格', '主办单位', '渠道', '受理时间', '办理时限', '时限状态', '督办次数', '评价']
  const data = [
    header.map((h) => ({ value: h, fontWeight: 'bold' as const })),
    ...rows.slice(0, total).map((o) => [
      o.ticket_no, label('statuses', o.status), o.title, o.category_path ?? '', label('urgencies', o.urgency),
      o.region_name ?? '', o.grid_code ?? '', o.lead_department_name ?? '', label('channels', o.channel),
      fmtTime(o.received_at), fmtTime(o.due_at), o.sla?.label ?? '', o.urge_count, o.rating ? label('ratings', o.rating) : '',
    ].map((v) => ({ value: v === null || v === undefined ? '' : v }))),
  ]
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')
  await writeXlsxFile(data as any, { sheet: '工单', columns: header.map((_, i) => ({ width: [18, 8, 40, 28, 8, 14, 18, 20, 12, 18, 18, 8, 8, 8][i] })) } as any).toFile(`工单导出-${stamp}.xlsx`)
  return rows.length
}
