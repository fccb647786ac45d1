// WGS84 ↔ GCJ-02 (the offset "Mars" coordinates of 高德/腾讯-style tiles). CityLoop stores and
// sends WGS84 (天地图 and government servers use CGCS2000, within centimetres of it); only
// when the configured base tiles are GCJ-02 does the map shift what it draws onto them, and
// clicks back. Outside China GCJ-02 equals WGS84.
const A = 6378245.0
const EE = 0.00669342162296594323

export function outOfChina(lat: number, lon: number): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

function tLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3
  return r
}

function tLon(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3
  return r
}

/** [lat, lon] in GCJ-02 of a WGS84 point. */
export function wgs84ToGcj02(lat: number, lon: number): [number, number] {
  if (outOfChina(lat, lon)) return [lat, lon]
  let dLat = tLat(lon - 105, lat - 35)
  let dLon = tLon(lon - 105, lat - 35)
  const rad = (lat / 180) * Math.PI
  let magic = Math.sin(rad)
  magic = 1 - EE * magic * magic
  const sq = Math.sqrt(magic)
  dLat = (dLat * 180) / (((A * (1 - EE)) / (magic * sq)) * Math.PI)
  dLon = (dLon * 180) / ((A / sq) * Math.cos(rad) * Math.PI)
  return [lat + dLat, lon + dLon]
}

/** [lat, lon] in WGS84 of a GCJ-02 point, by fixed-point iteration (to ~1e-7°, a centimetre). */
export function gcj02ToWgs84(lat: number, lon: number): [number, number] {
  if (outOfChina(lat, lon)) return [lat, lon]
  let wl = lat
  let wo = lon
  for (let i = 0; i < 10; i++) {
    const [gl, go] = wgs84ToGcj02(wl, wo)
    const dl = gl - lat
    const dd = go - lon
    wl -= dl
    wo -= dd
    if (Math.abs(dl) < 1e-9 && Math.abs(dd) < 1e-9) break
  }
  return [wl, wo]
}
