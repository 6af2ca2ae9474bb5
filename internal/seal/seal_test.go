package seal

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestSealOpens(t *testing.T) {
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewKey()
	stored := base64.RawStdEncoding.EncodeToString(k[:])
	sealed := k.Seal(7, "email", "zoe@example.org")
	if !IsSealed(sealed) || strings.Contains(sealed, "zoe") {
		t.Fatalf("sealed as %q", sealed)
	}
	if again := k.Seal(7, "email", "zoe@example.org"); again == sealed {
		t.Errorf("two seals of one value are equal: the nonce is not fresh")
	}
	tampered := []byte(sealed)
	tampered[len(tampered)-2] ^= 1
	for _, c := range []struct {
		name  string
		key   *string
		id    int64
		field string
		value string
		want  string
		fails bool
	}{
		{"its key, its person, its field", &stored, 7, "email", sealed, "zoe@example.org", false},
		{"another person's row", &stored, 8, "email", sealed, "", true},
		{"another field", &stored, 7, "display_name", sealed, "", true},
		{"the key is gone", nil, 7, "email", sealed, "", true},
		{"tampered", &stored, 7, "email", string(tampered), "", true},
		{"plain text from before sealing", nil, 7, "email", "old@example.org", "old@example.org", false},
		{"empty", nil, 7, "phone", "", "", false},
	} {
		got, err := OpenWith(c.key, c.id, c.field, c.value)
		if (err != nil) != c.fails || got != c.want {
			t.Errorf("%s: %q, %v", c.name, got, err)
		}
	}
	if _, err := OpenWith(nil, 7, "email", sealed); !errors.Is(err, ErrNoKey) {
		t.Errorf("without the key: %v, want ErrNoKey", err)
	}
	if _, err := other.Open(7, "email", sealed); err == nil {
		t.Errorf("another key opened the value")
	}
	if k.Seal(7, "phone", "") != "" {
		t.Errorf("an empty field is sealed into something")
	}
}

// What sealing costs per field: a person's name sealed once when they are created, opened on
// every read (docs/privacy.md).
func BenchmarkSeal(b *testing.B) {
	k, _ := NewKey()
	for i := 0; i < b.N; i++ {
		k.Seal(int64(i), "display_name", "Zoé Verhulst")
	}
}

func BenchmarkOpen(b *testing.B) {
	k, _ := NewKey()
	stored := base64.RawStdEncoding.EncodeToString(k[:])
	sealed := k.Seal(7, "display_name", "Zoé Verhulst")
	for i := 0; i < b.N; i++ {
		if _, err := OpenWith(&stored, 7, "display_name", sealed); err != nil {
			b.Fatal(err)
		}
	}
}

// A tag finds equal texts under one key, tells nothing of the text, and changes with the key:
// once a key is gone, its tags cannot be matched against a guess.
func TestTag(t *testing.T) {
	k, _ := NewKey()
	other, _ := NewKey()
	a := k.Tag("cpasdanderlecht")
	for _, c := range []struct {
		name string
		got  string
		same bool
	}{
		{"the same text, the same key", k.Tag("cpasdanderlecht"), true},
		{"another text", k.Tag("cpasdixelles"), false},
		{"another key", other.Tag("cpasdanderlecht"), false},
	} {
		if (c.got == a) != c.same {
			t.Errorf("%s: %q against %q, want equal %v", c.name, c.got, a, c.same)
		}
	}
	if !IsTag(a) || IsSealed(a) || strings.Contains(a, "anderlecht") {
		t.Errorf("tag %q: want a tag, not sealed, without the text", a)
	}
	if back, err := ParseKey(k.Encode()); err != nil || back != k {
		t.Errorf("a key encoded then parsed: %v, %v", back == k, err)
	}
}
