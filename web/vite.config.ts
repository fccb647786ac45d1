import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The console is built into the Python package and served by FastAPI at `/`.
export default defineConfig({
  // Element Plus components are imported where used, so the command-centre screen does not
  // load the whole library (its styles come in once, from main.ts).
  plugins: [vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: false })], dts: false })],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: fileURLToPath(new URL('../cityloop/web_dist', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks: {
          vue: ['vue', 'vue-router', 'vue-i18n'],
          leaflet: ['leaflet'],
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: { '/api': { target: process.env.CITYLOOP_API ?? 'http://127.0.0.1:8101', changeOrigin: true } },
  },
  test: { environment: 'jsdom', include: ['src/**/*.test.ts'] },
})
