package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/assises/assises/deliberation/demo"
	"github.com/assises/assises/people"
	"github.com/assises/assises/record"
)

// demoCommand seeds the demo process (once) and prints an organiser link.
func demoCommand(ctx context.Context, cfg config, logger *slog.Logger, stdout io.Writer) error {
	db, err := openAndMigrate(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	created, err := demo.Seed(ctx, db)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "Demo process created: %s\n", cfg.publicURL.JoinPath("p", demo.Slug))
	} else {
		fmt.Fprintf(stdout, "Demo process already there: %s\n", cfg.publicURL.JoinPath("p", demo.Slug))
	}
	link, err := organiserLink(ctx, db, linkBase(ctx, db, cfg))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Sign in as organiser (one-time link, valid 24 h): %s\n", link)
	return nil
}

// adminLink prints a new one-time organiser link (the first one was printed at first start).
func adminLink(ctx context.Context, cfg config, logger *slog.Logger, stdout io.Writer) error {
	db, err := openAndMigrate(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	link, err := organiserLink(ctx, db, linkBase(ctx, db, cfg))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Sign in as organiser (one-time link, valid 24 h): %s\n", link)
	return nil
}

// maxInvite bounds one call: the load generator asks for at most this many at a time.
const maxInvite = 50000

// adminInvite creates participants registered (confirmed, outside capacity rules) in one
// workshop and prints a reusable sign-in link for each, one per line. The links land on the
// workshop; a client exchanges each for a session cookie like a person would. With
// -moderator they are also appointed moderators of that workshop (the load generator's
// moderator, who opens the phases).
func adminInvite(ctx context.Context, cfg config, logger *slog.Logger, stdout io.Writer) error {
	if cfg.workshop <= 0 || cfg.count < 1 || cfg.count > maxInvite || cfg.organisations < 1 {
		return fmt.Errorf("admin invite: need -workshop ID and -count 1..%d", maxInvite)
	}
	db, err := openAndMigrate(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	w, err := record.GetWorkshop(ctx, db, cfg.workshop)
	if err != nil {
		return fmt.Errorf("admin invite: workshop %d: %w", cfg.workshop, err)
	}
	base := linkBase(ctx, db, cfg)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	// Batches of a few hundred per transaction: one fsync per person would take minutes.
	const perTx = 500
	var role record.Role
	if cfg.moderator {
		role = record.RoleModerator
	}
	for done := 0; done < cfg.count; done += perTx {
		batch := make([]people.NewParticipant, 0, perTx)
		for i := done; i < min(done+perTx, cfg.count); i++ {
			batch = append(batch, people.NewParticipant{
				ProcessID: &w.ProcessID, Role: record.RoleParticipant,
				Organisation: fmt.Sprintf("Organisation %d", i%cfg.organisations),
				Person:       people.Person{DisplayName: fmt.Sprintf("Participant %d", i+1), Language: "fr"},
			})
		}
		tokens, err := people.InviteAll(ctx, db, batch, w, role, 7*24*time.Hour)
		if err != nil {
			return fmt.Errorf("admin invite: %w", err)
		}
		for _, token := range tokens {
			fmt.Fprintln(out, base.JoinPath("i", token).String())
		}
	}
	return nil
}
