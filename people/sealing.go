package people

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/seal"
)

// SealUnsealed seals the personal fields of the people stored before fields were sealed (a
// database from before person_keys): each gets a key and their name, email and phone are
// rewritten sealed; so are the names of organisations stored before they were sealed. It
// returns how many people and organisations it sealed, and does nothing when everything has
// a key. Run it at start, after the migrations.
//
// The plaintext such a row held before stays where the database leaves overwritten rows (see
// docs/privacy.md) until the space is reused: sealing protects what is written after it.
func SealUnsealed(ctx context.Context, db bun.IDB) (int, error) {
	total, err := sealOrganisations(ctx, db)
	if err != nil {
		return total, fmt.Errorf("store: seal organisations: %w", err)
	}
	for {
		var rows []Person
		err := db.NewSelect().Model(&rows).
			Where("NOT EXISTS (SELECT 1 FROM person_keys AS pk WHERE pk.participant_id = person.participant_id)").
			OrderExpr("participant_id").Limit(500).Scan(ctx)
		if err != nil {
			return total, fmt.Errorf("store: seal people: %w", err)
		}
		if len(rows) == 0 {
			return total, nil
		}
		err = withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			for _, p := range rows {
				key, err := seal.Create(ctx, tx, p.ParticipantID)
				if err != nil {
					return err
				}
				sealed := sealPerson(key, p)
				_, err = tx.NewUpdate().Model(&sealed).Column("display_name", "email", "phone").WherePK().Exec(ctx)
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("store: seal people: %w", err)
		}
		total += len(rows)
	}
}

// openNames replaces the sealed name of each of n rows with its text: row(i) gives the id of
// the i-th row and where its name is. The keys are read from keyTable, where idColumn holds a
// row's id and keyColumn its key, in one query for all the rows.
func openNames(ctx context.Context, db bun.IDB, keyTable, idColumn, keyColumn, field string, n int, row func(i int) (int64, *string)) error {
	if n == 0 {
		return nil
	}
	ids := make([]int64, n)
	for i := range n {
		ids[i], _ = row(i)
	}
	var keys []struct {
		ID  int64  `bun:"id"`
		Key string `bun:"sealing_key"`
	}
	err := db.NewSelect().TableExpr("?", bun.Ident(keyTable)).
		ColumnExpr("? AS id, ? AS sealing_key", bun.Ident(idColumn), bun.Ident(keyColumn)).
		Where("? IN (?)", bun.Ident(idColumn), bun.In(ids)).Scan(ctx, &keys)
	if err != nil {
		return err
	}
	byID := make(map[int64]*string, len(keys))
	for i := range keys {
		byID[keys[i].ID] = &keys[i].Key
	}
	for i := range n {
		id, name := row(i)
		text, err := seal.OpenWith(byID[id], id, field, *name)
		if err != nil {
			return err
		}
		*name = text
	}
	return nil
}
