package main

import (
	"io"
	"testing"
)

func TestParseConfig(t *testing.T) {
	t.Setenv("ASSISES_ADDR", "")
	t.Setenv("DATABASE_URL", "")
	t.Setenv("ASSISES_PUBLIC_URL", "")
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		addr    string
		public  string
		wantErr bool
	}{
		{name: "defaults", addr: ":8080", public: "http://localhost:8080"},
		{name: "env", env: map[string]string{"ASSISES_ADDR": "127.0.0.1:9000", "ASSISES_PUBLIC_URL": "https://assises.example.org"}, addr: "127.0.0.1:9000", public: "https://assises.example.org"},
		{name: "flags win", env: map[string]string{"ASSISES_ADDR": ":1"}, args: []string{"-addr", ":2"}, addr: ":2", public: "http://localhost:2"},
		{name: "bad public URL", args: []string{"-public-url", "assises.example.org"}, wantErr: true},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := parseConfig("serve", tt.args, io.Discard)
			if tt.wantErr {
				if err == nil {
					t.Fatal("got no error, want one")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.addr != tt.addr || cfg.publicURL.String() != tt.public {
				t.Errorf("got addr %q public %q, want %q %q", cfg.addr, cfg.publicURL, tt.addr, tt.public)
			}
		})
	}
}
