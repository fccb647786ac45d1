import { createApp } from 'vue'
import 'leaflet/dist/leaflet.css'
import './style.css'
import App from './App.vue'
import { router } from './router'
import { i18n } from './i18n'
import { session } from './session'
import { api } from './api'
import { prefetch } from './lib/early'
import { regionLayer } from './lib/regions'
import { loadChoices, loadConfig } from './reference'

// The command-centre screen: ask for its data and its code at once, not one after the other.
if (location.pathname === '/screen' && session.token) {
  prefetch('summary', () => api('/dashboard/summary'))
  prefetch('map-orders', () => api('/dashboard/map-orders', { query: { limit: 3000 } }))
  for (const level of ['district', 'street', 'grid']) void regionLayer(level).catch(() => undefined)
  void loadConfig().catch(() => undefined)
  void loadChoices().catch(() => undefined)
  void import('./pages/CommandCentre.vue')
}

createApp(App).use(router).use(i18n).mount('#app')
