// Package pdftext reads a PDF back with poppler's tools, for the tests that check what the
// reader of a notebook's PDF finds in it: the text, and what pdfinfo says of the file.
package pdftext

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// Tool returns the path of a poppler tool (pdftotext, pdfinfo). Where it is missing the test
// is skipped on a developer's machine; under CI=true, where .ci/run installs poppler-utils, the test
// fails.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: under CI=true the PDF is read back (apt-get install poppler-utils)", name)
		}
		t.Skipf("%s is missing: PDF not read back (apt-get install poppler-utils)", name)
	}
	return path
}

// Available says whether pdftotext is there, for a test whose reading back of the PDF is one
// step among others: missing, the step is passed over, except under CI=true, where the test fails.
func Available(t testing.TB) bool {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext is missing: under CI=true the PDF is read back (apt-get install poppler-utils)")
		}
		return false
	}
	return true
}

// Text is pdftotext's text of pdf in UTF-8, with args (such as "-layout") before the file.
func Text(t testing.TB, pdf []byte, args ...string) string {
	t.Helper()
	args = append(append([]string{"-enc", "UTF-8"}, args...), write(t, pdf), "-")
	return string(run(t, Tool(t, "pdftotext"), args...))
}

var space = regexp.MustCompile(`\s+`)

// Words is the text of pdf with every run of white space made one space: pdftotext breaks
// lines where the page did, and a phrase is found only once they are joined.
func Words(t testing.TB, pdf []byte) string {
	t.Helper()
	return space.ReplaceAllString(Text(t, pdf), " ")
}

// Info is what pdfinfo says of pdf (its page count, among others).
func Info(t testing.TB, pdf []byte) string {
	t.Helper()
	return string(run(t, Tool(t, "pdfinfo"), write(t, pdf)))
}

func write(t testing.TB, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notebook.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t testing.TB, tool string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(tool, args...).Output()
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(tool), err)
	}
	return out
}
