// Command testsum reads `go test -json` on its standard input and prints what a person needs:
// the output of every failed test, one line per package, how many tests ran on each database,
// and a closing line "N passed, N failed, N skipped". It exits non-zero when anything failed,
// including a package that did not build.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	os.Exit(summarise(os.Stdin, os.Stdout))
}

func summarise(in io.Reader, out io.Writer) int {
	var passed, failed, skipped int
	byDB := map[string]int{}
	outputs := map[string][]string{} // package/test → its output lines, kept until we know the verdict
	var pkgLines []string
	failedPkg := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Fprintln(out, string(line)) // build errors and anything else that is not JSON
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output", "build-output":
			outputs[key] = append(outputs[key], e.Output)
		case "build-fail":
			failedPkg = true
			fmt.Fprint(out, strings.Join(outputs[key], ""))
		case "pass", "fail", "skip":
			if e.Test == "" {
				verdict := strings.ToUpper(e.Action)
				if e.Action == "skip" {
					verdict = "----" // a package without tests
				}
				if e.Action == "fail" {
					failedPkg = true
					fmt.Fprint(out, strings.Join(outputs[key], ""))
				}
				pkgLines = append(pkgLines, fmt.Sprintf("%-4s %s (%.1fs)", verdict, e.Package, e.Elapsed))
				break
			}
			switch e.Action {
			case "pass":
				passed++
				for _, db := range []string{"sqlite", "postgres"} {
					if strings.HasSuffix(e.Test, "/"+db) || strings.Contains(e.Test, "/"+db+"/") {
						byDB[db]++
					}
				}
			case "fail":
				failed++
				fmt.Fprintf(out, "--- FAIL: %s %s\n%s", e.Package, e.Test, strings.Join(outputs[key], ""))
			case "skip":
				skipped++
				if strings.Contains(e.Test, "postgres") {
					fmt.Fprintf(out, "--- SKIP: %s %s\n%s", e.Package, e.Test, lastLines(outputs[key], 2))
				}
			}
			delete(outputs, key)
		}
	}
	sort.Strings(pkgLines)
	for _, l := range pkgLines {
		fmt.Fprintln(out, l)
	}
	fmt.Fprintf(out, "database subtests passed: sqlite %d, postgres %d\n", byDB["sqlite"], byDB["postgres"])
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || failedPkg {
		return 1
	}
	return 0
}

func lastLines(lines []string, n int) string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
