//go:build !unix

package edge

// openFileLimit has no limit to read here: a conservative number stands for it.
func openFileLimit() int { return fallbackLimit }
