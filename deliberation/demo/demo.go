// Package demo seeds a realistic process, so that a first `make run` shows the product at
// work: the "Assises du Logement et du Travail social" (three themes, nine
// sessions, their place and times) and a few participants from different organisations.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/assises/assises/deliberation/view"
	"github.com/assises/assises/people"
	"github.com/assises/assises/process"
	"github.com/assises/assises/record"
)

// Slug names the demo process; seeding twice finds it and creates nothing.
const Slug = "assises-logement-travail-social"

const place = "COOP, Quai Fernand Demets 23, 1070 Anderlecht"

type session struct {
	day                 string // 2006-01-02, Brussels time
	startHour, startMin int
	endHour, endMin     int
}

// theme is one theme of the demo in French and Dutch, with the question each working phase
// of its sessions puts to the room.
type theme struct {
	title, titleNL string
	why, whyNL     string
	questions      map[record.Phase][2]string // French, Dutch
	sessions       []session
}

// implementationQuestion is the same for every theme: who, how, when.
var implementationQuestion = [2]string{"Qui fait quoi, comment, et pour quand ?", "Wie doet wat, hoe, en tegen wanneer?"}

var morning = func(day string) session { return session{day, 9, 0, 12, 30} }
var afternoon = func(day string) session { return session{day, 13, 0, 16, 30} }

var themes = []theme{
	{
		title:   "L'utilisateur et son habitat au centre des préoccupations",
		titleNL: "De gebruiker en zijn woning centraal",
		why: "Décloisonner les approches et les pratiques. Améliorer les réponses aux urgences sociales et " +
			"permettre un véritable travail d'accompagnement de fond des situations individuelles et familiales complexes.",
		whyNL: "Benaderingen en praktijken ontschotten. De antwoorden op sociale noodsituaties verbeteren en " +
			"echte, diepgaande begeleiding mogelijk maken van complexe individuele en gezinssituaties.",
		questions: map[record.Phase][2]string{
			record.PhaseDiagnostic: {"Qu'est-ce qui empêche aujourd'hui d'accompagner les personnes dans leur logement ?",
				"Wat verhindert vandaag dat we mensen in hun woning begeleiden?"},
			record.PhaseRecommendations: {"Que demandez-vous aux futur·e·s mandataires pour mettre la personne et son habitat au centre ?",
				"Wat vraagt u aan de toekomstige mandatarissen om de persoon en zijn woning centraal te zetten?"},
			record.PhaseImplementation: implementationQuestion,
		},
		sessions: []session{afternoon("2023-11-16"), morning("2023-12-04"), morning("2024-01-08")},
	},
	{
		title:   "La formation professionnelle et continue comme levier de la transformation sociale",
		titleNL: "Beroepsopleiding en permanente vorming als hefboom voor maatschappelijke verandering",
		why: "Mener une réflexion sur les différentiels entre formation qualifiante ou diplômante et les réalités professionnelles. " +
			"Questionner l'évolution des softs skills croisée avec la transformation de la relation des nouvelles générations au monde du travail. " +
			"Réfléchir à comment mieux attirer et retenir les compétences au service de l'Humain, ce qui constitue un enjeu de plus en plus " +
			"prégnant pour les opérateurs publics et privés.",
		whyNL: "Nadenken over de kloof tussen kwalificerende of diplomagerichte opleidingen en de realiteit van het beroep. " +
			"De evolutie van soft skills bevragen in het licht van de veranderende verhouding van nieuwe generaties tot de arbeidswereld. " +
			"Nadenken over hoe we competenties ten dienste van de mens beter kunnen aantrekken en behouden, een steeds grotere " +
			"uitdaging voor publieke en private actoren.",
		questions: map[record.Phase][2]string{
			record.PhaseDiagnostic: {"Où voyez-vous un écart entre la formation et la réalité du métier ?",
				"Waar ziet u een kloof tussen de opleiding en de realiteit van het beroep?"},
			record.PhaseRecommendations: {"Que faut-il changer pour attirer et garder les travailleur·euse·s du social ?",
				"Wat moet er veranderen om sociaal werkers aan te trekken en te behouden?"},
			record.PhaseImplementation: implementationQuestion,
		},
		sessions: []session{morning("2023-11-20"), afternoon("2023-12-06"), afternoon("2024-01-11")},
	},
	{
		title:   "Travailler en réseaux pour mieux répondre à la complexité des situations sociales",
		titleNL: "Werken in netwerken om beter in te spelen op complexe sociale situaties",
		why: "Questionner le travail en réseau au-delà du slogan ou de l'injonction, comment produire des plus-values " +
			"du croisement des expertises professionnelles en réseaux au profit des usager·ère·s ?",
		whyNL: "Netwerkwerk bevragen voorbij de slogan of de opdracht: hoe halen we meerwaarde uit het samenbrengen " +
			"van professionele expertise in netwerken, ten voordele van de gebruikers?",
		questions: map[record.Phase][2]string{
			record.PhaseDiagnostic: {"Quand le travail en réseau aide-t-il vraiment les usager·ère·s, et quand freine-t-il ?",
				"Wanneer helpt netwerkwerk de gebruikers echt, en wanneer remt het af?"},
			record.PhaseRecommendations: {"Quelles conditions les mandataires doivent-ils garantir pour un vrai travail en réseau ?",
				"Welke voorwaarden moeten de mandatarissen garanderen voor echt netwerkwerk?"},
			record.PhaseImplementation: implementationQuestion,
		},
		sessions: []session{afternoon("2023-11-23"), afternoon("2023-12-11"), morning("2024-01-15")},
	},
}

// The agenda every session follows (the Assises' scenario, with the welcome and the break of
// the Partner Day's timetable); minutes add up to the 3.5 hours of a session.
var agenda = []record.AgendaItem{
	{Kind: "welcome", Title: "Accueil", PlannedMinutes: 15, Translations: dutch("Onthaal")},
	{Kind: "phase", Title: "Diagnostic et pistes de solution", Phase: record.PhaseDiagnostic, PlannedMinutes: 60,
		Translations: dutch("Diagnose en oplossingsrichtingen")},
	{Kind: "break", Title: "Pause", PlannedMinutes: 15, Translations: dutch("Pauze")},
	{Kind: "phase", Title: "Recommandations vers les mandataires", Phase: record.PhaseRecommendations, PlannedMinutes: 60,
		Translations: dutch("Aanbevelingen aan de mandatarissen")},
	{Kind: "phase", Title: "Mise en œuvre", Phase: record.PhaseImplementation, PlannedMinutes: 45, Translations: dutch("Uitvoering")},
	{Kind: "conclusions", Title: "Conclusions", PlannedMinutes: 15, Translations: dutch("Besluiten")},
}

// dutch is a title's translation into Dutch.
func dutch(title string) record.Translations {
	return record.Translations{"nl": {"title": title}}
}

type person struct {
	name, organisation string
	role               record.Role
	serviceUser        bool
}

// People of the demo: pseudonyms, as many participants choose, from organisations named in the seeds.
var cast = []person{
	{"Nadia", "Syndicat des Locataires", record.RoleModerator, false},
	{"Eric", "Stics asbl", record.RoleModerator, false},
	{"Fatima", "CPAS d'Anderlecht", record.RoleParticipant, false},
	{"Marc", "CPAS d'Anderlecht", record.RoleParticipant, false},
	{"Sofia", "Actiris", record.RoleParticipant, false},
	{"Youssef", "Mission Locale de Saint-Gilles", record.RoleParticipant, false},
	{"Ana", "Mission Locale de Saint-Gilles", record.RoleParticipant, true},
	{"Jean", "Après ASBL", record.RoleParticipant, true},
	{"Léa", "Maison de l'Emploi de Forest", record.RoleParticipant, false},
	{"Karim", "Syndicat des Locataires", record.RoleParticipant, true},
}

// Seed creates the demo process unless it exists. It reports whether it created it.
func Seed(ctx context.Context, db *bun.DB) (bool, error) {
	_, err := process.GetBySlug(ctx, db, Slug)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, record.ErrNotFound) {
		return false, err
	}
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return seed(ctx, tx, brussels)
	})
	if err != nil {
		// Two starts at once: the other one seeded it, which is what we wanted.
		if _, again := process.GetBySlug(ctx, db, Slug); again == nil {
			return false, nil
		}
		return false, fmt.Errorf("demo: %w", err)
	}
	return true, nil
}

func seed(ctx context.Context, tx bun.Tx, loc *time.Location) error {
	p := &record.Process{
		Slug:  Slug,
		Title: "Assises du Logement et du Travail social",
		Description: "Des ateliers participatifs ouverts aux acteur·rice·s de l'action sociale en Région bruxelloise, " +
			"pour coproduire des recommandations vers les futur·e·s mandataires. Chaque thématique suit le même scénario : " +
			"un diagnostic et des pistes de solution, des recommandations vers les mandataires, puis comment les mettre en œuvre. " +
			"Une initiative du Syndicat des Locataires avec le soutien du Stics asbl et du CPAS d'Anderlecht.",
		Languages: "fr,nl",
		Translations: record.Translations{"nl": {
			"title": "Staten-Generaal van Huisvesting en Maatschappelijk Werk",
			"description": "Participatieve workshops voor de actoren van het sociaal werk in het Brussels Hoofdstedelijk Gewest, " +
				"om samen aanbevelingen uit te werken voor de toekomstige mandatarissen. Elk thema volgt hetzelfde scenario: " +
				"een diagnose en mogelijke oplossingen, aanbevelingen aan de mandatarissen, en daarna hoe ze uit te voeren. " +
				"Een initiatief van het Syndicat des Locataires met de steun van Stics vzw en het OCMW van Anderlecht.",
		}},
		Capacity:           40,
		PerOrgCap:          2,
		InvitationRequired: true,
	}
	if err := process.Create(ctx, tx, p); err != nil {
		return err
	}
	// The seed's calendar ran from November 2023 to January 2024. A demo whose sessions are all
	// over would show "registration closed" and refuse every join: the same days and hours are
	// moved by whole years so that the first session is still to come.
	years := 0
	first, err := time.ParseInLocation("2006-01-02", themes[0].sessions[0].day, loc)
	if err != nil {
		return err
	}
	for !first.AddDate(years, 0, 0).After(time.Now()) {
		years++
	}
	var workshops []*record.Workshop
	for i, th := range themes {
		t := &record.Theme{ProcessID: p.ID, Position: i + 1, Title: th.title, Why: th.why,
			Translations: record.Translations{"nl": {"title": th.titleNL, "why": th.whyNL}}}
		state, err := questionsState(th.questions)
		if err != nil {
			return err
		}
		if err := process.CreateTheme(ctx, tx, t); err != nil {
			return err
		}
		for j, s := range th.sessions {
			day, err := time.ParseInLocation("2006-01-02", s.day, loc)
			if err != nil {
				return err
			}
			day = day.AddDate(years, 0, 0)
			w := &record.Workshop{
				ProcessID:    p.ID,
				ThemeID:      &t.ID,
				Title:        fmt.Sprintf("Atelier %d.%d", i+1, j+1),
				Translations: record.Translations{"nl": {"title": fmt.Sprintf("Workshop %d.%d", i+1, j+1)}},
				State:        state,
				StartsAt:     day.Add(time.Duration(s.startHour)*time.Hour + time.Duration(s.startMin)*time.Minute).UTC(),
				EndsAt:       day.Add(time.Duration(s.endHour)*time.Hour + time.Duration(s.endMin)*time.Minute).UTC(),
				Place:        place,
			}
			if err := process.CreateWorkshop(ctx, tx, w); err != nil {
				return err
			}
			if err := process.SetAgenda(ctx, tx, w.ID, append([]record.AgendaItem(nil), agenda...)); err != nil {
				return err
			}
			workshops = append(workshops, w)
		}
	}
	for _, pe := range cast {
		part, err := people.CreateParticipant(ctx, tx, people.NewParticipant{
			ProcessID:    &p.ID,
			Role:         pe.role,
			Organisation: pe.organisation,
			Person:       people.Person{DisplayName: pe.name, Language: "fr", ServiceUser: pe.serviceUser},
		})
		if err != nil {
			return err
		}
		for _, w := range workshops {
			if err := people.AddRegistration(ctx, tx, w, part.ID, record.RegistrationConfirmed); err != nil {
				return err
			}
		}
	}
	return nil
}

// questionsState is the live state a session starts with: its questions, in French and Dutch,
// ready for the moderator to open each phase.
func questionsState(qs map[record.Phase][2]string) (string, error) {
	st := view.LiveState{Questions: map[record.Phase]string{}, QuestionTexts: map[record.Phase]map[string]string{}}
	for ph, q := range qs {
		st.Questions[ph] = q[0]
		st.QuestionTexts[ph] = map[string]string{"nl": q[1]}
	}
	b, err := json.Marshal(st)
	return string(b), err
}
