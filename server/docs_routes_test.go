package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"sort"
	"strconv"
	"testing"
)

// routerPatterns reads the patterns of every route registered in server/routes.go: the first
// argument of each mux.HandleFunc and mux.Handle call, read with go/ast so that a new route
// cannot be missed.
func routerPatterns(t *testing.T) []string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") || len(call.Args) == 0 {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			t.Errorf("a route registered with a pattern that is not a literal: %#v", call.Args[0])
			return true
		}
		p, _ := strconv.Unquote(lit.Value)
		patterns = append(patterns, p)
		return true
	})
	if len(patterns) < 10 {
		t.Fatalf("found %d routes in routes.go, want them all", len(patterns))
	}
	return patterns
}

// TestAPIDocumentsEveryRoute: every route of the router has its section in docs/api.md (a
// heading with the pattern as written in routes.go), and every section names a route.
func TestAPIDocumentsEveryRoute(t *testing.T) {
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^### `([^`]+)`$").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	routes := map[string]bool{}
	var missing []string
	for _, p := range routerPatterns(t) {
		routes[p] = true
		if !documented[p] {
			missing = append(missing, p)
		}
	}
	var unknown []string
	for p := range documented {
		if !routes[p] {
			unknown = append(unknown, p)
		}
	}
	sort.Strings(unknown)
	if len(missing) > 0 {
		t.Errorf("routes with no section (### `PATTERN`) in docs/api.md: %q", missing)
	}
	if len(unknown) > 0 {
		t.Errorf("sections of docs/api.md for routes the router does not have: %q", unknown)
	}
}
