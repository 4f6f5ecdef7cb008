package maps

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

// provincesJSON is written by ./internal/gen (go generate); do not edit it by hand.
//
//go:embed data/provinces.json
var provincesJSON []byte

// mapData is the decoded data/provinces.json. Coordinates are viewBox units.
type mapData struct {
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	Legend       [2]int `json:"legend"` // top-left corner of the legend
	Archipelagos []struct {
		Code    string     `json:"code"`
		Name    string     `json:"name"`
		Islands int        `json:"islands"`
		Frame   [4]float64 `json:"frame"` // x, y, width, height
		Label   [2]float64 `json:"label"` // anchor of the label's last line
		Anchor  string     `json:"anchor"`
	} `json:"archipelagos"`
	Provinces []struct {
		Code string `json:"code"`
		Name string `json:"name"` // Vietnamese
		D    string `json:"d"`    // SVG path data
	} `json:"provinces"`
	Outline string `json:"outline"` // coast and national border, path data

	index map[string]int // code → position in Provinces
	size  int            // bytes of path data, to size the output buffer
}

var geometry = sync.OnceValues(func() (*mapData, error) {
	var g mapData
	if err := json.Unmarshal(provincesJSON, &g); err != nil {
		return nil, fmt.Errorf("maps: embedded data: %w", err)
	}
	if len(g.Archipelagos) != 2 || g.Width <= 0 || g.Height <= 0 {
		return nil, fmt.Errorf("maps: embedded data is incomplete")
	}
	g.index = make(map[string]int, len(g.Provinces))
	g.size = len(g.Outline)
	for i, p := range g.Provinces {
		g.index[p.Code] = i
		g.size += len(p.D)
	}
	return &g, nil
})
