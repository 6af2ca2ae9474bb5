package notebook

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation"
	"github.com/assises/assises/frontend"
	"github.com/assises/assises/i18n"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// The fixed process of the golden files: two themes of the Assises du Logement, three sessions, people of
// four organisations and two on their own, service users among them, break-out groups in one
// session, the three vote methods, a merge, an edit, a room count, hostile text. It is played
// through the real engine (commands → rules → events in one transaction), as a live room would.

// hostile is a contribution that tries every trick on every format.
const hostile = "<script>alert('x')</script> [clic](javascript:alert(1)) <img src=x onerror=alert(1)> **gras** | cellule\n# titre\n- liste\n=cmd|' /C calc'!A0"

type fixture struct {
	t     testing.TB
	db    *bun.DB
	e     *deliberation.Engine
	ctx   context.Context
	n     int
	proc  *record.Process
	ws    []*record.Workshop
	theme []*record.Theme
	mod   *record.Participant
	org   *record.Participant // the process organiser
	pp    []*record.Participant
	ids   map[string]int64 // contributions by a short name
}

func catalogLabels(t testing.TB, lang string) Labels {
	t.Helper()
	c, err := i18n.Load(frontend.Catalogs, "i18n")
	if err != nil {
		t.Fatal(err)
	}
	return func(k string) string { return c.T(lang, k) }
}

// labelSet gives each language's catalog, as the server does when it publishes.
func labelSet(t testing.TB) func(lang string) Labels {
	return func(lang string) Labels { return catalogLabels(t, lang) }
}

var fixtureClock = time.Date(2024, 1, 20, 10, 0, 0, 0, time.UTC)

func newFixture(t testing.TB, db *bun.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, ctx: context.Background(), ids: map[string]int64{}}
	f.e = deliberation.NewEngine(db, deliberation.EngineOptions{Clock: func() time.Time { return fixtureClock }})
	f.proc = &record.Process{Slug: "assises-logement", Title: "Assises du Logement et du Travail social",
		Description: "Des ateliers participatifs pour coproduire des recommandations vers les futur·e·s mandataires.\n\nUne initiative du Syndicat des Locataires.",
		Languages:   "fr,nl,en", Capacity: 40, PerOrgCap: 2, InvitationRequired: true, CreatedAt: fixtureClock}
	f.must(process.Create(f.ctx, db, f.proc))
	for i, th := range []struct{ title, why string }{
		{"L'utilisateur et son habitat au centre des préoccupations", "Décloisonner les approches et les pratiques « en réseau »."},
		{"La formation professionnelle et continue comme levier", "Réfléchir à comment mieux attirer et retenir les compétences au service de l'Humain."},
	} {
		tm := &record.Theme{ProcessID: f.proc.ID, Position: i + 1, Title: th.title, Why: th.why}
		f.must(process.CreateTheme(f.ctx, db, tm))
		f.theme = append(f.theme, tm)
	}
	for _, s := range []struct {
		theme int
		title string
		start time.Time
	}{
		{0, "Atelier 1.1", time.Date(2023, 11, 16, 12, 0, 0, 0, time.UTC)},
		{0, "Atelier 1.2", time.Date(2023, 12, 4, 8, 0, 0, 0, time.UTC)},
		{1, "Atelier 2.1", time.Date(2023, 11, 20, 8, 0, 0, 0, time.UTC)},
	} {
		w := &record.Workshop{ProcessID: f.proc.ID, ThemeID: &f.theme[s.theme].ID, Title: s.title,
			StartsAt: s.start, EndsAt: s.start.Add(210 * time.Minute), Place: "COOP, Quai Fernand Demets 23, 1070 Anderlecht", CreatedAt: fixtureClock}
		f.must(process.CreateWorkshop(f.ctx, db, w))
		f.ws = append(f.ws, w)
	}
	person := func(role record.Role, org, name string, serviceUser bool) *record.Participant {
		p, err := people.CreateParticipant(f.ctx, db, people.NewParticipant{ProcessID: &f.proc.ID, Role: role,
			Organisation: org, Person: people.Person{DisplayName: name, Email: ptr(name + ".secret@example.org"), ServiceUser: serviceUser}})
		f.must(err)
		return p
	}
	f.org = person(record.RoleOrganiser, "", "Orga", false)
	f.mod = person(record.RoleModerator, "Stics asbl", "Nadia", false)
	for _, p := range []struct {
		org, name string
		su        bool
	}{
		{"CPAS d'Anderlecht", "Fatima", false}, {"CPAS d'Anderlecht", "Marc", false},
		{"Syndicat des Locataires", "Karim", true}, {"Syndicat des Locataires", "Sofia", false},
		{"Mission Locale de Saint-Gilles", "Ana", true}, {"Mission Locale de Saint-Gilles", "Youssef", false},
		{"", "Jean", true}, {"", "Léa", true},
	} {
		f.pp = append(f.pp, person(record.RoleParticipant, p.org, p.name, p.su))
	}
	for _, w := range f.ws {
		for _, p := range f.pp {
			f.must(people.AddRegistration(f.ctx, db, w, p.ID, record.RegistrationConfirmed))
		}
	}
	// Break-out groups in the first session: Rouge and Bleu, each mixing organisations.
	for i, g := range []struct{ name, colour string }{{"Rouge", "#c00"}, {"Bleu", "#00c"}} {
		grp := &record.Group{WorkshopID: f.ws[0].ID, Position: i + 1, Name: g.name, Colour: g.colour, CreatedAt: fixtureClock}
		_, err := db.NewInsert().Model(grp).Returning("id").Exec(f.ctx)
		f.must(err)
		for j, p := range f.pp {
			if j%2 == i {
				_, err := db.NewInsert().Model(&record.GroupMember{WorkshopID: f.ws[0].ID, ParticipantID: p.ID, GroupID: grp.ID}).Exec(f.ctx)
				f.must(err)
			}
		}
	}
	f.play()
	return f
}

func ptr[T any](v T) *T { return &v }

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// do runs one command as p in w and fails the test unless it is accepted.
func (f *fixture) do(w *record.Workshop, p *record.Participant, name string, args any) deliberation.Result {
	f.t.Helper()
	a, err := f.e.Actor(f.ctx, w.ID, p.ID)
	f.must(err)
	raw, _ := json.Marshal(args)
	f.n++
	res, err := f.e.Execute(f.ctx, w.ID, []deliberation.Command{{ID: fmt.Sprintf("cmd-%d", f.n), Name: name, Args: raw, Actor: a}})
	f.must(err)
	if o := res.Outcomes[0]; o.Code != "" {
		f.t.Fatalf("%s %s: refused %s (%s)", name, raw, o.Code, o.Message)
	}
	return res
}

// post posts a contribution and remembers its id under key.
func (f *fixture) post(w *record.Workshop, p *record.Participant, key string, args map[string]any) int64 {
	f.t.Helper()
	res := f.do(w, p, "contribution.post", args)
	for _, ev := range res.Events {
		if ev.Name == "contribution.posted" {
			var v struct{ ID int64 }
			f.must(json.Unmarshal(ev.Data, &v))
			f.ids[key] = v.ID
			return v.ID
		}
	}
	f.t.Fatalf("post %s: no contribution.posted", key)
	return 0
}

// votes has people (indexes into pp) vote value on a contribution.
func (f *fixture) votes(w *record.Workshop, key string, value int, who ...int) {
	f.t.Helper()
	for _, i := range who {
		f.do(w, f.pp[i], "vote.set", map[string]any{"contribution": f.ids[key], "value": value})
	}
}

func (f *fixture) phase(w *record.Workshop, p record.Phase) {
	f.do(w, f.mod, "phase.set", map[string]any{"phase": p})
}

func (f *fixture) play() {
	w1, w2, w3 := f.ws[0], f.ws[1], f.ws[2]
	pp := f.pp
	// Session 1.1: support in the diagnostic, agree for recommendations, groups.
	f.phase(w1, record.PhaseDiagnostic)
	f.post(w1, pp[0], "f-delais", map[string]any{"kind": "finding", "body": "Les délais d'attente au CPAS dépassent souvent trois mois."})
	f.post(w1, pp[2], "f-logement", map[string]any{"kind": "finding", "body": "Trop peu de logements sociaux adaptés aux familles nombreuses."})
	f.post(w1, pp[6], "f-numerique", map[string]any{"kind": "finding", "body": "Les démarches en ligne excluent ceux qui n'ont pas d'ordinateur."})
	f.post(w1, pp[1], "s-guichet", map[string]any{"kind": "solution", "body": "Un guichet unique, sans rendez-vous.", "parent": f.ids["f-delais"]})
	f.post(w1, pp[3], "s-libre", map[string]any{"kind": "solution", "body": "Des permanences dans les quartiers."})
	f.votes(w1, "f-delais", 1, 0, 1, 2, 3, 4)
	f.votes(w1, "f-logement", 1, 2, 4, 6, 7, 3, 5)
	f.votes(w1, "f-numerique", 1, 6)
	f.votes(w1, "s-guichet", 1, 0, 2)
	f.do(w1, f.mod, "vote.method.set", map[string]any{"phase": "recommendations", "method": "agree"})
	f.phase(w1, record.PhaseRecommendations)
	f.post(w1, pp[0], "r-broad", map[string]any{"kind": "recommendation", "body": "Garantir un accompagnement social de référence pour chaque ménage.", "links": []int64{f.ids["f-delais"]}})
	f.post(w1, pp[1], "r-oneorg", map[string]any{"kind": "recommendation", "body": "Financer deux postes d'assistant social supplémentaires au CPAS."})
	f.post(w1, pp[6], "r-users", map[string]any{"kind": "recommendation", "body": "Associer les usagers à l'évaluation des services, avec un défraiement."})
	f.post(w1, pp[2], "r-rouge", map[string]any{"kind": "recommendation", "body": "Créer une cellule « logement d'urgence » ouverte le week-end."})
	f.post(w1, pp[5], "r-contested", map[string]any{"kind": "recommendation", "body": "Conditionner les aides au suivi d'une formation."})
	f.votes(w1, "r-broad", 1, 0, 1, 2, 3, 4, 5)
	f.votes(w1, "r-broad", -1, 7)
	f.votes(w1, "r-oneorg", 1, 0, 1)
	f.votes(w1, "r-oneorg", 0, 3)
	f.votes(w1, "r-users", 1, 2, 4, 6, 7)
	f.votes(w1, "r-rouge", 1, 0, 2, 4, 6) // Rouge holds pp 0, 2, 4, 6
	f.votes(w1, "r-contested", 1, 5, 3)
	f.votes(w1, "r-contested", -1, 0, 6, 7)
	f.do(w1, f.mod, "roomcount.record", map[string]any{"contribution": f.ids["r-broad"], "label": "main levée", "yes": 21, "neutral": 3, "no": 2})
	f.phase(w1, record.PhaseImplementation)
	f.post(w1, pp[3], "st-ref", map[string]any{"kind": "step", "body": "Désigner un référent par ménage dès la première demande.",
		"parent": f.ids["r-broad"], "who": "Les CPAS et les AIS", "how": "Par une convention régionale", "when": "Dès 2025"})
	f.post(w1, pp[4], "st-form", map[string]any{"kind": "step", "body": "Former les référents à l'accueil des personnes peu lettrées.",
		"parent": f.ids["r-broad"], "who": "Le Stics", "how": "Modules de deux jours", "when": "Chaque semestre"})
	f.votes(w1, "st-form", 1, 0, 1, 2)
	// A finding the room adopts in plenary, which the organisers later leave out of the body.
	f.do(w1, f.mod, "plenary.open", map[string]any{"contributions": []int64{f.ids["f-numerique"]}})
	f.do(w1, pp[1], "plenary.vote", map[string]any{"contribution": f.ids["f-numerique"], "choice": "adopt"})
	f.do(w1, pp[3], "plenary.vote", map[string]any{"contribution": f.ids["f-numerique"], "choice": "adopt"})
	f.do(w1, f.mod, "plenary.close", map[string]any{})
	f.phase(w1, record.PhaseClosed)

	// Session 1.2: dots for recommendations, a merge of duplicates, an edit.
	f.do(w2, f.mod, "vote.method.set", map[string]any{"phase": "recommendations", "method": "dots", "budget": 5, "maxPerItem": 3})
	f.phase(w2, record.PhaseRecommendations)
	f.post(w2, pp[1], "r-dots", map[string]any{"kind": "recommendation", "body": "Ouvrir les guichets le samedi matin."})
	f.post(w2, pp[5], "r-dup", map[string]any{"kind": "recommendation", "body": "Guichets ouverts le samedi."})
	f.post(w2, pp[7], "r-edit", map[string]any{"kind": "recommendation", "body": "Simplifier les formulaire"})
	f.do(w2, pp[7], "contribution.edit", map[string]any{"id": f.ids["r-edit"], "body": "Simplifier les formulaires et les écrire en langage clair."})
	f.votes(w2, "r-dots", 3, 1, 5)
	f.votes(w2, "r-dup", 2, 7)
	f.votes(w2, "r-edit", 2, 1, 2, 7)
	f.do(w2, f.mod, "contribution.merge", map[string]any{"from": []int64{f.ids["r-dup"]}, "into": f.ids["r-dots"]})
	f.phase(w2, record.PhaseClosed)

	// Session 2.1: the hostile text, accents and quotes, Dutch words, a step.
	f.phase(w3, record.PhaseDiagnostic)
	f.post(w3, pp[6], "f-hostile", map[string]any{"kind": "finding", "body": hostile})
	f.post(w3, pp[0], "f-soft", map[string]any{"kind": "finding", "body": "Les « soft skills » s’apprennent sur le terrain, pas à l’école : œuvre collective, één leerlijn."})
	f.votes(w3, "f-soft", 1, 0, 4, 5)
	f.votes(w3, "f-hostile", 1, 6)
	f.phase(w3, record.PhaseRecommendations)
	f.post(w3, pp[4], "r-stage", map[string]any{"kind": "recommendation", "body": "Reconnaître les stages en entreprise comme une qualification à part entière."})
	f.votes(w3, "r-stage", 1, 0, 2, 4, 6)
	f.phase(w3, record.PhaseImplementation)
	f.post(w3, pp[0], "st-stage", map[string]any{"kind": "step", "body": "Un label régional des stages qualifiants.", "parent": f.ids["r-stage"],
		"who": "Bruxelles Formation", "how": "Un cahier des charges co-écrit avec les usagers", "when": "Avant la rentrée 2025"})
	// The plenary of session 2.1 votes on a finding, a step and a recommendation; nobody
	// votes on the hostile finding; the recommendation misses its quorum.
	f.do(w3, f.mod, "plenary.open", map[string]any{"contributions": []int64{f.ids["f-soft"], f.ids["st-stage"], f.ids["f-hostile"]}})
	f.do(w3, f.mod, "plenary.open", map[string]any{"contributions": []int64{f.ids["r-stage"]}, "quorum": 6, "threshold": "2/3"})
	ballot := func(key, choice string, who ...int) {
		for _, i := range who {
			f.do(w3, pp[i], "plenary.vote", map[string]any{"contribution": f.ids[key], "choice": choice})
		}
	}
	ballot("f-soft", "adopt", 0, 4, 5)
	ballot("f-soft", "reject", 1)
	ballot("f-soft", "abstain", 6)
	ballot("st-stage", "adopt", 0, 2)
	ballot("r-stage", "adopt", 4, 6)
	ballot("r-stage", "abstain", 2)
	f.do(w3, f.mod, "plenary.close", map[string]any{})
	f.phase(w3, record.PhaseClosed)
}

// edit applies the editorial layer of the golden files.
func (f *fixture) edit() {
	now := fixtureClock.Add(time.Hour)
	org := f.org.ID
	f.must(Reword(f.ctx, f.db, f.proc.ID, org, f.ids["r-broad"], Rewording{Body: ptr("Garantir à chaque ménage un accompagnement social de référence, stable et joignable.")}, now))
	f.must(Reword(f.ctx, f.db, f.proc.ID, org, f.ids["st-ref"], Rewording{When: ptr("Dès le 1er janvier 2025")}, now))
	f.must(SetExcluded(f.ctx, f.db, f.proc.ID, org, f.ids["f-numerique"], true, now))
	f.must(Reorder(f.ctx, f.db, f.proc.ID, org, f.theme[0].ID, record.KindRecommendation, []int64{f.ids["r-oneorg"]}, now))
	f.must(SetThemeTexts(f.ctx, f.db, f.proc.ID, org, f.theme[0].ID,
		ptr("Trois séances, des usagers et des travailleurs sociaux.\n\nCe chapitre reprend leurs constats."), ptr("La suite : une journée au Parlement."), now))
	f.must(SetThemeTexts(f.ctx, f.db, f.proc.ID, org, f.theme[1].ID, ptr("<b>Introduction</b> [lien](javascript:alert(1)) \u202egnp.exe"), nil, now))
}

// translate gives the golden notebook part of its Dutch: the process's title, both themes'
// titles, the first theme's "why" and introduction (not its conclusion), a finding, a solution
// path, a recommendation and a step (not its "when"), and a hostile introduction. Everything
// else stays French, and must be marked so in the Dutch rendering.
func (f *fixture) translate() {
	now := fixtureClock.Add(3 * time.Hour)
	org, p := f.org.ID, f.proc.ID
	tr := func(subject string, id int64, fields map[string]*string) {
		f.t.Helper()
		f.must(Translate(f.ctx, f.db, p, org, "nl", subject, id, fields, now))
	}
	tr(SubjectProcess, 0, map[string]*string{"title": ptr("Staten-Generaal van Huisvesting en Maatschappelijk Werk")})
	tr(SubjectTheme, f.theme[0].ID, map[string]*string{"title": ptr("De gebruiker en zijn woning centraal"),
		"why":          ptr("De benaderingen en praktijken « in netwerk » ontschotten."),
		"introduction": ptr("Drie sessies, gebruikers en maatschappelijk werkers.\n\nDit hoofdstuk bundelt hun vaststellingen.")})
	tr(SubjectTheme, f.theme[1].ID, map[string]*string{"title": ptr("Beroepsopleiding en bijscholing als hefboom"),
		"introduction": ptr("<b>Inleiding</b> [link](javascript:alert(1)) \u202egnp.exe")})
	tr(SubjectContribution, f.ids["f-delais"], map[string]*string{"text": ptr("De wachttijden bij het OCMW bedragen vaak meer dan drie maanden.")})
	tr(SubjectContribution, f.ids["s-guichet"], map[string]*string{"text": ptr("Eén loket, zonder afspraak.")})
	tr(SubjectContribution, f.ids["r-broad"], map[string]*string{"text": ptr("Elk gezin een vaste, bereikbare maatschappelijk werker als referentiepersoon garanderen.")})
	tr(SubjectContribution, f.ids["st-ref"], map[string]*string{"text": ptr("Vanaf de eerste aanvraag een referentiepersoon per gezin aanwijzen."),
		"who": ptr("De OCMW's en de SVK's"), "how": ptr("Via een gewestelijke overeenkomst")})
}

// plenary is the plenary source of the golden files: the votes held live in the sessions, and
// one taken elsewhere on the broad recommendation (a day at the Parliament, under its rule).
func (f *fixture) plenary() PlenarySource {
	return PlenaryFunc(func(ctx context.Context, db bun.IDB, processID int64) (map[int64]PlenaryResult, error) {
		out, err := Plenary.PlenaryResults(ctx, db, processID)
		if err != nil {
			return nil, err
		}
		out[f.ids["r-broad"]] = PlenaryResult{Label: "Parlement bruxellois", For: 48, Against: 3, Abstain: 5, Eligible: 60,
			Rule: PlenaryRule{Quorum: 30, Threshold: "1/2"}, Outcome: OutcomeAdopted, Adopted: ptr(true)}
		return out, nil
	})
}
