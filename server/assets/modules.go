package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"regexp"
	"strings"
)

// staticImport finds the relative static imports of an ES module: `import … from './x.js'`
// and `import './x.js'`. The pages' scripts are written that way (no bundler), so the whole
// graph of a page is known before a browser asks for it.
var staticImport = regexp.MustCompile(`(?m)^\s*import\s+(?:[^'";]*?\s+from\s+)?['"](\.{1,2}/[^'"]+)['"]`)

// Modules lists the addresses of every module the module name imports, directly or not,
// in a stable order (breadth first, then by first appearance). A page names them in
// <link rel="modulepreload">, so a phone asks for all of them at once instead of discovering
// them one import level per round trip — on a 400 ms link, three levels cost more than the
// bytes. The addresses are those the imports resolve to (with the hash versionImports
// wrote into them): a preload only helps when it is the very URL the import asks for.
func (s *Set) Modules(name string) []string {
	seen := map[string]bool{name: true}
	queue := []string{name}
	var out []string
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		f, ok := s.files[cur]
		if !ok {
			continue
		}
		for _, m := range staticImport.FindAllSubmatch(f.body, -1) {
			spec := string(m[1])
			dep := path.Join(path.Dir(cur), unversioned(spec))
			if seen[dep] || !s.Has(dep) {
				continue
			}
			seen[dep] = true
			queue = append(queue, dep)
			addr := s.Path(dep)
			if _, query, ok := strings.Cut(spec, "?"); ok {
				addr += "?" + query
			}
			out = append(out, addr)
		}
	}
	return out
}

// unversioned drops the ?v= a rewritten import carries.
func unversioned(spec string) string {
	p, _, _ := strings.Cut(spec, "?")
	return p
}

// versionImports writes each relative import of a script as the imported file's hashed
// address (`from './util.js'` becomes `from './util.js?v=1a2b3c4d5e6f'`), deepest files
// first, so that a script's hash changes whenever anything it imports changes. Every module
// is then cacheable for a year like the page's entry script: a phone that comes back (a tab
// the phone threw away, the afternoon session) asks the server for none of them, where
// bare addresses cost a revalidation each.
func (s *Set) versionImports() {
	versioned := map[string]bool{} // done: whether the file's imports carry hashes
	visiting := map[string]bool{}
	var visit func(name string) bool
	visit = func(name string) bool {
		if ok, done := versioned[name]; done {
			return ok
		}
		if visiting[name] {
			return false
		}
		visiting[name] = true
		f := s.files[name]
		ok := true
		body := staticImport.ReplaceAllFunc(f.body, func(stmt []byte) []byte {
			m := staticImport.FindSubmatchIndex(stmt)
			dep := path.Join(path.Dir(name), string(stmt[m[2]:m[3]]))
			if !strings.HasSuffix(dep, ".js") || !s.Has(dep) {
				return stmt
			}
			if !visit(dep) {
				ok = false
				return stmt
			}
			out := append([]byte{}, stmt[:m[3]]...)
			out = append(out, "?v="+s.files[dep].hash...)
			return append(out, stmt[m[3]:]...)
		})
		// A file that reaches a cycle keeps its bare imports altogether, and so does every
		// file that imports it: each module then has one address, never two (two addresses
		// would make two instances of it).
		if ok {
			sum := sha256.Sum256(body)
			f.body, f.hash = body, hex.EncodeToString(sum[:6])
		}
		versioned[name] = ok
		return ok
	}
	for name := range s.files {
		if strings.HasSuffix(name, ".js") {
			visit(name)
		}
	}
}
