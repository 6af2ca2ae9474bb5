package notebook

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// SchemaJSON is the JSON Schema of the open data (served beside it, documented in
// docs/notebook-schema.md).
//
//go:embed schema.json
var SchemaJSON []byte

// schemaNode is the part of JSON Schema the notebook's schema uses: type (one or several),
// enum, properties, required, additionalProperties: false, items, $ref to #/$defs/…,
// minimum, maximum, pattern, and format date-time. A small validator for a schema we write
// ourselves keeps the dependencies at none.
type schemaNode struct {
	Ref                  string                 `json:"$ref"`
	Type                 any                    `json:"type"`
	Enum                 []any                  `json:"enum"`
	Properties           map[string]*schemaNode `json:"properties"`
	Required             []string               `json:"required"`
	AdditionalProperties *bool                  `json:"additionalProperties"`
	Items                *schemaNode            `json:"items"`
	Minimum              *float64               `json:"minimum"`
	Maximum              *float64               `json:"maximum"`
	Pattern              string                 `json:"pattern"`
	Format               string                 `json:"format"`
	Defs                 map[string]*schemaNode `json:"$defs"`
}

var schemaRoot = sync.OnceValues(func() (*schemaNode, error) {
	var root schemaNode
	if err := json.Unmarshal(SchemaJSON, &root); err != nil {
		return nil, fmt.Errorf("notebook: schema.json: %w", err)
	}
	return &root, nil
})

// Validate checks a JSON document against schema.json and returns the first few violations.
func Validate(doc []byte) error {
	root, err := schemaRoot()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("notebook: not JSON: %w", err)
	}
	var errs []string
	validate(root, root, v, "$", &errs)
	if len(errs) > 0 {
		if len(errs) > 10 {
			errs = append(errs[:10], fmt.Sprintf("… and %d more", len(errs)-10))
		}
		return fmt.Errorf("notebook: %s", strings.Join(errs, "; "))
	}
	return nil
}

var patterns sync.Map // pattern → *regexp.Regexp

func validate(root, s *schemaNode, v any, path string, errs *[]string) {
	fail := func(format string, args ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, args...)) }
	if s.Ref != "" {
		def, ok := root.Defs[strings.TrimPrefix(s.Ref, "#/$defs/")]
		if !ok {
			fail("unknown $ref %s", s.Ref)
			return
		}
		s = def
	}
	if !typeMatches(s.Type, v) {
		fail("type %s, want %v", jsonType(v), s.Type)
		return
	}
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			found = found || fmt.Sprint(e) == fmt.Sprint(v)
		}
		if !found {
			fail("%v is not one of %v", v, s.Enum)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range s.Required {
			if _, ok := x[k]; !ok {
				fail("lacks %q", k)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := s.Properties[k]; ok {
				validate(root, p, x[k], path+"."+k, errs)
			} else if s.AdditionalProperties != nil && !*s.AdditionalProperties {
				fail("has %q, which the schema does not know", k)
			}
		}
	case []any:
		if s.Items != nil {
			for i, item := range x {
				validate(root, s.Items, item, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
	case json.Number:
		f, _ := x.Float64()
		if s.Minimum != nil && f < *s.Minimum {
			fail("%v is below %v", f, *s.Minimum)
		}
		if s.Maximum != nil && f > *s.Maximum {
			fail("%v is above %v", f, *s.Maximum)
		}
	case string:
		if s.Pattern != "" {
			re, ok := patterns.Load(s.Pattern)
			if !ok {
				compiled, err := regexp.Compile(s.Pattern)
				if err != nil {
					fail("bad pattern %q", s.Pattern)
					return
				}
				re, _ = patterns.LoadOrStore(s.Pattern, compiled)
			}
			if !re.(*regexp.Regexp).MatchString(x) {
				fail("%q does not match %s", x, s.Pattern)
			}
		}
		if s.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339, x); err != nil {
				fail("%q is not a date-time", x)
			}
		}
	}
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	}
	return "unknown"
}

func typeMatches(want any, v any) bool {
	got := jsonType(v)
	ok := func(t string) bool { return t == got || (t == "number" && got == "integer") }
	switch w := want.(type) {
	case nil:
		return true
	case string:
		return ok(w)
	case []any:
		for _, t := range w {
			if s, _ := t.(string); ok(s) {
				return true
			}
		}
	}
	return false
}
