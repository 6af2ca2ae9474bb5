package notebook

import (
	"testing"
	"time"

	"github.com/assises/assises/storage/storagetest"
)

// BenchmarkPublish publishes the golden process (with its editorial layer and its Dutch) in
// one language and in two: what a second language costs an organiser who presses "publish"
// (each language is compiled and rendered in every format, the PDF twice, in one transaction).
func BenchmarkPublish(b *testing.B) {
	for _, kind := range storagetest.Kinds {
		db := storagetest.Open(b, kind)
		f := newFixture(b, db)
		f.edit()
		f.translate()
		for _, tt := range []struct {
			name      string
			languages []string
		}{{"fr", nil}, {"fr+nl", []string{"nl"}}} {
			b.Run(kind+"/"+tt.name, func(b *testing.B) {
				at := time.Date(2024, 2, 3, 9, 30, 0, 0, time.UTC)
				for i := 0; i < b.N; i++ {
					if _, err := Publish(f.ctx, db, f.proc.ID, f.org.ID, Options{}, tt.languages, labelSet(b), at); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
