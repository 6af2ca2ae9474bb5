//go:build !unix

package backup

// sqliteInUse cannot tell on this system: the administrator must stop the server first.
func sqliteInUse(string) (bool, error) { return false, nil }
