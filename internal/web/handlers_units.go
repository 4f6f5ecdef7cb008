package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"treem/internal/errs"
	"treem/internal/geo"
)

// unitJSON is a unit as the API shows it.
type unitJSON struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	NameEn     string `json:"name_en"`
	FullName   string `json:"full_name"`
	FullNameEn string `json:"full_name_en"`
	Level      string `json:"level"`
	Type       string `json:"type"`
	Province   string `json:"province"`
}

func toUnitJSON(u geo.Unit) unitJSON {
	return unitJSON{Code: u.Code, Name: u.Name, NameEn: u.NameEn, FullName: u.FullName, FullNameEn: u.FullNameEn,
		Level: string(u.Level), Type: u.Type, Province: u.Province}
}

// unitQuery reads and checks the filters of a unit search.
func (s *Server) unitQuery(r *http.Request) (geo.Query, error) {
	q := r.URL.Query()
	v := errs.Validation()
	gq := geo.Query{Text: q.Get("q"), Province: q.Get("province")}
	switch lv := q.Get("level"); lv {
	case "", "province", "commune":
		gq.Level = geo.Level(lv)
	default:
		v.Field("level", "units.level_invalid")
	}
	if gq.Province != "" {
		if u, ok := s.Units.Get(gq.Province); !ok || u.Level != geo.LevelProvince {
			v.Field("province", "unit.unknown_province").With("code", gq.Province)
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			v.Field("limit", "list.limit_range", "max", 100)
		}
		gq.Limit = n
	}
	if len(gq.Text) > 200 {
		v.Field("q", "search.too_long")
	}
	return gq, v.OrNil()
}

func (s *Server) listUnits() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gq, err := s.unitQuery(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// Units are the same for everyone and never change while running:
		// a unit picker's keystrokes are answered from encoded answers.
		key := string(gq.Level) + "\x00" + gq.Province + "\x00" + strconv.Itoa(gq.Limit) + "\x00" + gq.Text
		if body, ok := s.unitCache.get(key); ok {
			writeEncoded(w, body)
			return
		}
		hits, total := s.Units.Search(gq)
		out := make([]unitJSON, len(hits))
		for i, u := range hits {
			out[i] = toUnitJSON(u)
		}
		body, err := json.Marshal(envelope{"data": out, "total": total, "next": ""})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		body = append(body, '\n')
		s.unitCache.put(key, body)
		writeEncoded(w, body)
	})
}

func writeEncoded(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// answerCache keeps encoded answers of read-only reference data, bounded:
// when full it starts again (cheaper and simpler than an LRU, and the
// popular answers are back after a few requests).
type answerCache struct {
	mu sync.RWMutex
	m  map[string][]byte
}

const answerCacheSize = 4096

func (c *answerCache) get(key string) ([]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.m[key]
	return b, ok
}

func (c *answerCache) put(key string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= answerCacheSize {
		c.m = make(map[string][]byte, 256)
	}
	c.m[key] = body
}

func (s *Server) getUnit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := r.PathValue("code")
		u, ok := s.Units.Get(code)
		if !ok {
			s.fail(w, r, errs.NotFoundKey("unit.unknown").With("code", code))
			return
		}
		out := map[string]any{"unit": toUnitJSON(u)}
		if u.Level == geo.LevelCommune {
			p, _ := s.Units.Get(u.Province)
			out["province_unit"] = toUnitJSON(p)
		} else {
			out["communes"] = len(s.Units.Communes(u.Code))
		}
		var preds []map[string]any
		for _, p := range s.Units.Predecessors(code) {
			preds = append(preds, map[string]any{"code": p.Code, "name": p.Name, "partial": p.Partial})
		}
		out["predecessors"] = preds
		s.data(w, http.StatusOK, out)
	})
}

// resolveOld maps a pre-July-2025 code to today's unit or units.
func (s *Server) resolveOld() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := strings.TrimSpace(r.PathValue("oldCode"))
		succ, ok := s.Units.ResolveOld(code)
		if !ok {
			s.fail(w, r, errs.NotFoundKey("unit.old_unknown").With("code", code))
			return
		}
		name, _ := s.Units.OldName(code)
		out := make([]map[string]any, len(succ))
		for i, u := range succ {
			out[i] = map[string]any{"code": u.Code, "name": u.Name, "full_name": u.FullName, "level": u.Level,
				"province": u.Province, "partial": u.Partial}
		}
		s.data(w, http.StatusOK, map[string]any{"old_code": code, "old_name": name, "units": out})
	})
}

func (s *Server) unitsPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gq, err := s.unitQuery(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		gq.Limit = 100
		hits, total := s.Units.Search(gq)
		s.render(w, r, http.StatusOK, "units", "units.title", map[string]any{
			"Q": gq.Text, "Province": gq.Province, "Level": string(gq.Level), "Units": hits, "Total": total,
			"Provinces": s.Units.Provinces(),
			"ProvinceName": func(code string) string {
				u, _ := s.Units.Get(code)
				return u.Name
			},
		}, nil)
	})
}
