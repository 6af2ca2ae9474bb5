package notebook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/assises/assises/i18n"
	"github.com/assises/assises/record"
)

// Version is a published notebook: numbered per process, immutable. Nothing in this package
// updates or deletes a row of notebook_versions; it keeps its own copy of every format, so
// that edits and erasures afterwards change nothing in it.
type Version struct {
	bun.BaseModel `bun:"table:notebook_versions"`

	ID          int64 `bun:",pk,autoincrement"`
	ProcessID   int64
	Number      int
	Language    string
	Title       string
	PublishedBy *int64
	PublishedAt time.Time
	Snapshot    string // the Notebook as JSON: the open data
	HTML        string `bun:"html"`
	Markdown    string
	CSV         string `bun:"csv"`
	PDF         string `bun:"pdf"` // base64
	Changes     string // JSON of []Change, against the previous version
	Languages   string // every language it was published in, main (Language) first: "fr,nl"
}

// VersionLanguage is a published version in one of its other languages: every format,
// rendered from a snapshot of its own. The main language's are in the Version's row.
type VersionLanguage struct {
	bun.BaseModel `bun:"table:notebook_version_languages"`

	VersionID int64  `bun:",pk"`
	Language  string `bun:",pk"`
	Snapshot  string
	HTML      string `bun:"html"`
	Markdown  string
	CSV       string `bun:"csv"`
	PDF       string `bun:"pdf"`
}

// LanguageList is the version's languages, main first (versions published before there were
// several hold their one language).
func (v *Version) LanguageList() []string {
	if v.Languages == "" {
		return []string{v.Language}
	}
	return strings.Split(v.Languages, ",")
}

// HasLanguage reports whether the version was published in lang.
func (v *Version) HasLanguage(lang string) bool { return slices.Contains(v.LanguageList(), lang) }

// InLanguage returns the version as published in lang: the same row with the formats and the
// snapshot of that language. ErrNotFound when the version was not published in lang.
func InLanguage(ctx context.Context, db bun.IDB, v *Version, lang string) (*Version, error) {
	if lang == v.Language {
		return v, nil
	}
	if !v.HasLanguage(lang) {
		return nil, fmt.Errorf("notebook: version %d in %q: %w", v.Number, lang, record.ErrNotFound)
	}
	vl := &VersionLanguage{VersionID: v.ID, Language: lang}
	if err := db.NewSelect().Model(vl).WherePK().Scan(ctx); err != nil {
		return nil, notFound("version language", err)
	}
	out := *v
	out.Language, out.Snapshot, out.HTML, out.Markdown, out.CSV, out.PDF = vl.Language, vl.Snapshot, vl.HTML, vl.Markdown, vl.CSV, vl.PDF
	return &out, nil
}

// PublishLanguages normalises the languages a version is to be published in: main first,
// each known language once. Nothing given means the main language only.
func PublishLanguages(main string, languages []string) ([]string, error) {
	out := []string{main}
	for _, l := range append([]string{main}, languages...) {
		if i18n.Normalise(l) != l {
			return nil, fmt.Errorf("%w: unknown language %q", ErrInvalid, l)
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out, nil
}

// Notebook decodes the snapshot.
func (v *Version) Notebook() (*Notebook, error) {
	nb := new(Notebook)
	if err := json.Unmarshal([]byte(v.Snapshot), nb); err != nil {
		return nil, fmt.Errorf("notebook: version %d: %w", v.Number, err)
	}
	return nb, nil
}

// PDFBytes decodes the stored PDF.
func (v *Version) PDFBytes() ([]byte, error) {
	return base64.StdEncoding.DecodeString(v.PDF)
}

// ChangeList decodes the changes since the previous version.
func (v *Version) ChangeList() ([]Change, error) {
	var out []Change
	if err := json.Unmarshal([]byte(v.Changes), &out); err != nil {
		return nil, fmt.Errorf("notebook: version %d changes: %w", v.Number, err)
	}
	return out, nil
}

// Publish compiles the process in each of languages (opts.Main, "" for the process's first
// language, comes first whatever the order), renders every format of each, and stores them as
// the next version, in one transaction that holds the process row, so that two organisers
// publishing at once get versions n and n+1, never two n. It records the publication in the
// editorial history. labels gives each language's fixed texts.
func Publish(ctx context.Context, db bun.IDB, processID, publisher int64, opts Options, languages []string, labels func(lang string) Labels, now time.Time) (*Version, error) {
	now = now.UTC().Truncate(time.Millisecond)
	var out *Version
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if tx.Dialect().Name() == dialect.PG {
			if _, err := tx.NewSelect().Model((*record.Process)(nil)).Column("id").
				Where("id = ?", processID).For("UPDATE").Exec(ctx); err != nil {
				return fmt.Errorf("notebook: lock process: %w", err)
			}
		}
		prev, err := latest(ctx, tx, processID)
		if err != nil && !errors.Is(err, record.ErrNotFound) {
			return err
		}
		s, err := load(ctx, tx, processID)
		if err != nil {
			return err
		}
		if opts.Main == "" {
			opts.Main = mainLanguage(s.process)
		}
		langs, err := PublishLanguages(opts.Main, languages)
		if err != nil {
			return err
		}
		opts.Language = opts.Main
		nb, _, err := compile(ctx, tx, s, opts)
		if err != nil {
			return err
		}
		number := 1
		var changes []Change
		if prev != nil {
			number = prev.Number + 1
			old, err := prev.Notebook()
			if err != nil {
				return err
			}
			changes = Diff(old, nb)
		}
		nb.Version, nb.PublishedAt, nb.Languages = number, &now, langs
		v, err := render(nb, labels(nb.Language))
		if err != nil {
			return err
		}
		if changes == nil {
			changes = []Change{}
		}
		cj, _ := json.Marshal(changes)
		v.ProcessID, v.PublishedBy, v.PublishedAt, v.Changes = processID, &publisher, now, string(cj)
		v.Languages = strings.Join(langs, ",")
		if _, err := tx.NewInsert().Model(v).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("notebook: store version: %w", err)
		}
		for _, lang := range langs[1:] {
			opts.Language = lang
			other, _, err := compile(ctx, tx, s, opts)
			if err != nil {
				return err
			}
			other.Version, other.PublishedAt, other.Languages = number, &now, langs
			r, err := render(other, labels(lang))
			if err != nil {
				return err
			}
			vl := &VersionLanguage{VersionID: v.ID, Language: lang, Snapshot: r.Snapshot, HTML: r.HTML,
				Markdown: r.Markdown, CSV: r.CSV, PDF: r.PDF}
			if _, err := tx.NewInsert().Model(vl).Exec(ctx); err != nil {
				return fmt.Errorf("notebook: store version in %s: %w", lang, err)
			}
		}
		out = v
		return logEdit(ctx, tx, &Edit{ProcessID: processID, EditorID: &publisher, Action: ActionPublish,
			AfterText: fmt.Sprintf("%d", number), CreatedAt: now})
	})
	return out, err
}

// render makes every stored format of a notebook.
func render(nb *Notebook, labels Labels) (*Version, error) {
	snapshot, err := RenderJSON(nb)
	if err != nil {
		return nil, err
	}
	if err := Validate(snapshot); err != nil {
		return nil, fmt.Errorf("notebook: the snapshot does not match its schema: %w", err)
	}
	html, err := RenderHTML(nb, labels)
	if err != nil {
		return nil, err
	}
	csv, err := RenderCSV(nb)
	if err != nil {
		return nil, err
	}
	pdf, err := RenderPDF(nb, labels)
	if err != nil {
		return nil, err
	}
	return &Version{Number: nb.Version, Language: nb.Language, Title: nb.Process.Title, Snapshot: string(snapshot),
		HTML: html, Markdown: RenderMarkdown(nb, labels), CSV: csv, PDF: base64.StdEncoding.EncodeToString(pdf)}, nil
}

func latest(ctx context.Context, db bun.IDB, processID int64) (*Version, error) {
	v := new(Version)
	err := db.NewSelect().Model(v).Where("process_id = ?", processID).Order("number DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, notFound("latest version", err)
	}
	return v, nil
}

// LatestVersion returns the newest published version of a process, or ErrNotFound.
func LatestVersion(ctx context.Context, db bun.IDB, processID int64) (*Version, error) {
	return latest(ctx, db, processID)
}

// GetVersion returns version number n of a process, or ErrNotFound.
func GetVersion(ctx context.Context, db bun.IDB, processID int64, n int) (*Version, error) {
	v := new(Version)
	if err := db.NewSelect().Model(v).Where("process_id = ? AND number = ?", processID, n).Scan(ctx); err != nil {
		return nil, notFound("version", err)
	}
	return v, nil
}

// VersionInfo is a line of the list of versions (without the heavy columns).
type VersionInfo struct {
	Number      int       `json:"number"`
	PublishedAt time.Time `json:"publishedAt"`
	Title       string    `json:"title"`
	Language    string    `json:"language"`
	Languages   string    `json:"languages"` // "fr,nl": main first; "" before there were several
}

// ListVersions returns the published versions of a process, newest first.
func ListVersions(ctx context.Context, db bun.IDB, processID int64) ([]VersionInfo, error) {
	var out []VersionInfo
	err := db.NewSelect().Model((*Version)(nil)).Column("number", "published_at", "title", "language", "languages").
		Where("process_id = ?", processID).Order("number DESC").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("notebook: list versions: %w", err)
	}
	return out, nil
}
