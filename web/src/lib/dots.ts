// Order markers drawn as dots on one canvas: thousands of Leaflet circle markers cost the
// command-centre screen a layer object, events and a redraw request each; this draws them in
// one pass and hit-tests clicks and hovers itself.
import L from 'leaflet'

export interface Dot {
  id: number | string
  lat: number
  lon: number
  color: string
  radius?: number
  /** plain text (lines separated by \n), shown on hover */
  title?: string
}

/** Index of the dot whose disc (radius + slack pixels) holds (x, y), nearest first; -1 if none.
 *  `xy` holds the dots' screen positions as x0, y0, x1, y1 … */
export function hitDot(xy: ArrayLike<number>, radii: ArrayLike<number>, x: number, y: number, slack = 2): number {
  let best = -1
  let bestD = Infinity
  for (let i = 0; i < radii.length; i++) {
    const dx = xy[2 * i] - x
    const dy = xy[2 * i + 1] - y
    const d = dx * dx + dy * dy
    const r = radii[i] + slack
    if (d <= r * r && d < bestD) {
      best = i
      bestD = d
    }
  }
  return best
}

const PADDING = 0.3 // the canvas reaches this share of the view beyond each edge, for panning

export class DotLayer extends L.Layer {
  private dots: Dot[] = []
  private xy = new Float32Array(0)
  private radii = new Float32Array(0)
  private canvas: HTMLCanvasElement | null = null
  private origin = L.point(0, 0) // container point of the canvas's top-left corner
  private tip: L.Tooltip | null = null
  private hovered = -1

  constructor(private onPick: (id: number | string) => void) {
    super({ pane: 'dots' })
  }

  setDots(dots: Dot[]): this {
    this.dots = dots
    this.radii = Float32Array.from(dots, (d) => d.radius ?? 5)
    this.redraw()
    return this
  }

  onAdd(map: L.Map): this {
    if (!map.getPane('dots')) map.createPane('dots').style.zIndex = '450'
    const canvas = L.DomUtil.create('canvas', 'leaflet-zoom-hide') as HTMLCanvasElement
    canvas.style.pointerEvents = 'none' // the map's own events reach the region layers below
    this.getPane()!.appendChild(canvas)
    this.canvas = canvas
    map.on('moveend zoomend resize', this.redraw, this)
    map.on('click', this.click, this)
    map.on('mousemove', this.hover, this)
    map.on('mouseout', this.unhover, this)
    this.redraw()
    return this
  }

  onRemove(map: L.Map): this {
    map.off('moveend zoomend resize', this.redraw, this)
    map.off('click', this.click, this)
    map.off('mousemove', this.hover, this)
    map.off('mouseout', this.unhover, this)
    this.unhover()
    this.canvas?.remove()
    this.canvas = null
    return this
  }

  redraw(): void {
    const map = this._map
    const canvas = this.canvas
    if (!map || !canvas) return
    const size = map.getSize()
    const pad = size.multiplyBy(PADDING).round()
    this.origin = pad.multiplyBy(-1)
    const full = size.add(pad.multiplyBy(2))
    const ratio = window.devicePixelRatio || 1
    canvas.width = full.x * ratio
    canvas.height = full.y * ratio
    canvas.style.width = `${full.x}px`
    canvas.style.height = `${full.y}px`
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint(this.origin))
    const ctx = canvas.getContext('2d')!
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
    const xy = new Float32Array(this.dots.length * 2)
    // Draw colour by colour: one fill per colour instead of one per dot.
    const byColor = new Map<string, number[]>()
    this.dots.forEach((d, i) => {
      const p = map.latLngToContainerPoint([d.lat, d.lon])
      xy[2 * i] = p.x
      xy[2 * i + 1] = p.y
      const list = byColor.get(d.color)
      if (list) list.push(i)
      else byColor.set(d.color, [i])
    })
    this.xy = xy
    ctx.lineWidth = 1
    for (const [color, idx] of byColor) {
      ctx.beginPath()
      for (const i of idx) {
        const x = xy[2 * i] - this.origin.x
        const y = xy[2 * i + 1] - this.origin.y
        ctx.moveTo(x + this.radii[i], y)
        ctx.arc(x, y, this.radii[i], 0, Math.PI * 2)
      }
      ctx.globalAlpha = 0.85
      ctx.fillStyle = color
      ctx.fill()
      ctx.globalAlpha = 1
      ctx.strokeStyle = color
      ctx.stroke()
    }
  }

  /** Where dot `i` is drawn, in container pixels (the browser tests click it). */
  point(i: number): { x: number; y: number } | null {
    return i < this.dots.length && this.xy.length ? { x: this.xy[2 * i], y: this.xy[2 * i + 1] } : null
  }

  private at(ev: L.LeafletMouseEvent): number {
    return hitDot(this.xy, this.radii, ev.containerPoint.x, ev.containerPoint.y)
  }

  private click(ev: L.LeafletMouseEvent): void {
    const i = this.at(ev)
    if (i >= 0) this.onPick(this.dots[i].id)
  }

  private hover(ev: L.LeafletMouseEvent): void {
    const i = this.at(ev)
    if (i === this.hovered) return
    this.unhover()
    const map = this._map
    if (i < 0 || !map) return
    this.hovered = i
    map.getContainer().style.cursor = 'pointer'
    const d = this.dots[i]
    if (d.title) {
      const el = document.createElement('div')
      el.style.whiteSpace = 'pre'
      el.textContent = d.title // text, never HTML: titles carry what residents wrote
      this.tip = L.tooltip({ direction: 'top', offset: [0, -(this.radii[i] + 2)] })
        .setLatLng([d.lat, d.lon])
        .setContent(el)
      map.openTooltip(this.tip)
    }
  }

  private unhover(): void {
    if (this.hovered < 0) return
    this.hovered = -1
    if (this.tip) this._map?.closeTooltip(this.tip)
    this.tip = null
    if (this._map) this._map.getContainer().style.cursor = ''
  }
}
