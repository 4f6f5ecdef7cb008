package synth

import (
	"math/rand/v2"
	"strconv"
	"sync"

	"treem/internal/geo"
)

// province describes one of the 34 current provinces for the generator:
// how many people live there and who they are.
type province struct {
	code   string
	pop    int    // inhabitants in thousands, 2024 estimates summed over the merged provinces
	region region // where Kinh family names follow the northern or the southern pattern
	// ethnic is the mix of ethnic groups (1979 codes, as in ident) in percent;
	// Kinh takes what the list leaves. Shares are rounded census (2019)
	// figures of the old provinces, weighted by their population.
	ethnic []share
}

type share struct {
	code string
	pct  float64
}

type region uint8

const (
	north region = iota
	centre
	south
)

// provinces lists the current provinces (Nghị quyết 202/2025/QH15) with the
// rough population and ethnic mix the generator needs. Figures are rounded
// from the 2019 census and the General Statistics Office's 2024 estimates:
// close enough to put HMông children in Lai Châu and Khmer children in Cần
// Thơ, not a statistical source.
var provinces = []province{
	{"01", 8700, north, []share{{"06", 0.6}, {"02", 0.2}, {"03", 0.1}}},
	{"04", 550, north, []share{{"02", 40}, {"07", 30}, {"08", 10}, {"09", 10}, {"15", 1}}},
	{"08", 1900, north, []share{{"08", 30}, {"02", 25}, {"09", 12}, {"07", 5}, {"15", 3}, {"25", 1}}},
	{"11", 650, north, []share{{"03", 38}, {"08", 36}, {"29", 3}, {"09", 1}, {"35", 1}}},
	{"12", 490, north, []share{{"08", 40}, {"03", 32}, {"09", 13}, {"35", 3}, {"25", 1}}},
	{"14", 1300, north, []share{{"03", 53}, {"08", 16}, {"06", 8}, {"29", 2}, {"09", 2}}},
	{"15", 1800, north, []share{{"08", 22}, {"02", 13}, {"09", 12}, {"03", 5}, {"07", 3}, {"25", 2}}},
	{"19", 1700, north, []share{{"02", 20}, {"07", 6}, {"09", 4}, {"15", 3}, {"08", 2}, {"18", 1}}},
	{"20", 800, north, []share{{"07", 42}, {"02", 35}, {"09", 4}, {"04", 0.5}}},
	{"22", 1400, north, []share{{"09", 5}, {"02", 3}, {"18", 2}, {"15", 1}, {"04", 1}}},
	{"24", 3600, north, []share{{"07", 3}, {"02", 2}, {"18", 2}, {"15", 1}, {"04", 0.5}}},
	{"25", 4100, north, []share{{"06", 20}, {"09", 2}, {"03", 2}, {"02", 1}, {"18", 0.5}}},
	{"31", 4700, north, []share{{"04", 0.2}}},
	{"33", 3600, north, nil},
	{"37", 4400, north, []share{{"06", 2}}},
	{"38", 4300, north, []share{{"06", 9}, {"03", 6}, {"08", 0.5}}},
	{"40", 3800, centre, []share{{"03", 10}, {"29", 1.5}, {"08", 1}}},
	{"42", 1600, centre, nil},
	{"44", 1900, centre, []share{{"23", 5}, {"31", 1}}},
	{"46", 1400, centre, []share{{"31", 2}, {"26", 1}, {"23", 0.5}}},
	{"48", 3100, centre, []share{{"26", 3}, {"14", 1}, {"27", 1}, {"30", 0.5}}},
	{"51", 2200, centre, []share{{"14", 12}, {"19", 11}, {"13", 7}, {"27", 3}, {"30", 2}}},
	{"52", 3600, centre, []share{{"10", 19}, {"13", 9}, {"17", 0.2}}},
	{"56", 2200, south, []share{{"21", 8}, {"17", 7}, {"16", 1}}},
	{"66", 3300, centre, []share{{"12", 17}, {"20", 2}, {"07", 2}, {"02", 2}, {"10", 1}, {"08", 1}}},
	{"68", 3900, south, []share{{"16", 7}, {"20", 3}, {"28", 2}, {"17", 2}, {"07", 2}, {"02", 2}, {"36", 1}, {"21", 1}}},
	{"75", 4500, south, []share{{"22", 3}, {"04", 3}, {"07", 1.5}, {"05", 1}, {"32", 0.5}}},
	{"79", 14000, south, []share{{"04", 5}, {"05", 1}, {"17", 0.5}}},
	{"80", 3300, south, []share{{"05", 0.5}, {"17", 0.3}}},
	{"82", 4400, south, []share{{"04", 0.3}}},
	{"86", 4300, south, []share{{"05", 11}, {"04", 1}}},
	{"91", 4900, south, []share{{"05", 9}, {"04", 1.5}, {"17", 0.5}}},
	{"92", 4200, south, []share{{"05", 20}, {"04", 4}}},
	{"96", 2600, south, []share{{"05", 5}, {"04", 1}}},
}

// oldProvinceRanges are the 63 provinces before July 2025 with the span of
// their 5-digit commune codes, from shared/data/admin-units/old-to-new/
// splits.json. Personal ID numbers carry the old province code (with a
// leading 0), so a child's number is derived from the old province its
// commune was in. Hà Nội's span holds Hà Tây's codes; it is alone in the
// current Hà Nội, so the overlap does no harm.
var oldProvinceRanges = []struct {
	code     string
	from, to int
}{
	{"01", 1, 10504}, {"02", 688, 1264}, {"04", 1267, 1831}, {"06", 1834, 2197}, {"08", 2200, 2632},
	{"10", 2635, 3121}, {"11", 3124, 3385}, {"12", 3386, 3643}, {"14", 3646, 4246}, {"15", 4249, 4786},
	{"17", 4789, 5428}, {"19", 5431, 5968}, {"20", 5971, 6646}, {"22", 6649, 7198}, {"24", 7201, 7885},
	{"25", 7888, 8701}, {"26", 8707, 9157}, {"27", 9163, 9535}, {"30", 10507, 11293}, {"31", 11296, 11947},
	{"33", 11950, 12430}, {"34", 12433, 13282}, {"35", 13285, 13630}, {"36", 13636, 14317}, {"37", 14320, 14752},
	{"38", 14755, 16660}, {"40", 16663, 18064}, {"42", 18073, 18850}, {"44", 18853, 19327}, {"45", 19330, 19741},
	{"46", 19750, 20191}, {"48", 20194, 20332}, {"49", 20335, 21007}, {"51", 21010, 21538}, {"52", 21550, 22012},
	{"54", 22015, 22324}, {"56", 22327, 22739}, {"58", 22738, 22912}, {"60", 22915, 23278}, {"62", 23281, 23554},
	{"64", 23557, 24115}, {"66", 24118, 24610}, {"67", 24611, 24766}, {"68", 24769, 25192}, {"70", 25195, 25453},
	{"72", 25456, 25738}, {"74", 25741, 25990}, {"75", 25993, 26503}, {"77", 26506, 26731}, {"79", 26734, 27682},
	{"80", 27685, 28246}, {"82", 28249, 28753}, {"83", 28756, 29233}, {"84", 29236, 29539}, {"86", 29542, 29860},
	{"87", 29869, 30277}, {"89", 30280, 30727}, {"91", 30733, 31115}, {"92", 31117, 31315}, {"93", 31318, 31495},
	{"94", 31498, 31810}, {"95", 31813, 31996}, {"96", 31999, 32248},
}

// commune is a current commune with what the generator derives from it.
type commune struct {
	code     string
	typ      string
	prov     int      // index into provinces
	pos      int      // position among its province's communes, in code order
	oldCodes []string // the old communes it absorbed (pre-July-2025 codes)
	pidProv  string   // the 3-digit personal-ID province code of its main old province
	ethnic   *alias   // ethnic group picker for children living here
	ethCodes []string
}

// places holds the tables derived from geo once per process.
type places struct {
	communes   []commune
	byProvince [][]int // commune indexes per province, in code order
	pick       *alias  // commune picker weighted by where children live
	index      map[string]int
	pidProvs   []string
}

var (
	placesOnce sync.Once
	thePlaces  *places
)

// typeWeight is how many more children an urban ward holds than an average
// rural commune of the same province: wards are smaller in area but far
// denser. Special zones (islands) are small.
var typeWeight = map[string]float64{
	geo.TypePhuong: 2.5,
	geo.TypeXa:     1,
	geo.TypeDacKhu: 0.3,
}

func loadPlaces() *places {
	placesOnce.Do(func() {
		u := geo.Default()
		p := &places{byProvince: make([][]int, len(provinces)), index: map[string]int{}}
		var weights []float64
		for pi, pr := range provinces {
			cs := u.Communes(pr.code)
			sum := 0.0
			for _, c := range cs {
				sum += typeWeight[c.Type]
			}
			for ci, c := range cs {
				cm := commune{code: c.Code, typ: c.Type, prov: pi, pos: ci}
				for _, pd := range u.Predecessors(c.Code) {
					if len(pd.Code) == 5 {
						cm.oldCodes = append(cm.oldCodes, pd.Code)
					}
				}
				cm.pidProv = pidProvinceOf(cm.oldCodes, u.Predecessors(pr.code))
				cm.ethnic, cm.ethCodes = ethnicPicker(pr.ethnic, c.Type == geo.TypePhuong)
				p.index[c.Code] = len(p.communes)
				p.byProvince[pi] = append(p.byProvince[pi], len(p.communes))
				p.communes = append(p.communes, cm)
				weights = append(weights, float64(pr.pop)*typeWeight[c.Type]/sum)
			}
		}
		p.pick = newAlias(weights)
		for _, r := range oldProvinceRanges {
			p.pidProvs = append(p.pidProvs, "0"+r.code)
		}
		thePlaces = p
	})
	return thePlaces
}

// pidProvinceOf finds the old province whose commune codes hold the first
// old commune, among the old provinces the current province absorbed.
func pidProvinceOf(oldCommunes []string, oldProvinces []geo.Predecessor) string {
	if len(oldProvinces) == 0 {
		return "001"
	}
	if len(oldCommunes) > 0 {
		n, _ := strconv.Atoi(oldCommunes[0])
		for _, op := range oldProvinces {
			for _, r := range oldProvinceRanges {
				if r.code == op.Code && n >= r.from && n <= r.to {
					return "0" + r.code
				}
			}
		}
	}
	return "0" + oldProvinces[0].Code
}

// ethnicPicker builds the ethnic mix of one commune: the province's, with
// minorities half as common in urban wards.
func ethnicPicker(mix []share, ward bool) (*alias, []string) {
	codes := []string{"01"}
	weights := []float64{0}
	rest := 100.0
	for _, s := range mix {
		pct := s.pct
		if ward {
			pct /= 2
		}
		codes = append(codes, s.code)
		weights = append(weights, pct)
		rest -= pct
	}
	weights[0] = max(rest, 1)
	return newAlias(weights), codes
}

// neighbour returns a commune near c: one a few places away in its
// province's code order. Codes run through the old districts, so near codes
// are usually near places; there is no adjacency data to do better.
func (p *places) neighbour(ci int, r *rand.Rand) int {
	c := p.communes[ci]
	list := p.byProvince[c.prov]
	if len(list) < 2 {
		return ci
	}
	for {
		d := 1 + r.IntN(3)
		if r.IntN(2) == 0 {
			d = -d
		}
		j := c.pos + d
		if j >= 0 && j < len(list) && list[j] != ci {
			return list[j]
		}
	}
}

// communeIndex finds a current commune by code; -1 if unknown.
func (p *places) communeIndex(code string) int {
	if i, ok := p.index[code]; ok {
		return i
	}
	return -1
}
