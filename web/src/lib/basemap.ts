// The city's own vector base map (GET /geo/basemap: rivers, parks, roads, named buildings),
// drawn in its own pane under the boundaries, with no tiles from anywhere. Road names show on
// hover; building and park names as labels once zoomed in far enough to read them.
import L from 'leaflet'
import { api } from '@/api'

let cached: Promise<any> | null = null
export function loadBasemap(): Promise<any> {
  cached ??= api('/geo/basemap', { auth: false }).catch((e) => {
    cached = null
    throw e
  })
  return cached
}

const PLACE_ZOOM = 15 // buildings and parks
const LINE_ZOOM = 13 // roads and rivers

function style(kind: string, cls: string, dark: boolean): L.PathOptions {
  switch (kind) {
    case 'river':
      return { stroke: false, fillColor: dark ? '#0f3d66' : '#a9cdf0', fillOpacity: dark ? 0.9 : 1 }
    case 'park':
      return { stroke: false, fillColor: dark ? '#12402e' : '#c8e6c0', fillOpacity: dark ? 0.75 : 1 }
    case 'road':
      return cls === '主干道'
        ? { color: dark ? '#2f4f73' : '#f5c26b', weight: 4, opacity: 1 }
        : { color: dark ? '#24405f' : '#ffffff', weight: 2.5, opacity: 1 }
    default: // building
      return { color: dark ? '#2a3d57' : '#c9c3b8', weight: 0.6, fillColor: dark ? '#1b2a40' : '#e4ded3', fillOpacity: 1 }
  }
}

/** Add the base map to `map` (resolves false when the city has none). */
export async function addBasemap(
  map: L.Map,
  dark: boolean,
  toLatLng: (lat: number, lon: number) => L.LatLng,
): Promise<boolean> {
  const fc = await loadBasemap()
  if (!fc?.features?.length) return false
  const pane = map.getPane('basemap') ?? map.createPane('basemap')
  pane.style.zIndex = '250' // under the overlay pane (400) where the boundaries are drawn
  const renderer = L.canvas({ pane: 'basemap', padding: 0.3 })
  const labels = L.layerGroup()
  const lineLabels = L.layerGroup()
  L.geoJSON(fc, {
    pane: 'basemap',
    interactive: false,
    coordsToLatLng: (c: number[]) => toLatLng(c[1], c[0]),
    style: (f) => ({ ...style(f?.properties.kind, f?.properties.class, dark), renderer }),
    onEachFeature: (f, layer) => {
      const { kind, name } = f.properties
      if (!name || kind === 'river' || kind === 'road') return
      const center = (layer as L.Polygon).getBounds().getCenter()
      labels.addLayer(
        L.tooltip({ permanent: true, direction: 'center', className: `bm-label bm-${kind}`, interactive: false })
          .setLatLng(center)
          .setContent(name),
      )
    },
  }).addTo(map)
  // Rivers and roads get one label each, shown from a lower zoom than the places.
  for (const f of fc.features) {
    const { kind, name } = f.properties
    if ((kind !== 'road' && kind !== 'river') || !name) continue
    const g = f.geometry
    // the points of a line, or of a (multi)polygon's outer ring(s)
    const coords: number[][] =
      g.type === 'LineString' ? g.coordinates
        : g.type === 'MultiLineString' ? g.coordinates.flat(1)
          : g.type === 'Polygon' ? g.coordinates[0]
            : g.type === 'MultiPolygon' ? g.coordinates.map((p: number[][][]) => p[0]).flat(1) : []
    const mid = coords[Math.floor(coords.length / 2)]
    if (!mid || !Number.isFinite(mid[0]) || !Number.isFinite(mid[1])) continue
    lineLabels.addLayer(
      L.tooltip({ permanent: true, direction: 'center', className: `bm-label bm-${kind}`, interactive: false })
        .setLatLng(toLatLng(mid[1], mid[0]))
        .setContent(name),
    )
  }
  const sync = () => {
    const z = map.getZoom()
    if (z >= PLACE_ZOOM) labels.addTo(map)
    else labels.remove()
    if (z >= LINE_ZOOM) lineLabels.addTo(map)
    else lineLabels.remove()
  }
  map.on('zoomend', sync)
  sync()
  return true
}
