package ident

// Sex is a person's sex as recorded. The zero value is unknown.
type Sex uint8

// Sexes.
const (
	SexUnknown Sex = iota
	Male
	Female
)

// sexWords are the folded words (see key) people write for each sex, in
// Vietnamese and English. Digits are left out on purpose: forms disagree on
// whether 1 is male or female, and a guess would silently corrupt records.
var sexWords = map[string]Sex{
	"nam": Male, "male": Male, "m": Male, "trai": Male, "betrai": Male, "contrai": Male, "boy": Male,
	"nu": Female, "female": Female, "f": Female, "gai": Female, "begai": Female, "congai": Female, "girl": Female,
	"unknown": SexUnknown, "khongro": SexUnknown, "khongbiet": SexUnknown,
}

// ParseSex reads a sex, ignoring case, diacritics and punctuation: "Nam",
// "male", "M" are Male; "Nữ", "nu", "female", "F" are Female. Empty input and
// "không rõ" (unknown) give SexUnknown without error. Anything else, digits
// included, is ErrSex.
func ParseSex(s string) (Sex, error) {
	k := key(s)
	if k == "" {
		return SexUnknown, nil
	}
	if x, ok := sexWords[k]; ok {
		return x, nil
	}
	return SexUnknown, ErrSex
}

// String returns "male", "female", or "" when unknown: the API's codes.
func (s Sex) String() string {
	switch s {
	case Male:
		return "male"
	case Female:
		return "female"
	}
	return ""
}

// MarshalText writes the API code, so Sex fields appear in JSON as
// "male", "female" or "".
func (s Sex) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads anything ParseSex accepts.
func (s *Sex) UnmarshalText(b []byte) error {
	v, err := ParseSex(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// word describes s as a child: "a girl", "a boy", "a child".
func (s Sex) word() string {
	switch s {
	case Male:
		return "a boy"
	case Female:
		return "a girl"
	}
	return "a child"
}
