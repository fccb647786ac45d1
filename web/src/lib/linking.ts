// Why an appeal was linked into an order about the same incident (understanding.duplicate
// from the intake, cityloop/nlp/incidents.py MatchReasons.as_record): the evidence as data,
// worded in zh-CN and English. Older links carry only the server's Chinese line (reasons).

export interface LinkEvidence {
  distance_m: number | null
  same_place: boolean | null
  same_address: string | null
  same_name: string | null
  category: string
  text_similarity: number
  hours_apart: number
  sensing_rule: string | null
}

export interface LinkRecord {
  order_id: number
  score: number
  reasons?: string
  evidence?: LinkEvidence
}

export function linkExplanation(link: LinkRecord | null | undefined, en: boolean): string {
  if (!link) return ''
  const e = link.evidence
  if (!e) return link.reasons ?? ''
  const parts: string[] = []
  if (e.same_address) parts.push(en ? `same address (${e.same_address})` : `地址相同（${e.same_address}）`)
  if (e.distance_m !== null) parts.push(en ? `${Math.round(e.distance_m)} m apart` : `距离 ${Math.round(e.distance_m)} 米`)
  if (e.same_place) parts.push(en ? 'same place' : '地点相同')
  if (e.same_name && !e.same_address) parts.push(en ? `both name ${e.same_name}` : `同一地点（${e.same_name}）`)
  parts.push(en ? `same category ${e.category}` : `同类 ${e.category}`)
  if (e.sensing_rule) parts.push(en ? `same sensing rule ${e.sensing_rule}` : `同一感知规则 ${e.sensing_rule}`)
  parts.push(en ? `text similarity ${e.text_similarity.toFixed(2)}` : `文本相似度 ${e.text_similarity.toFixed(2)}`)
  parts.push(en ? `${e.hours_apart.toFixed(1)} h apart` : `相隔 ${e.hours_apart.toFixed(1)} 小时`)
  return parts.join(en ? '; ' : '，')
}
