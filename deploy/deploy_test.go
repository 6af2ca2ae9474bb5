// Package deploy_test checks the packaging in this directory with the tools that read it:
// Caddy validates the Caddyfile, systemd verifies the unit and scores its sandbox, Docker
// builds the image when an engine is reachable (the test says why when it is not).
package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCaddyfileValidates(t *testing.T) {
	caddy, err := exec.LookPath("caddy")
	if err != nil {
		t.Skip("caddy is not installed (Debian: apt install caddy): the Caddyfile was not validated")
	}
	for _, env := range [][]string{
		{"ASSISES_DOMAIN=assises.example.org"},
		{"ASSISES_DOMAIN=assises.example.org", "ASSISES_UPSTREAM=10.0.0.11:8080 10.0.0.12:8080"},
		{"ASSISES_DOMAIN=assises.example.org", "ASSISES_UPSTREAM=10.0.0.11:8080 10.0.0.12:8080 10.0.0.13:8080"},
	} {
		cmd := exec.Command(caddy, "validate", "--config", "Caddyfile", "--adapter", "caddyfile")
		cmd.Env = append(os.Environ(), env...)
		cmd.Env = append(cmd.Env, "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("Valid configuration")) {
			t.Errorf("caddy validate with %v: %v\n%s", env, err, out)
		}
	}
	c := read(t, "Caddyfile")
	for _, want := range []string{"health_uri /readyz", "X-Request-Id"} {
		if !strings.Contains(c, want) {
			t.Errorf("the Caddyfile lacks %q", want)
		}
	}
}

func TestSystemdUnitVerifies(t *testing.T) {
	unit := read(t, "assises.service")
	for _, want := range []string{"DynamicUser=yes", "StateDirectory=assises", "ProtectSystem=strict", "NoNewPrivileges=yes",
		"ExecStart=/usr/local/bin/assises serve", "KillSignal=SIGTERM"} {
		if !strings.Contains(unit, want+"\n") {
			t.Errorf("the unit lacks %s", want)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit was not verified")
	}
	// verify wants ExecStart to exist: point it at a stand-in executable.
	dir := t.TempDir()
	bin := filepath.Join(dir, "assises")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "assises.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/assises", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The sandbox's score (0 = locked down, 10 = exposed); --offline needs systemd 252.
	out, err = exec.Command(analyze, "security", "--offline=true", path).CombinedOutput()
	if err != nil {
		t.Logf("systemd-analyze security --offline not available here: %v", err)
		return
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security: exposure %.1f", score)
	if score > 2.0 {
		t.Errorf("exposure level %.1f, want at most 2.0 (a sandboxing line was lost?)", score)
	}
}

func TestDockerImage(t *testing.T) {
	df := read(t, "Dockerfile")
	for _, re := range []string{`CGO_ENABLED=0`, `(?m)^USER 65532`, `(?m)^VOLUME /data$`, `(?m)^FROM gcr\.io/distroless/static`} {
		if !regexp.MustCompile(re).MatchString(df) {
			t.Errorf("the Dockerfile does not match %s", re)
		}
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker is not installed: the image was not built")
	}
	if out, err := exec.Command(docker, "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		t.Skipf("the docker client is here but no engine answers, so the image was not built: %s", firstLine(out))
	}
	tag := "assises-deploy-test:latest"
	build := exec.Command(docker, "build", "-f", "deploy/Dockerfile", "-t", tag, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command(docker, "image", "rm", "-f", tag).Run()
	out, err := exec.Command(docker, "image", "inspect", "-f", "{{.Config.User}} {{json .Config.Volumes}}", tag).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "65532") || !strings.Contains(string(out), `"/data"`) {
		t.Errorf("image user and volumes: %v %s, want 65532 and /data", err, out)
	}
	out, err = exec.Command(docker, "run", "--rm", tag, "help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "usage: assises") {
		t.Errorf("docker run help: %v\n%s", err, out)
	}
}

func TestComposeFile(t *testing.T) {
	c := read(t, "compose.yaml")
	for _, want := range []string{"postgres:", "assises:", "caddy:", "./Caddyfile:/etc/caddy/Caddyfile:ro",
		"dockerfile: deploy/Dockerfile", "stop_grace_period:", "ASSISES_TRUSTED_PROXIES: 172.30.80.0/24", "subnet: 172.30.80.0/24"} {
		if !strings.Contains(c, want) {
			t.Errorf("compose.yaml lacks %q", want)
		}
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker is not installed: compose.yaml was only read, not validated")
	}
	if out, err := exec.Command(docker, "compose", "version").CombinedOutput(); err != nil {
		t.Skipf("docker has no compose plugin here, so compose.yaml was only read, not validated: %s", firstLine(out))
	}
	cmd := exec.Command(docker, "compose", "-f", "compose.yaml", "--env-file", "compose.env.example", "config", "--quiet")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("docker compose config: %v\n%s", err, out)
	}
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
