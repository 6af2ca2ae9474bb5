package main

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// commandsWithFlags are the commands whose flags docs/operations.md lists; backup and restore
// are asked too (a command that does not exist answers with the common flags).
var commandsWithFlags = [][]string{{"serve"}, {"migrate"}, {"demo"}, {"admin", "link"}, {"admin", "invite"}, {"backup"}, {"restore"}}

// TestOperationsDocumentsEveryFlagAndVariable: the table in docs/operations.md ("Configure")
// names every flag of every command and every environment variable the binary reads, and
// nothing that no longer exists.
func TestOperationsDocumentsEveryFlagAndVariable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (`-[a-z0-9-]+`|—) \\| (`[A-Z_]+`|—) \\|")
	docFlags, docVars := map[string]bool{}, map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		if m[1] != "—" {
			docFlags[strings.Trim(m[1], "`")] = true
		}
		if m[2] != "—" {
			docVars[strings.Trim(m[2], "`")] = true
		}
	}
	if len(docFlags) < 10 {
		t.Fatalf("found %d flags in the table of docs/operations.md, want them all", len(docFlags))
	}

	flags := map[string]bool{}
	usage := regexp.MustCompile(`(?m)^  (-[a-z0-9-]+)`)
	for _, cmd := range commandsWithFlags {
		var out strings.Builder
		run(context.Background(), append(append([]string{}, cmd...), "-h"), &out, &out)
		found := usage.FindAllStringSubmatch(out.String(), -1)
		if len(found) == 0 {
			t.Errorf("assises %s -h printed no flags:\n%s", strings.Join(cmd, " "), out.String())
		}
		for _, m := range found {
			flags[m[1]] = true
			if !docFlags[m[1]] {
				t.Errorf("flag %s of assises %s is not in the table of docs/operations.md", m[1], strings.Join(cmd, " "))
			}
		}
	}
	for f := range docFlags {
		if !flags[f] {
			t.Errorf("docs/operations.md lists %s, which no command has", f)
		}
	}

	vars := variablesRead(t)
	for v := range vars {
		if !docVars[v] {
			t.Errorf("variable %s is read by the binary but not in the table of docs/operations.md", v)
		}
	}
	for v := range docVars {
		if !vars[v] {
			t.Errorf("docs/operations.md lists %s, which the binary does not read", v)
		}
	}
}

// variablesRead finds the environment variables this package names: every string literal
// that looks like one (ASSISES_… or DATABASE_URL) in its non-test files.
func variablesRead(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^(ASSISES_[A-Z0-9_]+|DATABASE_URL)$`)
	vars := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && name.MatchString(s) {
					vars[s] = true
				}
			}
			return true
		})
	}
	if len(vars) < 5 {
		t.Fatalf("found %d variables in the code, want them all", len(vars))
	}
	return vars
}
