// English for the states the community services word in Chinese (their *_label fields), keyed
// by the code that comes beside each label; a code not listed keeps the server's label.
import { ENUM_EN } from '@/i18n'

const EN: Record<string, Record<string, string>> = {
  wish: { open: 'Collecting votes', adopted: 'Adopted', closed: 'Closed' },
  snap: { open: 'Collecting', escalated: 'Sent to a department', resolved: 'Resolved' },
  dispute: { open: 'Received', mediating: 'Mediating', settled: 'Settled', failed: 'Not settled', closed: 'Closed after follow-up' },
  level: { community: 'Community', street: 'Street', district: 'District' },
  order: ENUM_EN.statuses,
  topic: { open: 'Following', escalated: 'Awaiting the leader', confirmed: 'Made an order', dismissed: 'Dismissed' },
}

export function communityLabel(kind: keyof typeof EN | string, code: string | undefined, label: string, en: boolean): string {
  return en && code && EN[kind]?.[code] ? EN[kind][code] : label
}
