package backup

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// pgTarget is a PostgreSQL URL as libpq's tools take it: without the password (it goes in
// PGPASSWORD, not in the process list) and without search_path, a parameter of our driver
// that libpq refuses (it becomes --schema).
type pgTarget struct {
	uri      string
	schema   string
	password string
}

func parsePG(dsn string) (pgTarget, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return pgTarget{}, fmt.Errorf("backup: database URL: %w", err)
	}
	var t pgTarget
	if u.User != nil {
		t.password, _ = u.User.Password()
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	t.schema = q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	t.uri = u.String()
	return t, nil
}

// run runs a PostgreSQL tool with the password in its environment; ok is false when the tool
// is not on the PATH.
func (t pgTarget) run(ctx context.Context, tool string, args ...string) (ok bool, err error) {
	path, err := exec.LookPath(tool)
	if err != nil {
		return false, nil
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = os.Environ()
	if t.password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+t.password)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return true, fmt.Errorf("%s: %w\n%s", tool, err, strings.TrimSpace(string(out)))
	}
	return true, nil
}

// printed is a command line an administrator can paste, with the password left out.
func (t pgTarget) printed(tool string, args ...string) string {
	var b strings.Builder
	if t.password != "" {
		b.WriteString("PGPASSWORD='…' ")
	}
	b.WriteString(tool)
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=./:@,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// backupPostgres runs pg_dump in its custom format (compressed, restorable table by table,
// consistent: one repeatable-read snapshot) into a temporary file renamed to file when whole.
func backupPostgres(ctx context.Context, dsn, file string, opts Options) error {
	t, err := parsePG(dsn)
	if err != nil {
		return err
	}
	if _, err := os.Stat(file); err == nil {
		return fmt.Errorf("backup: %s exists already; choose a new name (a backup never overwrites)", file)
	}
	args := func(out string) []string {
		a := []string{"--format=custom", "--no-owner", "--no-privileges", "--file=" + out}
		if t.schema != "" {
			a = append(a, "--schema="+t.schema)
		}
		return append(a, t.uri)
	}
	tmp := filepath.Join(filepath.Dir(file), "."+filepath.Base(file)+".partial")
	defer os.Remove(tmp)
	ok, err := t.run(ctx, "pg_dump", args(tmp)...)
	if !ok {
		fmt.Fprintf(opts.Out, "pg_dump is not on the PATH. Run this (PostgreSQL's client tools, the server's major version or newer):\n\n  %s\n", t.printed("pg_dump", args(file)...))
		return ErrManual
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(opts.Out, "Backup written to %s (pg_dump, custom format).\n", file)
	return nil
}

// restorePostgres runs pg_restore in one transaction, dropping what the dump recreates, then
// migrates and draws new log epochs.
func restorePostgres(ctx context.Context, dsn, file string, opts Options) error {
	t, err := parsePG(dsn)
	if err != nil {
		return err
	}
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	args := []string{"--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--dbname=" + t.uri, file}
	ok, err := t.run(ctx, "pg_restore", args...)
	if !ok {
		fmt.Fprintf(opts.Out, "pg_restore is not on the PATH. With every Assises server stopped, run:\n\n  %s\n\nthen give the workshops new log epochs:\n\n  assises restore -renew-epochs\n", t.printed("pg_restore", args...))
		return ErrManual
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(opts.Out, "Restored %s with pg_restore.\n", file)
	return RenewEpochs(ctx, dsn, opts)
}
