// Command gen builds the embedded province map of package maps from the province GeoJSON of
// thanglequoc/vietnamese-provinces-database (MIT licence, copied next to the output).
//
// It is run by `go generate ./internal/maps/` and is deterministic: the same input gives the
// same bytes, so the output is checked in and a diff shows what changed.
//
// What it does, in order:
//
//  1. Reads every *.geojson in -src (one FeatureCollection per province, feature id = code).
//  2. Builds the topology: the source rings share identical vertices along common borders, so
//     each ring is cut into arcs at the points where the set of rings owning an edge changes.
//     A border shared by two provinces is one arc, simplified once and used by both, so
//     neighbouring provinces never show gaps or overlaps after simplification.
//  3. Projects with an equirectangular projection whose x is scaled by cos(φ0), φ0 the middle
//     latitude of the data's bounding box (about 15.3°N). Over Vietnam's 16° of latitude this
//     keeps shapes within a few percent of a conformal projection and is trivial to invert.
//  4. Simplifies each arc with Douglas–Peucker (tolerance -tol viewBox units) and rounds to
//     integers; the two archipelagos keep one decimal.
//  5. Drops small islands (slivers) except (a) every island of the Hoàng Sa and Trường Sa
//     archipelagos, which are never dropped: an island that simplifies to nothing becomes a
//     small diamond mark at its real position; and (b) isolated islands far from other land
//     (Bạch Long Vĩ, Cồn Cỏ, Thổ Chu…), which are kept the same way.
//  6. Writes data/provinces.json: the viewBox, one SVG path per province, the national outline
//     (coast and land border: arcs owned by one ring only), the frames of the two archipelagos
//     and where the legend goes; and copies the licence.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	src := flag.String("src", "../../../shared/data/admin-units/provinces-geojson", "folder of province GeoJSON files")
	licence := flag.String("licence", "../../../shared/data/admin-units/LICENSE-vietnamese-provinces-database", "licence of the source data")
	out := flag.String("out", "data", "output folder")
	tol := flag.Float64("tol", 0.5, "Douglas–Peucker tolerance in viewBox units")
	verbose := flag.Bool("v", false, "list the small isolated islands kept")
	flag.Parse()
	if err := run(*src, *licence, *out, *tol, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// Layout of the viewBox.
const (
	mapWidth = 980.0 // width of the projected bounding box, viewBox units
	pad      = 10.0  // margin around it
)

// Sliver policy, in viewBox units (1 unit ≈ 1.7 km).
const (
	minIslandArea = 6.0  // islands smaller than this (≈ 17 km²) are dropped…
	isolatedDist  = 12.0 // …unless no kept land lies within this distance (≈ 20 km)
	markRadius    = 1.5  // half-diagonal of the diamond drawn for an island that collapsed
	minIslandSpan = 2.0  // an archipelago island narrower than this is drawn as a mark
)

// archipelago is a group of islands that the national map must always show.
type archipelago struct {
	Code      string // province the islands belong to
	Name      string
	LonMin    float64 // geographic box that selects the islands of that province
	LatMin    float64
	LonMax    float64
	LatMax    float64
	labelSide string // where the label goes relative to the frame: "right" or "top"
}

var archipelagos = []archipelago{
	{Code: "48", Name: "Hoàng Sa", LonMin: 110.5, LatMin: 15.0, LonMax: 113.5, LatMax: 17.5, labelSide: "right"},
	{Code: "56", Name: "Trường Sa", LonMin: 109.4, LatMin: 6.0, LonMax: 118.5, LatMax: 11.7, labelSide: "top"},
}

// Where the legend goes: the empty space over Laos and Cambodia, west of the Central Highlands.
const legendLon, legendLat = 102.35, 15.6

type featureCollection struct {
	Features []struct {
		ID         string `json:"id"`
		Properties struct {
			Code string `json:"code"`
			Name string `json:"name"`
		} `json:"properties"`
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
}

type lonlat struct{ lon, lat float64 }

// key identifies a vertex exactly: the source has six decimals.
type key struct{ x, y int64 }

func keyOf(p lonlat) key {
	return key{int64(math.Round(p.lon * 1e6)), int64(math.Round(p.lat * 1e6))}
}

type province struct {
	code, name string
	rings      []int // indexes into rings
}

type ring struct {
	prov   int
	pts    []lonlat
	keys   []key
	arcs   []arcRef
	shared bool // some arc is also used by another ring
	arch   int  // index into archipelagos, or -1
	keep   bool
	mark   bool    // drawn as a small mark
	area   float64 // projected area, viewBox units²
	cx, cy float64 // projected centroid
}

type arcRef struct {
	id  int
	rev bool
}

type arc struct {
	keys   []key // canonical direction
	owners int
	simple []pt // simplified, projected, canonical direction
}

type pt struct{ x, y float64 }

func run(src, licence, out string, tol float64, verbose bool) error {
	files, err := filepath.Glob(filepath.Join(src, "*.geojson"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no GeoJSON in %s", src)
	}
	sort.Strings(files)

	var provs []province
	var rings []*ring
	for _, f := range files {
		p, rs, err := readProvince(f)
		if err != nil {
			return err
		}
		for _, r := range rs {
			r.prov = len(provs)
			p.rings = append(p.rings, len(rings))
			rings = append(rings, r)
		}
		provs = append(provs, p)
	}
	sort.SliceStable(provs, func(i, j int) bool { return provs[i].code < provs[j].code })
	for pi, p := range provs {
		for _, ri := range p.rings {
			rings[ri].prov = pi
		}
	}

	// Projection.
	lonMin, latMin, lonMax, latMax := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, r := range rings {
		for _, p := range r.pts {
			lonMin, lonMax = math.Min(lonMin, p.lon), math.Max(lonMax, p.lon)
			latMin, latMax = math.Min(latMin, p.lat), math.Max(latMax, p.lat)
		}
	}
	phi0 := (latMin + latMax) / 2
	cosPhi := math.Cos(phi0 * math.Pi / 180)
	k := mapWidth / ((lonMax - lonMin) * cosPhi)
	project := func(p lonlat) pt {
		return pt{pad + (p.lon-lonMin)*cosPhi*k, pad + (latMax-p.lat)*k}
	}
	width := int(math.Ceil(mapWidth + 2*pad))
	height := int(math.Ceil((latMax-latMin)*k + 2*pad))

	// Archipelago membership, area and centroid of every ring.
	for _, r := range rings {
		r.arch = -1
		for ai, a := range archipelagos {
			if provs[r.prov].code != a.Code {
				continue
			}
			in := true
			for _, p := range r.pts {
				if p.lon < a.LonMin || p.lon > a.LonMax || p.lat < a.LatMin || p.lat > a.LatMax {
					in = false
					break
				}
			}
			if in {
				r.arch = ai
			}
		}
		pp := make([]pt, len(r.pts))
		for i, p := range r.pts {
			pp[i] = project(p)
		}
		r.area, r.cx, r.cy = areaCentroid(pp)
	}

	// Topology: owners of every edge, then arcs.
	type edge struct{ a, b key }
	norm := func(a, b key) edge {
		if b.x < a.x || (b.x == a.x && b.y < a.y) {
			a, b = b, a
		}
		return edge{a, b}
	}
	owners := map[edge][]int{}
	for ri, r := range rings {
		n := len(r.keys)
		for i := range n {
			e := norm(r.keys[i], r.keys[(i+1)%n])
			if o := owners[e]; len(o) == 0 || o[len(o)-1] != ri {
				owners[e] = append(o, ri)
			}
		}
	}
	sameOwners := func(a, b []int) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	var arcs []*arc
	arcIndex := map[string]int{}
	for _, r := range rings {
		n := len(r.keys)
		var cuts []int
		for i := range n {
			before := owners[norm(r.keys[(i+n-1)%n], r.keys[i])]
			after := owners[norm(r.keys[i], r.keys[(i+1)%n])]
			if !sameOwners(before, after) {
				cuts = append(cuts, i)
			}
		}
		var pieces [][]key
		if len(cuts) == 0 {
			// A ring on its own (an island): one closed arc starting at its smallest vertex,
			// so the result does not depend on where the source starts the ring.
			start := 0
			for i, kk := range r.keys {
				if less(kk, r.keys[start]) {
					start = i
				}
			}
			piece := make([]key, 0, n+1)
			for i := range n + 1 {
				piece = append(piece, r.keys[(start+i)%n])
			}
			pieces = append(pieces, piece)
		} else {
			for ci, c := range cuts {
				next := cuts[(ci+1)%len(cuts)]
				if next <= c {
					next += n
				}
				piece := make([]key, 0, next-c+1)
				for i := c; i <= next; i++ {
					piece = append(piece, r.keys[i%n])
				}
				pieces = append(pieces, piece)
			}
		}
		for _, piece := range pieces {
			canon, rev := canonical(piece)
			id := canonKey(canon)
			ai, ok := arcIndex[id]
			if !ok {
				ai = len(arcs)
				arcIndex[id] = ai
				o := owners[norm(piece[0], piece[1])]
				arcs = append(arcs, &arc{keys: canon, owners: len(o)})
			}
			r.arcs = append(r.arcs, arcRef{ai, rev})
			if arcs[ai].owners > 1 {
				r.shared = true
			}
		}
	}

	// Simplify every arc once.
	byKey := map[key]lonlat{}
	for _, r := range rings {
		for i, kk := range r.keys {
			byKey[kk] = r.pts[i]
		}
	}
	for _, a := range arcs {
		pp := make([]pt, len(a.keys))
		for i, kk := range a.keys {
			pp[i] = project(byKey[kk])
		}
		a.simple = simplify(pp, tol)
	}

	// Which rings to keep. Mainland and big islands first, then isolated small islands.
	var land []pt
	isolated := 0
	for _, r := range rings {
		if r.shared || r.area >= minIslandArea || r.arch >= 0 {
			r.keep = true
		}
		if r.keep && r.arch < 0 {
			for _, p := range r.pts {
				land = append(land, project(p))
			}
		}
	}
	for _, r := range rings {
		if r.keep {
			continue
		}
		near := false
		for _, q := range land {
			if math.Hypot(q.x-r.cx, q.y-r.cy) < isolatedDist {
				near = true
				break
			}
		}
		if !near {
			r.keep = true
			isolated++
			if !verbose {
				continue
			}
			fmt.Fprintf(os.Stderr, "gen: keeping isolated island of %s at %.3f°E %.3f°N (%.1f units²)\n",
				provs[r.prov].code, r.pts[0].lon, r.pts[0].lat, r.area)
		}
	}

	// Emit paths.
	doc := output{
		Source:     "thanglequoc/vietnamese-provinces-database, provinces-geojson (MIT licence, see LICENSE-vietnamese-provinces-database)",
		Projection: fmt.Sprintf("equirectangular, x = %g + (lon − %.6f)·cos(%.4f°)·%.4f, y = %g + (%.6f − lat)·%.4f", pad, lonMin, phi0, k, pad, latMax, k),
		Tolerance:  tol,
		Width:      width,
		Height:     height,
	}
	var outline strings.Builder
	archCount := make([]int, len(archipelagos))
	archBox := make([][4]float64, len(archipelagos))
	for i := range archBox {
		archBox[i] = [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	}
	for _, p := range provs {
		var d strings.Builder
		for _, ri := range p.rings {
			r := rings[ri]
			if !r.keep {
				continue
			}
			prec := 0
			if r.arch >= 0 {
				prec = 1
			}
			pts := r.assemble(arcs, prec)
			if r.arch >= 0 || !r.shared {
				if len(pts) < 3 || polyArea(pts) == 0 || (r.arch >= 0 && span(pts) < minIslandSpan) {
					if !r.shared {
						r.mark = true
						pts = diamond(r.cx, r.cy, prec)
					}
				}
			}
			if len(pts) < 3 {
				continue
			}
			if r.arch >= 0 {
				archCount[r.arch]++
				b := &archBox[r.arch]
				for _, q := range pts {
					b[0], b[1] = math.Min(b[0], q.x), math.Min(b[1], q.y)
					b[2], b[3] = math.Max(b[2], q.x), math.Max(b[3], q.y)
				}
			}
			writeRing(&d, pts, prec)
			// Outline: runs of arcs owned by this ring only.
			if r.mark {
				writeRing(&outline, pts, prec)
				continue
			}
			writeOutline(&outline, r, arcs, prec)
		}
		doc.Provinces = append(doc.Provinces, provinceOut{Code: p.code, Name: p.name, D: d.String()})
	}
	doc.Outline = outline.String()

	for ai, a := range archipelagos {
		want := 0
		for _, r := range rings {
			if r.arch == ai {
				want++
			}
		}
		if want == 0 || archCount[ai] != want {
			return fmt.Errorf("archipelago %s: %d of %d islands drawn", a.Name, archCount[ai], want)
		}
		b := archBox[ai]
		const margin = 6
		frame := [4]float64{round(b[0]-margin, 0), round(b[1]-margin, 0), round(b[2]-b[0]+2*margin, 0), round(b[3]-b[1]+2*margin, 0)}
		var lx, ly float64
		anchor := "start"
		switch a.labelSide {
		case "right":
			lx, ly = frame[0]+frame[2]+6, frame[1]+frame[3]/2+4
		default:
			lx, ly = frame[0]+frame[2]/2, frame[1]-7
			anchor = "middle"
		}
		doc.Archipelagos = append(doc.Archipelagos, archipelagoOut{
			Code: a.Code, Name: a.Name, Islands: archCount[ai], Frame: frame,
			Label: [2]float64{lx, ly}, Anchor: anchor,
		})
	}
	lp := project(lonlat{legendLon, legendLat})
	doc.Legend = [2]float64{round(lp.x, 0), round(lp.y, 0)}

	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	b, err := doc.marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "provinces.json"), b, 0o644); err != nil {
		return err
	}
	lic, err := os.ReadFile(licence)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, filepath.Base(licence)), lic, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: %d provinces, %d rings (%d small isolated islands kept), %d arcs, %d bytes\n",
		len(provs), len(rings), isolated, len(arcs), len(b))
	return nil
}

func readProvince(file string) (province, []*ring, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return province{}, nil, err
	}
	var fc featureCollection
	if err := json.Unmarshal(b, &fc); err != nil {
		return province{}, nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(fc.Features) != 1 {
		return province{}, nil, fmt.Errorf("%s: %d features, want 1", file, len(fc.Features))
	}
	f := fc.Features[0]
	p := province{code: f.ID, name: f.Properties.Name}
	if p.code == "" {
		p.code = f.Properties.Code
	}
	if len(p.code) != 2 {
		return province{}, nil, fmt.Errorf("%s: bad province code %q", file, p.code)
	}
	var polys [][][][2]float64
	switch f.Geometry.Type {
	case "Polygon":
		var poly [][][2]float64
		err = json.Unmarshal(f.Geometry.Coordinates, &poly)
		polys = append(polys, poly)
	case "MultiPolygon":
		err = json.Unmarshal(f.Geometry.Coordinates, &polys)
	default:
		err = fmt.Errorf("geometry %s", f.Geometry.Type)
	}
	if err != nil {
		return province{}, nil, fmt.Errorf("%s: %w", file, err)
	}
	var rs []*ring
	for _, poly := range polys {
		if len(poly) != 1 {
			// The source has no holes; a hole would need fill-rule care when drawn.
			return province{}, nil, fmt.Errorf("%s: polygon with %d rings (holes are not supported)", file, len(poly))
		}
		r := &ring{}
		for _, c := range poly[0] {
			q := lonlat{c[0], c[1]}
			kk := keyOf(q)
			if n := len(r.keys); n > 0 && r.keys[n-1] == kk {
				continue
			}
			r.pts = append(r.pts, q)
			r.keys = append(r.keys, kk)
		}
		if n := len(r.keys); n > 1 && r.keys[0] == r.keys[n-1] {
			r.pts, r.keys = r.pts[:n-1], r.keys[:n-1]
		}
		if len(r.keys) < 3 {
			continue
		}
		rs = append(rs, r)
	}
	return p, rs, nil
}

func less(a, b key) bool { return a.x < b.x || (a.x == b.x && a.y < b.y) }

// canonical returns the arc in the direction that both rings using it agree on: the one whose
// point sequence is lexicographically smaller than its reverse. A closed arc (an island ring)
// is used by one ring only and is kept as it is.
func canonical(ks []key) ([]key, bool) {
	n := len(ks)
	if ks[0] == ks[n-1] {
		return ks, false
	}
	for i := range n / 2 {
		a, b := ks[i], ks[n-1-i]
		if a == b {
			continue
		}
		if less(a, b) {
			return ks, false
		}
		r := make([]key, n)
		for i, k := range ks {
			r[n-1-i] = k
		}
		return r, true
	}
	return ks, false
}

func canonKey(ks []key) string {
	var b bytes.Buffer
	for _, k := range ks {
		b.WriteString(strconv.FormatInt(k.x, 36))
		b.WriteByte(',')
		b.WriteString(strconv.FormatInt(k.y, 36))
		b.WriteByte(';')
	}
	return b.String()
}

// simplify runs Douglas–Peucker on an open polyline, or on a closed one (first == last) split
// at the point farthest from its start.
func simplify(p []pt, tol float64) []pt {
	n := len(p)
	if n <= 2 {
		return append([]pt(nil), p...)
	}
	if p[0] == p[n-1] {
		far, best := 0, -1.0
		for i := range p {
			if d := math.Hypot(p[i].x-p[0].x, p[i].y-p[0].y); d > best {
				far, best = i, d
			}
		}
		a := simplify(p[:far+1], tol)
		b := simplify(p[far:], tol)
		return append(a, b[1:]...)
	}
	keep := make([]bool, n)
	keep[0], keep[n-1] = true, true
	type span struct{ i, j int }
	stack := []span{{0, n - 1}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		far, best := -1, tol
		for i := s.i + 1; i < s.j; i++ {
			if d := segDist(p[i], p[s.i], p[s.j]); d > best {
				far, best = i, d
			}
		}
		if far >= 0 {
			keep[far] = true
			stack = append(stack, span{s.i, far}, span{far, s.j})
		}
	}
	var out []pt
	for i, k := range keep {
		if k {
			out = append(out, p[i])
		}
	}
	return out
}

func segDist(p, a, b pt) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return math.Hypot(p.x-a.x, p.y-a.y)
	}
	t := ((p.x-a.x)*dx + (p.y-a.y)*dy) / l2
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(p.x-(a.x+t*dx), p.y-(a.y+t*dy))
}

func round(v float64, prec int) float64 {
	m := math.Pow(10, float64(prec))
	return math.Round(v*m) / m
}

// arcPoints returns the simplified points of one arc reference, rounded.
func arcPoints(a *arc, rev bool, prec int) []pt {
	out := make([]pt, len(a.simple))
	for i, q := range a.simple {
		j := i
		if rev {
			j = len(a.simple) - 1 - i
		}
		out[j] = pt{round(q.x, prec), round(q.y, prec)}
	}
	return out
}

// assemble joins the ring's arcs into one closed ring (without repeating the first point),
// dropping consecutive duplicates left by rounding.
func (r *ring) assemble(arcs []*arc, prec int) []pt {
	var out []pt
	for _, ref := range r.arcs {
		for _, q := range arcPoints(arcs[ref.id], ref.rev, prec) {
			if n := len(out); n > 0 && out[n-1] == q {
				continue
			}
			out = append(out, q)
		}
	}
	for len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	return out
}

func polyArea(p []pt) float64 {
	a, _, _ := areaCentroid(p)
	return a
}

// areaCentroid returns the absolute area and the centroid of a ring (first point not repeated).
func areaCentroid(p []pt) (area, cx, cy float64) {
	var a2, sx, sy float64
	n := len(p)
	for i := range n {
		q, r := p[i], p[(i+1)%n]
		c := q.x*r.y - r.x*q.y
		a2 += c
		sx += (q.x + r.x) * c
		sy += (q.y + r.y) * c
	}
	if a2 == 0 {
		for _, q := range p {
			cx += q.x / float64(n)
			cy += q.y / float64(n)
		}
		return 0, cx, cy
	}
	return math.Abs(a2 / 2), sx / (3 * a2), sy / (3 * a2)
}

func span(p []pt) float64 {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, q := range p {
		x0, y0 = math.Min(x0, q.x), math.Min(y0, q.y)
		x1, y1 = math.Max(x1, q.x), math.Max(y1, q.y)
	}
	return math.Max(x1-x0, y1-y0)
}

func diamond(cx, cy float64, prec int) []pt {
	cx, cy = round(cx, prec), round(cy, prec)
	return []pt{{cx, cy - markRadius}, {cx + markRadius, cy}, {cx, cy + markRadius}, {cx - markRadius, cy}}
}

// writeRing writes a closed subpath: an absolute move, relative lines, close.
func writeRing(b *strings.Builder, p []pt, prec int) {
	writeLine(b, p, prec)
	b.WriteByte('z')
}

// writeLine writes an open subpath.
func writeLine(b *strings.Builder, p []pt, prec int) {
	b.WriteByte('M')
	writeNum(b, p[0].x, prec, true)
	writeNum(b, p[0].y, prec, false)
	if len(p) > 1 {
		b.WriteByte('l')
		for i := 1; i < len(p); i++ {
			writeNum(b, p[i].x-p[i-1].x, prec, i == 1)
			writeNum(b, p[i].y-p[i-1].y, prec, false)
		}
	}
}

// writeNum writes a number, preceded by a space unless it is first after a command letter or
// negative (the minus sign separates it).
func writeNum(b *strings.Builder, v float64, prec int, first bool) {
	v = round(v, prec)
	if v == 0 {
		v = 0 // no "-0"
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if prec == 0 {
		s = strconv.FormatInt(int64(v), 10)
	}
	if !first && s[0] != '-' {
		b.WriteByte(' ')
	}
	b.WriteString(s)
}

// writeOutline writes the parts of the ring's boundary that are not shared with another ring:
// the coast and the national land border.
func writeOutline(b *strings.Builder, r *ring, arcs []*arc, prec int) {
	n := len(r.arcs)
	if !r.shared {
		pts := r.assemble(arcs, prec)
		if len(pts) >= 3 {
			writeRing(b, pts, prec)
		}
		return
	}
	// Start after a shared arc so runs are not cut at the ring's start.
	start := 0
	for i, ref := range r.arcs {
		if arcs[ref.id].owners > 1 {
			start = (i + 1) % n
			break
		}
	}
	var run []pt
	flush := func() {
		if len(run) >= 2 {
			writeLine(b, run, prec)
		}
		run = run[:0]
	}
	for i := range n {
		ref := r.arcs[(start+i)%n]
		if arcs[ref.id].owners > 1 {
			flush()
			continue
		}
		for _, q := range arcPoints(arcs[ref.id], ref.rev, prec) {
			if m := len(run); m > 0 && run[m-1] == q {
				continue
			}
			run = append(run, q)
		}
	}
	flush()
}

type provinceOut struct {
	Code string `json:"code"`
	Name string `json:"name"`
	D    string `json:"d"`
}

type archipelagoOut struct {
	Code    string     `json:"code"`
	Name    string     `json:"name"`
	Islands int        `json:"islands"`
	Frame   [4]float64 `json:"frame"` // x, y, width, height
	Label   [2]float64 `json:"label"`
	Anchor  string     `json:"anchor"`
}

type output struct {
	Source       string           `json:"source"`
	Projection   string           `json:"projection"`
	Tolerance    float64          `json:"tolerance"`
	Width        int              `json:"width"`
	Height       int              `json:"height"`
	Legend       [2]float64       `json:"legend"`
	Archipelagos []archipelagoOut `json:"archipelagos"`
	Provinces    []provinceOut    `json:"provinces"`
	Outline      string           `json:"outline"`
}

// marshal writes one province per line so that a regenerated file diffs readably.
func (o output) marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := func(v any) error {
		var e bytes.Buffer
		en := json.NewEncoder(&e)
		en.SetEscapeHTML(false)
		if err := en.Encode(v); err != nil {
			return err
		}
		b.Write(bytes.TrimSuffix(e.Bytes(), []byte("\n")))
		return nil
	}
	field := func(name string, v any, last bool) error {
		fmt.Fprintf(&b, "%q: ", name)
		if err := enc(v); err != nil {
			return err
		}
		if !last {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		return nil
	}
	b.WriteString("{\n")
	err := errors.Join(
		field("source", o.Source, false),
		field("projection", o.Projection, false),
		field("tolerance", o.Tolerance, false),
		field("width", o.Width, false),
		field("height", o.Height, false),
		field("legend", o.Legend, false),
	)
	if err != nil {
		return nil, err
	}
	b.WriteString("\"archipelagos\": [\n")
	for i, a := range o.Archipelagos {
		if err := enc(a); err != nil {
			return nil, err
		}
		if i < len(o.Archipelagos)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("],\n\"provinces\": [\n")
	for i, p := range o.Provinces {
		if err := enc(p); err != nil {
			return nil, err
		}
		if i < len(o.Provinces)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("],\n")
	if err := field("outline", o.Outline, true); err != nil {
		return nil, err
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}
