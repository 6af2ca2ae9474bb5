package assets

import (
	"path"
	"regexp"
)

// staticImport finds the relative static imports of an ES module: `import … from './x.js'`
// and `import './x.js'`. The pages' scripts are written that way (no bundler), so the whole
// graph of a page is known before a browser asks for it.
var staticImport = regexp.MustCompile(`(?m)^\s*import\s+(?:[^'";]*?\s+from\s+)?['"](\.{1,2}/[^'"]+)['"]`)

// Modules lists the addresses of every module the module name imports, directly or not,
// in a stable order (breadth first, then by first appearance). A page names them in
// <link rel="modulepreload">, so a phone asks for all of them at once instead of discovering
// them one import level per round trip — on a 400 ms link, three levels cost more than the
// bytes. The addresses are those the imports resolve to (no hash): a preload only helps
// when it is the very URL the import asks for.
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
			dep := path.Join(path.Dir(cur), string(m[1]))
			if seen[dep] || !s.Has(dep) {
				continue
			}
			seen[dep] = true
			queue = append(queue, dep)
			out = append(out, s.Path(dep))
		}
	}
	return out
}
