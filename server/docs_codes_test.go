package server_test

import (
	"go/ast"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// codesInTable reads the codes of the table under a heading of a docs page: the first cell of
// each row, when it is one `code`.
func codesInTable(t *testing.T, page, heading string) []string {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no heading %q", page, heading)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var codes []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(section, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) == 0 {
		t.Fatalf("%s: no code in the table under %q", page, heading)
	}
	return codes
}

// packageDirs lists a directory and the directories under it that hold Go files.
func packageDirs(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			if dir := filepath.Dir(path); len(dirs) == 0 || dirs[len(dirs)-1] != dir {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// sourceCodes reads the refusal codes defined in the Go source under root (constants named
// Code…, see refusalCodes), in every package there.
func sourceCodes(t *testing.T, root string) []string {
	t.Helper()
	var codes []string
	for _, dir := range packageDirs(t, root) {
		codes = append(codes, constCodes(t, dir)...)
	}
	return codes
}

// compareCodes fails on a code of the source the docs do not name, and the reverse.
func compareCodes(t *testing.T, what string, source, docs []string) {
	t.Helper()
	inDocs, inSource := map[string]bool{}, map[string]bool{}
	for _, c := range docs {
		if inDocs[c] {
			t.Errorf("%s: the docs name %q twice", what, c)
		}
		inDocs[c] = true
	}
	for _, c := range source {
		inSource[c] = true
	}
	var missing, unknown []string
	for c := range inSource {
		if !inDocs[c] {
			missing = append(missing, c)
		}
	}
	for c := range inDocs {
		if !inSource[c] {
			unknown = append(unknown, c)
		}
	}
	sort.Strings(missing)
	sort.Strings(unknown)
	if len(missing) > 0 {
		t.Errorf("%s: codes the product can send that the docs do not name: %v", what, missing)
	}
	if len(unknown) > 0 {
		t.Errorf("%s: codes the docs name that the product never sends: %v", what, unknown)
	}
}

// TestDocsNameEveryRefusalCode: the refusal codes of the domain (deliberation and its
// packages) are exactly those in the table of docs/protocol-commands.md, and the hub's exactly
// those of docs/protocol.md. Each code is defined once: no code is defined on both sides.
func TestDocsNameEveryRefusalCode(t *testing.T) {
	domain, hub := sourceCodes(t, "../deliberation"), sourceCodes(t, "../hub")
	compareCodes(t, "domain vs docs/protocol-commands.md", domain, codesInTable(t, "../docs/protocol-commands.md", "## Refusal codes"))
	compareCodes(t, "hub vs docs/protocol.md", hub, codesInTable(t, "../docs/protocol.md", "## Refusal codes from the hub"))
	inHub := map[string]bool{}
	for _, c := range hub {
		inHub[c] = true
	}
	for _, c := range domain {
		if inHub[c] {
			t.Errorf("code %q is defined in the domain and in the hub: define it once, on the side that sends it", c)
		}
	}
}

// TestRefusalsUseTheirConstants: every refusal of the domain names its code by its constant, so
// that the constants above are all the codes there are.
func TestRefusalsUseTheirConstants(t *testing.T) {
	fset := token.NewFileSet()
	for _, dir := range packageDirs(t, "../deliberation") {
		for _, file := range parseSources(t, fset, dir) {
			ast.Inspect(file, func(n ast.Node) bool {
				var code ast.Expr
				switch n := n.(type) {
				case *ast.CallExpr:
					if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "refuse" && len(n.Args) > 0 {
						code = n.Args[0]
					}
				case *ast.KeyValueExpr:
					if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Code" {
						code = n.Value
					}
				}
				if lit, ok := code.(*ast.BasicLit); ok {
					t.Errorf("%s: a refusal code written as %s: use its Code… constant", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
		}
	}
}
