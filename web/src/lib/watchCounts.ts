// The menu's watch-list counts, shared by every component that shows them: one poll per console
// tab (every 60 s and after an action), not one per badge.
import { reactive } from 'vue'
import { api } from '../api'

export const watchCounts = reactive<{ counts: Record<string, number>; at: number; failed: boolean }>({ counts: {}, at: 0, failed: false })
let timer: ReturnType<typeof setInterval> | null = null
let users = 0

export async function refreshWatchCounts(): Promise<void> {
  try {
    watchCounts.counts = await api<Record<string, number>>('/work-orders/watch-counts')
    watchCounts.at = Date.now()
    watchCounts.failed = false
  } catch {
    watchCounts.failed = true // keep the last counts; the next poll tries again
  }
}

export function startWatchCounts(everyMs = 60_000): () => void {
  users += 1
  if (!timer) {
    void refreshWatchCounts()
    timer = setInterval(() => void refreshWatchCounts(), everyMs)
  }
  return () => {
    users -= 1
    if (users <= 0 && timer) {
      clearInterval(timer)
      timer = null
      users = 0
    }
  }
}
