package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/assises/assises/frontend"
	"github.com/assises/assises/i18n"
)

// refusalCodes reads every string constant named Code… in a package's source: the refusal
// codes. Reading the source (not a hand-kept list) means a new code cannot be forgotten here.
func refusalCodes(t *testing.T, dir string) []string {
	t.Helper()
	codes := constCodes(t, dir)
	if len(codes) == 0 {
		t.Fatalf("no refusal codes found in %s", dir)
	}
	return codes
}

// constCodes is refusalCodes for a package that may define none.
func constCodes(t *testing.T, dir string) []string {
	t.Helper()
	var codes []string
	for _, file := range parseSources(t, token.NewFileSet(), dir) {
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						codes = append(codes, s)
					}
				}
			}
		}
	}
	return codes
}

// parseSources parses the Go files of a package directory, tests left out.
func parseSources(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
	}
	return files
}

// TestEveryRefusalIsTranslated: a participant must read every refusal in their own language.
func TestEveryRefusalIsTranslated(t *testing.T) {
	c, err := i18n.Load(frontend.Catalogs, "i18n")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"../hub", "../deliberation"} {
		for _, code := range refusalCodes(t, dir) {
			for _, lang := range i18n.Languages {
				if _, ok := c.Texts(lang)["err."+code]; !ok {
					t.Errorf("refusal %q (%s) has no err.%s in %s", code, dir, code, lang)
				}
			}
		}
	}
}
