package attempts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/attempts"
	"github.com/assises/assises/storage/storagetest"
)

func TestBudgetCountsFailuresInItsWindow(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		// Two books on one database stand for two nodes: each counts the other's failures.
		nodeA, nodeB := attempts.NewBook(db), attempts.NewBook(db)
		code := attempts.Budget{Kind: "code", Max: 3, Window: 10 * time.Minute}
		signin := attempts.Budget{Kind: "signin", Max: 3, Window: 10 * time.Minute}
		// 08:55: the window spans two hours, so two keys.
		start := time.Date(2026, 12, 8, 8, 55, 0, 0, time.UTC)
		for i, book := range []*attempts.Book{nodeA, nodeB, nodeA} {
			at := start.Add(time.Duration(i) * 3 * time.Minute)
			if ok, _, err := book.Left(ctx, code, "192.0.2.1", at); err != nil || !ok {
				t.Fatalf("refused after %d failures of 3: %v", i, err)
			}
			if err := book.Fail(ctx, code, "192.0.2.1", at); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name    string
			book    *attempts.Book
			budget  attempts.Budget
			address string
			at      time.Duration // after start
			ok      bool
			wait    time.Duration
		}{
			{"the fourth try is refused until the first failure leaves the window", nodeB, code, "192.0.2.1", 7 * time.Minute, false, 3 * time.Minute},
			{"on the other node too", nodeA, code, "192.0.2.1", 7 * time.Minute, false, 3 * time.Minute},
			{"another address has its own budget", nodeB, code, "192.0.2.2", 7 * time.Minute, true, 0},
			{"another kind has its own budget", nodeB, signin, "192.0.2.1", 7 * time.Minute, true, 0},
			{"once the first failure is past the window, one try is free", nodeB, code, "192.0.2.1", 10*time.Minute + time.Second, true, 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ok, wait, err := c.book.Left(ctx, c.budget, c.address, start.Add(c.at))
				if err != nil || ok != c.ok || wait != c.wait {
					t.Errorf("Left = %v, %s, %v; want %v, %s", ok, wait, err, c.ok, c.wait)
				}
			})
		}
		var tags []string
		if err := db.NewSelect().Table("failed_attempts").Column("tag").Scan(ctx, &tags); err != nil {
			t.Fatal(err)
		}
		for _, tag := range tags {
			if strings.Contains(tag, "192.0.2") {
				t.Errorf("a stored failure names its address: %q", tag)
			}
		}
		// A failure long after sweeps the rows older than Kept and the keys of past hours.
		if err := nodeA.Fail(ctx, code, "192.0.2.9", start.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		for table, want := range map[string]int64{"failed_attempts": 1, "attempt_keys": 1} {
			if n, err := db.NewSelect().Table(table).Count(ctx); err != nil || n != want {
				t.Errorf("%s after the sweep: %d rows, %v; want %d", table, n, err, want)
			}
		}
	})
}

func TestBudgetRefusesAWindowLongerThanKept(t *testing.T) {
	storagetest.EachDB(t, func(t *testing.T, db *bun.DB) {
		b := attempts.Budget{Kind: "code", Max: 1, Window: attempts.Kept + time.Minute}
		if _, _, err := attempts.NewBook(db).Left(context.Background(), b, "192.0.2.1", time.Now()); err == nil {
			t.Error("a window longer than failures are kept was accepted")
		}
	})
}
