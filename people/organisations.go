package people

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/internal/seal"
	"github.com/assises/assises/record"
	"github.com/assises/assises/storage"
)

// An organisation is typed by people and may name one ("Zoé Verhulst, indépendante"), so its
// name is sealed (internal/seal) with a key of the organisation's own (organisation_keys),
// which goes with the organisation: erasing the last person who refers to it deletes both, and
// what the database's files, its log and its backups keep of the name is ciphertext nobody can
// open. The key is the organisation's and not the typist's, so that an organisation shared by
// others, or kept on what an erased person said with their consent, stays readable.
//
// Finding the organisation two people typed alike needs something equal to compare:
// organisations.name_key holds a keyed hash of the folded name (OrganisationKey) under a key
// per process (organisation_tag_keys). An erasure draws a new one and hashes the remaining
// names again (retag), so the hash a deleted row keeps cannot be tested against a guess.

// organisationKey is the key an organisation's name is sealed with.
type organisationKey struct {
	bun.BaseModel `bun:"table:organisation_keys"`

	OrganisationID int64 `bun:",pk"`
	OrgKey         string
	CreatedAt      time.Time
}

// organisationTagKey is the key of a process's hashes of organisation names.
type organisationTagKey struct {
	bun.BaseModel `bun:"table:organisation_tag_keys"`

	ProcessID int64 `bun:",pk"`
	TagKey    string
	CreatedAt time.Time
}

// EnsureOrganisation returns the organisation of a process with this name, creating it if
// needed; its Name is the name as typed first, opened.
func EnsureOrganisation(ctx context.Context, db bun.IDB, processID int64, name string) (*Organisation, error) {
	name = strings.Join(strings.Fields(name), " ")
	var org *Organisation
	err := withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		tk, err := tagKey(ctx, tx, processID, false)
		if err != nil {
			return err
		}
		// The row goes in with an empty name: the sealed one needs its id.
		row := &Organisation{ProcessID: processID, NameKey: tk.Tag(OrganisationKey(name))}
		res, err := tx.NewInsert().Model(row).On("CONFLICT (process_id, name_key) DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		created, _ := res.RowsAffected()
		found := new(Organisation)
		if err := tx.NewSelect().Model(found).Where("process_id = ? AND name_key = ?", processID, row.NameKey).Scan(ctx); err != nil {
			return record.NotFound("ensure organisation", err)
		}
		if created == 1 {
			k, err := seal.NewKey()
			if err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(&organisationKey{OrganisationID: found.ID, OrgKey: k.Encode(), CreatedAt: time.Now().UTC()}).Exec(ctx); err != nil {
				return err
			}
			found.Name = k.Seal(found.ID, seal.FieldOrganisation, name)
			if _, err := tx.NewUpdate().Model(found).Column("name").WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		org = found
		return openOrganisations(ctx, tx, []*Organisation{org})
	})
	if err != nil {
		return nil, fmt.Errorf("store: ensure organisation: %w", err)
	}
	return org, nil
}

// ListOrganisations returns a process's organisations by name, opened.
func ListOrganisations(ctx context.Context, db bun.IDB, processID int64) ([]Organisation, error) {
	var orgs []Organisation
	if err := db.NewSelect().Model(&orgs).Where("process_id = ?", processID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list organisations: %w", err)
	}
	ptrs := make([]*Organisation, len(orgs))
	for i := range orgs {
		ptrs[i] = &orgs[i]
	}
	if err := openOrganisations(ctx, db, ptrs); err != nil {
		return nil, fmt.Errorf("store: list organisations: %w", err)
	}
	slices.SortFunc(orgs, func(a, b Organisation) int { return strings.Compare(OrganisationKey(a.Name), OrganisationKey(b.Name)) })
	return orgs, nil
}

// openOrganisations replaces the sealed names of some organisations with their text.
func openOrganisations(ctx context.Context, db bun.IDB, orgs []*Organisation) error {
	return openNames(ctx, db, "organisation_keys", "organisation_id", "org_key", seal.FieldOrganisation, len(orgs),
		func(i int) (int64, *string) { return orgs[i].ID, &orgs[i].Name })
}

// OpenOrganisationName opens an organisation's name as a query joined it with its key
// (organisation_keys.org_key); no organisation (a NULL id) is the empty name.
func OpenOrganisationName(orgID *int64, key *string, name string) (string, error) {
	if orgID == nil {
		return "", nil
	}
	return seal.OpenWith(key, *orgID, seal.FieldOrganisation, name)
}

// tagKey returns the key of a process's hashes of organisation names, creating it if needed.
// On PostgreSQL its row is locked, shared by the registrations that hash with it and alone by
// the erasure that replaces it (forUpdate), so that no name is hashed with a key being
// replaced. SQLite has one writer at a time already.
func tagKey(ctx context.Context, tx bun.Tx, processID int64, forUpdate bool) (seal.Key, error) {
	k, err := seal.NewKey()
	if err != nil {
		return k, err
	}
	row := &organisationTagKey{ProcessID: processID, TagKey: k.Encode(), CreatedAt: time.Now().UTC()}
	if _, err := tx.NewInsert().Model(row).On("CONFLICT (process_id) DO NOTHING").Exec(ctx); err != nil {
		return k, fmt.Errorf("organisation tag key: %w", err)
	}
	q := tx.NewSelect().Model(row).Where("process_id = ?", processID)
	if storage.IsPostgres(tx) {
		if forUpdate {
			q = q.For("UPDATE")
		} else {
			q = q.For("SHARE")
		}
	}
	if err := q.Scan(ctx); err != nil {
		return k, fmt.Errorf("organisation tag key: %w", err)
	}
	return seal.ParseKey(row.TagKey)
}

// retag draws a new key for a process's hashes of organisation names and hashes the names
// still there again with it; the old key goes (the caller rewrites its table, scrub). The
// caller has locked the key's row (tagKey with forUpdate) before its first read of the
// organisations, so that every organisation a registration made is hashed again.
func retag(ctx context.Context, tx bun.Tx, processID int64) error {
	var orgs []Organisation
	if err := tx.NewSelect().Model(&orgs).Where("process_id = ?", processID).Scan(ctx); err != nil {
		return err
	}
	ptrs := make([]*Organisation, len(orgs))
	for i := range orgs {
		ptrs[i] = &orgs[i]
	}
	if err := openOrganisations(ctx, tx, ptrs); err != nil {
		return err
	}
	k, err := seal.NewKey()
	if err != nil {
		return err
	}
	for _, o := range orgs {
		o.NameKey = k.Tag(OrganisationKey(o.Name))
		if _, err := tx.NewUpdate().Model(&o).Column("name_key").WherePK().Exec(ctx); err != nil {
			return err
		}
	}
	_, err = tx.NewUpdate().Model((*organisationTagKey)(nil)).Set("tag_key = ?", k.Encode()).Where("process_id = ?", processID).Exec(ctx)
	return err
}

// sealOrganisations seals the names of the organisations stored before names were sealed (a
// database from before organisation_keys), as SealUnsealed does for people.
func sealOrganisations(ctx context.Context, db bun.IDB) (int, error) {
	var orgs []Organisation
	err := db.NewSelect().Model(&orgs).
		Where("NOT EXISTS (SELECT 1 FROM organisation_keys AS ok WHERE ok.organisation_id = organisation.id)").
		OrderExpr("id").Scan(ctx)
	if err != nil || len(orgs) == 0 {
		return 0, err
	}
	err = withTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		tags := map[int64]seal.Key{}
		for _, o := range orgs {
			tk, ok := tags[o.ProcessID]
			if !ok {
				if tk, err = tagKey(ctx, tx, o.ProcessID, false); err != nil {
					return err
				}
				tags[o.ProcessID] = tk
			}
			k, err := seal.NewKey()
			if err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(&organisationKey{OrganisationID: o.ID, OrgKey: k.Encode(), CreatedAt: time.Now().UTC()}).Exec(ctx); err != nil {
				return err
			}
			o.NameKey = tk.Tag(OrganisationKey(o.Name))
			o.Name = k.Seal(o.ID, seal.FieldOrganisation, o.Name)
			if _, err := tx.NewUpdate().Model(&o).Column("name", "name_key").WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return len(orgs), err
}
